"""Browser tests of the search page (real Chromium through Playwright)."""
