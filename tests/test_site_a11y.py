"""Accessibility and behaviour in real Chromium: axe-core (WCAG 2.1 A/AA rules) on every page kind at
desktop and phone widths, the CSP holding with no violation, keyboard entry, no sideways scrolling
on a phone, and the map's filters."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import DESKTOP, PHONE, chromium, serve_dir  # noqa: F401 (fixtures)

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PAGES = ["/", "/events/2019-04-13-aleppo-western-checkpoints-attack/",
         "/events/2019-04-11-homs-eastern-desert-attacks/", "/regions/sy-hl/", "/actors/islamic-state/",
         "/sources/sohr/", "/timeline/", "/timeline/2019/04/", "/types/", "/types/battles/", "/regions/",
         "/map/", "/about/", "/404.html", "/briefings/", "/briefings/2019-04-week-15/", "/search/?q=aleppo"]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def base(built_minimal: Path, serve_dir: Callable[[Path], str]) -> str:  # noqa: F811
    return serve_dir(built_minimal)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           WCAG)
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_wcag_violation(chromium: Any, base: str, viewport: dict[str, int]) -> None:  # noqa: F811
    # bypass_csp only so axe itself can be injected; test_csp_holds checks the CSP separately.
    context = chromium.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    found = {}
    for url in PAGES:
        page.goto(base + url)
        if url == "/map/":
            page.wait_for_selector(".leaflet-container")
        violations = axe_violations(page)
        if violations:
            found[url] = violations
    context.close()
    assert found == {}, json.dumps(found, indent=1)


def test_csp_holds_with_no_violation(chromium: Any, base: str) -> None:  # noqa: F811
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: messages.append(str(e)))
    for url in PAGES:
        page.goto(base + url)
        if url == "/map/":
            page.wait_for_selector(".leaflet-interactive")
    context.close()
    assert [m for m in messages if "Content Security Policy" in m or "Refused" in m] == []
    assert [m for m in messages if "Error" in m] == []


def test_keyboard_skip_link_reaches_main(chromium: Any, base: str) -> None:  # noqa: F811
    page = chromium.new_page(viewport=DESKTOP)
    page.goto(base + "/events/2019-04-13-aleppo-western-checkpoints-attack/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.close()


def test_no_sideways_scroll_on_a_phone(chromium: Any, base: str) -> None:  # noqa: F811
    page = chromium.new_page(viewport=PHONE)
    wide = {}
    for url in PAGES:
        page.goto(base + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide[url] = overflow
    page.close()
    assert wide == {}


def test_pages_read_without_javascript(chromium: Any, base: str) -> None:  # noqa: F811
    context = chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/events/2019-04-13-aleppo-western-checkpoints-attack/")
    assert page.locator(".toll-figure").inner_text() == "11–13"
    assert page.locator("svg.locator").is_visible()
    page.goto(base + "/regions/sy-hl/")
    assert page.locator("svg.chart").is_visible()
    page.goto(base + "/map/")
    assert "needs JavaScript" in page.locator("#map-status").inner_text()
    assert page.locator("table.ranked a[href='/regions/sy-hl/']").is_visible()
    context.close()


def test_map_filters_by_type_and_date(chromium: Any, base: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = chromium.new_page(viewport=DESKTOP)
    page.goto(base + "/map/")
    status = page.locator("#map-status")
    expect(status).to_contain_text("Showing 2 of 2 located events")
    assert page.locator("path.leaflet-interactive").count() >= 2 + 2  # two regions, two events
    page.fill("input[name=from]", "2019-04-12")
    page.dispatch_event("input[name=from]", "change")
    expect(status).to_contain_text("Showing 1 of 1 located events from 12 Apr 2019 to 13 Apr 2019; "
                                   "other dates hold 1 more")
    page.uncheck("input[name=type] >> nth=0")  # Battles: both located fixture events
    expect(status).to_contain_text("Showing 0 of 1")
    expect(page.locator("#map-legend")).to_be_visible()
    page.close()
