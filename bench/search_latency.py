"""Time a reader's searches on a built site in Chromium: from opening /search/?... to the total.

    python bench/search_latency.py SITE    (prints one JSON object)

Serves SITE (built with the repository's mkdocs.yml, whose site lives at the server's root) on a
local port and opens each of QUERIES in a fresh page of Debian's Chromium, driven by Playwright:
it records when the page is ready (Pagefind loaded, its shards merged), when the first result shows
and when the status line gives the total. A year and a region that the index holds are read from
the page's own filter options. Run by bench/run.py in its own process, after the site's builds.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, static_server  # noqa: E402

QUERIES = {
    "words": "?q=attack",
    "words by date": "?q=attack&sort=date-asc",
    "words in a year, newest first": "?q=attack&year={year}&sort=date-desc",
    "filters alone": "?kind=Event",
    "filters alone, one region": "?kind=Event&region={region}",
}
"""What a reader asks, by name: by relevance, by date, narrowed, and a listing by filters alone."""
LIMIT_MS = 120_000
_TOTAL = re.compile(r"^([\d,]+|No) results?\b")


def available() -> bool:
    """Whether this machine can run the measurement (`./run bench` installs both)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


def measure(site: Path) -> dict[str, Any]:
    from playwright.sync_api import expect, sync_playwright

    shards = len(list((site / "pagefind").glob("shard-*")))
    results: dict[str, Any] = {}
    with static_server(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/search/")
            expect(page.locator("#search")).to_have_attribute("data-ready", "true", timeout=LIMIT_MS)
            values = {key: page.eval_on_selector_all(f"#search-{key} option",
                                                     "os => os.map(o => o.value).filter(Boolean)")
                      for key in ("year", "region")}
            page.close()
            fill = {key: options[len(options) // 2] if options else "" for key, options in values.items()}
            for name, query in QUERIES.items():
                results[name] = _one(browser, f"{base}/search/{query.format(**fill)}")
        finally:
            browser.close()
    return {"shards": shards, "queries": results}


_TIMES_SCRIPT = """
(() => {
  const times = window.__searchTimes = {};
  const total = new RegExp(PATTERN);
  const check = () => {
    const root = document.querySelector("#search");
    if (times.ready === undefined && root && root.dataset.ready === "true") times.ready = performance.now();
    const shown = document.querySelector(".search-result");
    if (times.first === undefined && shown) times.first = performance.now();
    const status = document.querySelector("#search-status");
    if (times.total === undefined && status && total.test(status.textContent || "")) {
      times.total = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})();
"""
"""Run in the page before its own scripts: notes, by the page's clock (from the start of its
navigation), the first moment the search is ready, the first a result shows and the first the
status line gives a total.
Polling from Playwright (expect()'s growing intervals, up to 1 s) added up to a second."""


def _one(browser: Any, url: str) -> dict[str, Any]:
    page = browser.new_page()
    try:
        page.add_init_script(_TIMES_SCRIPT.replace("PATTERN", json.dumps(_TOTAL.pattern)))
        page.goto(url)
        page.wait_for_function("() => window.__searchTimes.total !== undefined", polling=50, timeout=LIMIT_MS)
        times = page.evaluate("() => window.__searchTimes")
        count = page.locator("#search-status").inner_text().split()[0]
        return {"ready_s": times["ready"] / 1000, "first_s": times.get("first", times["total"]) / 1000,
                "total_s": times["total"] / 1000,
                "results": 0 if count == "No" else int(count.replace(",", "")),
                "shown": page.locator(".search-result").count()}
    finally:
        page.close()


def main(argv: list[str]) -> int:
    print(json.dumps(measure(Path(argv[0]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
