"""Accessibility and behaviour in real Chromium: axe-core (WCAG 2.1 A/AA rules) on every page kind at
desktop and phone widths, the CSP holding with no violation, keyboard entry, no sideways scrolling
on a phone, and the map: its filters, and on a corpus spread over several years, that it opens on the
latest year fetching only that year's file, loads more years as the dates widen, and counts right."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from sitrep import render, render_archive, render_pages
from sitrep.config import load_config
from sitrep.index import Indexes, build_indexes
from sitrep.render_maps import MapMaker, map_files
from sitrep.synth import synth
from sitrep.urls import output_path, url_for
from sitrep.validate import load_corpus
from sitrep.vocab import EVENT_TYPES
from tests.browser_support import DESKTOP, PHONE
from tests.conftest import CONFIG

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PAGES = ["/", "/events/2019-04-13-aleppo-western-checkpoints-attack/",
         "/events/2019-04-11-homs-eastern-desert-attacks/", "/regions/sy-hl/", "/actors/islamic-state/",
         "/sources/sohr/", "/timeline/", "/timeline/2019/04/", "/types/", "/types/battles/", "/regions/",
         "/map/", "/about/", "/404.html", "/briefings/", "/briefings/2019-04-week-15/", "/search/?q=aleppo"]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def base(built_minimal: Path, serve_dir: Callable[[Path], str]) -> str:
    return serve_dir(built_minimal)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           WCAG)
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_wcag_violation(chromium: Any, base: str, viewport: dict[str, int]) -> None:
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


def test_csp_holds_with_no_violation(chromium: Any, base: str) -> None:
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


def test_keyboard_skip_link_reaches_main(chromium: Any, base: str) -> None:
    page = chromium.new_page(viewport=DESKTOP)
    page.goto(base + "/events/2019-04-13-aleppo-western-checkpoints-attack/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.close()


def test_no_sideways_scroll_on_a_phone(chromium: Any, base: str) -> None:
    page = chromium.new_page(viewport=PHONE)
    wide = {}
    for url in PAGES:
        page.goto(base + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide[url] = overflow
    page.close()
    assert wide == {}


CLIPPED_CHART_TEXT = """() => [...document.querySelectorAll('svg.chart, svg.range-bar')].flatMap(svg => {
  const width = svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].filter(t => {
    const box = t.getBBox();
    return box.x < -0.5 || box.x + box.width > width + 0.5;
  }).map(t => t.textContent);
})"""


def test_chart_text_is_never_cut_off(chromium: Any, base: str) -> None:
    # bypass_csp only to force the face: DejaVu Sans is the widest common fallback, so text that
    # fits in it fits in the others.
    context = chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    clipped = {}
    for url in ("/regions/sy-hl/", "/actors/islamic-state/", "/timeline/2019/04/", "/types/battles/",
                "/events/2019-04-13-aleppo-western-checkpoints-attack/"):
        page.goto(base + url)
        page.add_style_tag(content="svg text { font-family: 'DejaVu Sans' !important; }")
        assert page.locator("svg.chart, svg.range-bar").count(), url
        found = page.evaluate(CLIPPED_CHART_TEXT)
        if found:
            clipped[url] = found
    context.close()
    assert clipped == {}


def pdf_text(page: Any) -> str:
    """Return the page printed to PDF by Chromium (print media, print.css), as poppler reads it."""
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=page.pdf(), capture_output=True,
                          check=True).stdout.decode()
    return " ".join(text.split())


def test_chart_data_tables_print_though_closed(chromium: Any, base: str) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed")
    page = chromium.new_page(viewport=DESKTOP)
    page.goto(base + "/regions/sy-hl/")
    assert page.locator("details.chart-data").get_attribute("open") is None  # closed on screen
    assert not page.locator("details.chart-data table").is_visible()
    text = pdf_text(page)
    assert "MONTH EVENTS FATALITIES April 2019 2 11–13" in text
    assert "Show the data as a table" not in text
    page.goto(base + "/timeline/2019/04/")
    text = pdf_text(page)
    assert "11 April 2019 1 27" in text and "13 April 2019 1 11–13" in text and "30 April 2019 0 0" in text
    page.close()


def test_pages_read_without_javascript(chromium: Any, base: str) -> None:
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


def test_map_filters_by_type_and_date(chromium: Any, base: str) -> None:
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


# ---- the map on a corpus spread over several years ----------------------------------------------

@pytest.fixture(scope="module")
def spread(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Indexes]:
    root = tmp_path_factory.mktemp("mapsite")
    synth(300, root / "content", seed=3)
    corpus = load_corpus(root / "content")
    indexes, config = build_indexes(corpus), load_config(CONFIG)
    site = root / "site"
    files = [(f.path, f.data) for f in render.iter_files(corpus, indexes, config)]
    made = map_files(corpus, indexes, partial(url_for, config=config))
    files += [(output_path(url, config), body) for url, body in made]
    maps = MapMaker(corpus.shapes, corpus.regions)
    # The map page as it reads the split data (MapContext.events_url = the index); the same page
    # render.py writes once it takes its map data from render_maps.map_files.
    [(template, context)] = render_archive.map_page(render_pages.Site(corpus, indexes, config, maps))
    wired = replace(context, events_url=url_for("map_index", config=config))
    page = render.render_page(render.make_environment(config), template, wired)
    files.append(("map/index.html", page.encode()))
    for rel, data in files:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    return site, indexes


@pytest.fixture(scope="module")
def spread_base(spread: tuple[Path, Indexes], serve_dir: Callable[[Path], str]) -> str:
    return serve_dir(spread[0])


def test_long_charts_scroll_inside_the_page_on_a_phone(chromium: Any, spread_base: str,
                                                        spread: tuple[Path, Indexes]) -> None:
    # Years of months make a wide chart: it scrolls in its own box, the page does not scroll sideways.
    indexes = spread[1]
    region = max(indexes.by_region, key=lambda r: len(indexes.by_region[r]))
    actor = max(indexes.by_actor, key=lambda a: len(indexes.by_actor[a]))
    year, month = next(reversed(indexes.by_month))
    page = chromium.new_page(viewport=PHONE)
    wide = {}
    for url in (url_for("region", region), url_for("actor", actor), url_for("month", year, month),
                url_for("type", "Battles")):
        page.goto(spread_base + url)
        assert page.locator("svg.chart").count() == 1, url
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide[url] = overflow
    page.close()
    assert wide == {}


def located(indexes: Indexes, start: date, end: date, skip_type: str | None = None) -> int:
    return sum(1 for e in indexes.listed if e.location.lat is not None and e.location.lon is not None
               and start <= e.date.start <= end and e.event_type != skip_type)


def open_map(chromium: Any, base: str) -> tuple[Any, list[str], list[str]]:
    page = chromium.new_page(viewport=DESKTOP)
    fetched: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: fetched.append(r.url.split("/map/", 1)[1]) if "/map/" in r.url
            and r.url.endswith(".json") else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/map/")
    return page, fetched, errors


def test_map_opens_on_the_latest_year_and_fetches_only_it(chromium: Any, spread_base: str,
                                                          spread: tuple[Path, Indexes]) -> None:
    from playwright.sync_api import expect

    indexes = spread[1]
    last = max(e.date.start for e in indexes.listed)
    n = located(indexes, date(last.year, 1, 1), last)
    page, fetched, errors = open_map(chromium, spread_base)
    status = page.locator("#map-status")
    expect(status).to_contain_text(f"Showing {n} of {n} located events from 1 Jan {last.year}")
    assert sorted(fetched) == sorted(["index.json", "regions.json", f"events-{last.year}.json"])
    assert page.locator("select[name=year]").input_value() == str(last.year)
    assert page.locator("input[name=from]").input_value() == f"{last.year}-01-01"
    counts = page.locator(".type-count").all_inner_texts()
    assert sum(int(c.strip("()")) for c in counts) == n
    unlocated = sum(1 for e in indexes.listed if e.location.lat is None)
    assert f"{unlocated} events have no exact location" in status.inner_text()
    assert errors == []
    page.close()


def test_map_loads_more_years_as_dates_widen(chromium: Any, spread_base: str,
                                              spread: tuple[Path, Indexes]) -> None:
    from playwright.sync_api import expect

    indexes = spread[1]
    first, last = indexes.listed[0].date.start, max(e.date.start for e in indexes.listed)
    page, fetched, errors = open_map(chromium, spread_base)
    status = page.locator("#map-status")
    expect(status).to_contain_text("Showing")
    page.select_option("select[name=year]", "all")
    everything = located(indexes, first, last)
    expect(status).to_contain_text(f"Showing {everything} of {everything} located events")
    years = range(first.year, last.year + 1)
    busy = {f"events-{y}.json" for y in years if located(indexes, date(y, 1, 1), date(y, 12, 31))}
    assert busy <= set(fetched)
    assert len(fetched) == len(set(fetched)), "each file is fetched once"
    # A range across a new year's day: the menu says the dates are chosen by hand.
    start, end = date(first.year, 7, 1), date(first.year + 1, 6, 30)
    page.fill("input[name=from]", start.isoformat())
    page.fill("input[name=to]", end.isoformat())
    page.dispatch_event("input[name=to]", "change")
    n = located(indexes, start, end)
    expect(status).to_contain_text(f"Showing {n} of {n} located events")
    assert page.locator("select[name=year]").input_value() == ""
    page.uncheck("input[name=type] >> nth=0")  # the first type the corpus has
    first_type = page.locator("input[name=type] >> nth=0").get_attribute("value")
    without = located(indexes, start, end, skip_type=list(EVENT_TYPES)[int(first_type)])
    expect(status).to_contain_text(f"Showing {without} of {n} located events")
    assert errors == []
    page.close()


def test_map_popup_links_to_the_event(chromium: Any, spread_base: str) -> None:
    page, _, errors = open_map(chromium, spread_base)
    page.locator("#map-status").filter(has_text="Showing").wait_for()
    dots = page.locator("path.leaflet-interactive[fill-opacity='0.95']")  # event dots, not region shapes
    for _ in range(10):  # each click on a cluster zooms into it, until single dots show
        if dots.count():
            break
        page.locator(".marker-cluster").first.click()
        page.wait_for_timeout(500)
    dots.first.click(force=True)
    link = page.locator(".leaflet-popup-content a")
    title, href = link.inner_text(), link.get_attribute("href")
    assert href.startswith("/events/") and title
    page.goto(spread_base + href)
    assert page.locator("h1").inner_text() == title
    assert errors == []
    page.close()
