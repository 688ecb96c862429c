"""The interactive map in real Chromium, on a synthetic corpus spread over several years: it opens on
the latest year and fetches only that year's file, loads more years as the dates widen, and its
counts match the corpus. The site is the render stage's pages plus render_maps.map_files' data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from sitrep import render
from sitrep.config import load_config
from sitrep.index import Indexes, build_indexes
from sitrep.render_maps import map_files
from sitrep.synth import synth
from sitrep.urls import output_path, url_for
from sitrep.validate import load_corpus
from sitrep.vocab import EVENT_TYPES
from tests.browser_support import DESKTOP, chromium, serve_dir  # noqa: F401 (fixtures)
from tests.conftest import CONFIG

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def spread(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Indexes]:
    root = tmp_path_factory.mktemp("mapsite")
    synth(300, root / "content", seed=3)
    corpus = load_corpus(root / "content")
    indexes, config = build_indexes(corpus), load_config(CONFIG)
    site = root / "site"
    files = [(f.path, f.data) for f in render.iter_files(corpus, indexes, config)]
    data = map_files(corpus, indexes, partial(url_for, config=config))
    files += [(output_path(url, config), body) for url, body in data]
    for rel, data in files:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    return site, indexes


@pytest.fixture(scope="module")
def base(spread: tuple[Path, Indexes], serve_dir: Callable[[Path], str]) -> str:  # noqa: F811
    return serve_dir(spread[0])


def located(indexes: Indexes, start: date, end: date, skip_type: str | None = None) -> int:
    return sum(1 for e in indexes.listed if e.location.lat is not None and e.location.lon is not None
               and start <= e.date.start <= end and e.event_type != skip_type)


def open_map(chromium: Any, base: str) -> tuple[Any, list[str], list[str]]:  # noqa: F811
    page = chromium.new_page(viewport=DESKTOP)
    fetched: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: fetched.append(r.url.split("/map/", 1)[1]) if "/map/" in r.url
            and r.url.endswith(".json") else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/map/")
    return page, fetched, errors


def test_opens_on_the_latest_year_and_fetches_only_it(chromium: Any, base: str,  # noqa: F811
                                                      spread: tuple[Path, Indexes]) -> None:
    from playwright.sync_api import expect

    indexes = spread[1]
    last = max(e.date.start for e in indexes.listed)
    n = located(indexes, date(last.year, 1, 1), last)
    page, fetched, errors = open_map(chromium, base)
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


def test_wider_dates_load_more_years_and_filters_apply(chromium: Any, base: str,  # noqa: F811
                                                       spread: tuple[Path, Indexes]) -> None:
    from playwright.sync_api import expect

    indexes = spread[1]
    first, last = indexes.listed[0].date.start, max(e.date.start for e in indexes.listed)
    page, fetched, errors = open_map(chromium, base)
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


def test_popup_links_to_the_event(chromium: Any, base: str) -> None:  # noqa: F811
    page, _, errors = open_map(chromium, base)
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
    page.goto(base + href)
    assert page.locator("h1").inner_text() == title
    assert errors == []
    page.close()
