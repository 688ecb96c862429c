"""Search in a real browser: Chromium against the built site, served by a static server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import Served

pytestmark = pytest.mark.browser

MINIMAL_CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "minimal" / "content"
CHECKPOINTS = "/events/2019-04-13-aleppo-western-checkpoints-attack/"
SHELLING = "/events/2019-04-12-aleppo-overnight-shelling/"
HOMS = "/events/2019-04-11-homs-eastern-desert-attacks/"


def _open(page: Page, site: Served, query: str = "") -> None:
    page.goto(site.url("search/") + query)
    expect(page.locator("#search")).to_have_attribute("data-ready", "true")


def _status(page: Page, pattern: str) -> None:
    expect(page.locator("#search-status")).to_have_text(re.compile(pattern))


def _hrefs(page: Page) -> list[str]:
    return page.eval_on_selector_all(".search-result-title a",
                                     "links => links.map(a => a.getAttribute('href'))")


def _params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_typing_a_query_lists_results_with_their_facts(page: Page, minimal_site: Served) -> None:
    _open(page, minimal_site)
    page.locator("#search-q").press_sequentially("aleppo")
    _status(page, r"^\d+ results? for “aleppo”")
    assert _params(page) == {"q": ["aleppo"]}
    hrefs = _hrefs(page)
    assert {"/regions/sy-hl/", CHECKPOINTS, SHELLING} <= set(hrefs)
    assert HOMS not in hrefs
    result = page.locator(".search-result", has=page.locator(f"a[href='{CHECKPOINTS}']"))
    expect(result.locator(".search-fact-kind")).to_have_text("Event")
    expect(result.locator(".search-fact-date")).to_have_text("13 Apr 2019")
    expect(result.locator(".search-fact-place")).to_contain_text("Aleppo")
    expect(result.locator(".search-fact-type")).to_have_text("Battles: Armed clash")
    expect(result.locator(".search-fact-fatalities")).to_have_text("Deaths: 11–13")
    mark = result.locator(".search-result-excerpt mark").first
    expect(mark).to_have_text(re.compile("aleppo", re.IGNORECASE))


def test_filters_narrow_the_results_and_live_in_the_url(page: Page, minimal_site: Served) -> None:
    _open(page, minimal_site, "?q=aleppo")
    _status(page, "for “aleppo”")
    page.select_option("#search-type", "Battles")
    _status(page, r"^1 result for “aleppo” \(Event type: Battles\)")
    assert _hrefs(page) == [CHECKPOINTS]
    page.select_option("#search-year", "2019")
    _status(page, r"Year: 2019")
    assert _params(page) == {"q": ["aleppo"], "type": ["Battles"], "year": ["2019"]}
    page.select_option("#search-type", "Explosions/Remote violence")
    _status(page, "Explosions/Remote violence")
    assert _hrefs(page) == [SHELLING]


def test_filters_alone_list_events_newest_first(page: Page, minimal_site: Served) -> None:
    _open(page, minimal_site, "?kind=Event")
    _status(page, r"^3 results \(Show: Events\)")
    assert _hrefs(page) == [CHECKPOINTS, SHELLING, HOMS]
    page.select_option("#search-sort", "date-asc")
    _status(page, "3 results")
    expect(page.locator(".search-result-title a").first).to_have_attribute("href", HOMS)
    assert _params(page)["sort"] == ["date-asc"]
    # Filters alone search for the word every record holds (search_records.EVERY), never shown.
    assert "sitrepeveryrecord" not in page.locator("#search-results").inner_text().lower()
    assert page.locator("#search-results mark").count() == 0
    assert "q" not in _params(page)


def test_filters_alone_list_every_record_they_select(page: Page, minimal_site: Served) -> None:
    for query, count in (("?kind=Actor", len(list((MINIMAL_CONTENT / "actors").glob("*.yaml")))),
                         ("?kind=Region", len(list((MINIMAL_CONTENT / "regions").glob("*.yaml"))))):
        _open(page, minimal_site, query)
        _status(page, rf"^{count} results")


def test_a_shared_url_gives_the_same_results(page: Page, minimal_site: Served) -> None:
    shared = "?q=government&region=Aleppo&year=2019"
    _open(page, minimal_site, shared)
    _status(page, r"for “government” \(Region: Aleppo, Year: 2019\)")
    first = _hrefs(page)
    assert first and set(first) <= {CHECKPOINTS, SHELLING, "/regions/sy-hl/", "/briefings/2019-04-week-15/"}
    expect(page.locator("#search-q")).to_have_value("government")
    expect(page.locator("#search-region")).to_have_value("Aleppo")
    page.reload()
    expect(page.locator("#search")).to_have_attribute("data-ready", "true")
    _status(page, r"for “government” \(Region: Aleppo, Year: 2019\)")
    assert _hrefs(page) == first
    other = page.context.browser.new_context().new_page()  # another reader, nothing shared but the link
    try:
        _open(other, minimal_site, shared)
        _status(other, r"for “government”")
        assert _hrefs(other) == first
    finally:
        other.context.close()


def test_following_a_result_and_coming_back(page: Page, minimal_site: Served) -> None:
    _open(page, minimal_site, "?q=checkpoints&type=Battles")
    _status(page, "for “checkpoints”")
    page.click(f".search-result-title a[href='{CHECKPOINTS}']")
    expect(page).to_have_url(minimal_site.url(CHECKPOINTS))
    expect(page.locator("h1")).to_contain_text("checkpoints")
    page.go_back()
    expect(page.locator("#search")).to_have_attribute("data-ready", "true")
    _status(page, r"for “checkpoints” \(Event type: Battles\)")
    assert CHECKPOINTS in _hrefs(page)


def test_back_and_forward_step_through_the_searches(page: Page, minimal_site: Served) -> None:
    _open(page, minimal_site)
    page.fill("#search-q", "aleppo")
    page.press("#search-q", "Enter")
    _status(page, r"results? for “aleppo”\.$")
    page.select_option("#search-type", "Battles")
    _status(page, "Event type: Battles")
    page.select_option("#search-type", "Explosions/Remote violence")
    _status(page, "Event type: Explosions/Remote violence")
    page.go_back()
    _status(page, "Event type: Battles")
    expect(page.locator("#search-type")).to_have_value("Battles")
    assert _hrefs(page) == [CHECKPOINTS]
    page.go_back()
    _status(page, r"for “aleppo”\.$")
    expect(page.locator("#search-type")).to_have_value("")
    page.go_back()
    expect(page.locator("#search-q")).to_have_value("")
    expect(page.locator("#search-status")).to_have_text("")
    page.go_forward()
    page.go_forward()
    _status(page, "Event type: Battles")
    assert _params(page) == {"q": ["aleppo"], "type": ["Battles"]}


@pytest.mark.parametrize(("query", "first", "title"), [
    ("Daesh", "/actors/islamic-state/", "Islamic State"),
    ("ISIS", "/actors/islamic-state/", "Islamic State"),
    ("داعش", "/actors/islamic-state/", "Islamic State"),
    ("Halab", "/regions/sy-hl/", "Aleppo"),
    ("Alep", "/regions/sy-hl/", "Aleppo"),
])
def test_aliases_and_other_names_find_their_actor_or_region(page: Page, minimal_site: Served, query: str,
                                                             first: str, title: str) -> None:
    _open(page, minimal_site, f"?q={query}")
    _status(page, f"for “{query}”")
    link = page.locator(".search-result-title a").first
    expect(link).to_have_attribute("href", first)
    expect(link).to_have_text(title)


def test_aliases_find_the_actors_events(page: Page, minimal_site: Served) -> None:
    _open(page, minimal_site, "?q=daesh&kind=Event")
    _status(page, r"^1 result for “daesh”")
    assert _hrefs(page) == [HOMS]


def test_keyboard_only(page: Page, minimal_site: Served) -> None:
    _open(page, minimal_site)
    for _ in range(40):  # from the top of the page, Tab reaches the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "search-q":
            break
    else:
        pytest.fail("Tab never reached the search box")
    page.keyboard.type("aleppo")
    page.keyboard.press("Enter")
    _status(page, "for “aleppo”")
    page.keyboard.press("Tab")  # submit button, then the first filter
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-kind"
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-type"
    page.keyboard.press("ArrowDown")  # the first type, Battles
    _status(page, "Event type: Battles")
    for _ in range(30):  # on to the first result
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.search-result') !== null"):
            break
    assert page.evaluate("document.activeElement.getAttribute('href')") == CHECKPOINTS
    page.keyboard.press("Enter")
    expect(page).to_have_url(minimal_site.url(CHECKPOINTS))


def test_every_control_has_a_label_and_counts_are_announced(page: Page, minimal_site: Served) -> None:
    _open(page, minimal_site, "?q=aleppo")
    _status(page, "for “aleppo”")
    status = page.locator("#search-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    for control in page.locator("#search-form input, #search-form select").all():
        expect(control).to_have_accessible_name(re.compile(r"\w"))


def test_without_javascript_the_form_and_a_note_remain(chromium: Any, minimal_site: Served) -> None:
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(minimal_site.url("search/?q=aleppo"))
        expect(page.locator(".search-nojs")).to_contain_text("needs JavaScript")
        expect(page.locator("#search-q")).to_be_visible()
        expect(page.locator("#search-filters")).to_be_hidden()
    finally:
        context.close()


def test_the_search_box_on_every_page_leads_to_results(page: Page, minimal_site: Served) -> None:
    page.goto(minimal_site.url(HOMS))
    page.fill("#site-search-q", "Halab")
    page.press("#site-search-q", "Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=Halab$"))
    expect(page.locator("#search")).to_have_attribute("data-ready", "true")
    _status(page, "for “Halab”")
    expect(page.locator(".search-result-title a").first).to_have_attribute("href", "/regions/sy-hl/")


def test_a_site_under_a_sub_path_searches_and_pages_through_results(page: Page, synth_site: Served) -> None:
    _open(page, synth_site, "?kind=Event")
    _status(page, r"^\d+ results")
    total = int(page.locator("#search-status").inner_text().split()[0])
    assert 40 < total <= 60  # 60 synthetic events, a few of them drafts
    links = page.locator(".search-result-title a")
    expect(links).to_have_count(20)
    assert all(h.startswith("/sub/events/") for h in _hrefs(page))
    page.focus("#search-more")
    page.keyboard.press("Enter")
    expect(links).to_have_count(40)
    # Focus moves to the first new result, so a keyboard user carries on reading where they were.
    assert page.evaluate("document.activeElement.getAttribute('href')") == _hrefs(page)[20]
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sub/events/[^/]+/$"))
    expect(page.locator("h1")).not_to_be_empty()


def _event_dates(page: Page) -> list[str]:
    # Synthetic event ids start with the event's start date.
    return [h.split("/")[-2][:10] for h in _hrefs(page) if "/events/" in h]


def _total(page: Page) -> int:
    _status(page, r"^(\d+|No) results?\b")
    first = page.locator("#search-status").inner_text().split()[0]
    return 0 if first == "No" else int(first)


# Without words each shard is asked in turn; with words one merged search counts each shard's
# results first, and only shards with results are asked (search.js, shardedView).
@pytest.mark.parametrize("query", ["", "q=people&"])
@pytest.mark.parametrize(("sort", "newest_first"), [("date-desc", True), ("date-asc", False)])
def test_date_order_holds_across_shards(page: Page, synth_site: Served, sort: str,
                                        newest_first: bool, query: str) -> None:
    assert len(list((synth_site.out / "pagefind").glob("shard-*"))) >= 2
    if query:  # the same results as the search by relevance, in date order
        _open(page, synth_site, f"?{query}kind=Event")
        unsorted = _total(page)
        assert unsorted > 20
    _open(page, synth_site, f"?{query}kind=Event&sort={sort}")
    _status(page, r"^\d+ results")
    total = int(page.locator("#search-status").inner_text().split()[0])
    if query:
        assert total == unsorted
    shown = min(total, 20)
    expect(page.locator(".search-result")).to_have_count(shown)
    while shown < total:  # 20 at a time, the later pages from further shards
        page.click("#search-more")
        shown = min(total, shown + 20)
        expect(page.locator(".search-result")).to_have_count(shown)
    expect(page.locator("#search-more")).to_be_hidden()
    dates = _event_dates(page)
    assert len(dates) == total
    assert dates == sorted(dates, reverse=newest_first)


@pytest.mark.parametrize(("sort", "newest_first"), [("date-desc", True), ("date-asc", False)])
def test_words_alone_sorted_by_date_list_every_dated_result(page: Page, synth_site: Served, sort: str,
                                                            newest_first: bool) -> None:
    # Without filters the first shard's search counts every shard's results (search.js,
    # countedView): the total is every event and briefing the words find, all listed in date order.
    _open(page, synth_site, "?q=people&kind=Event")
    events = _total(page)
    _open(page, synth_site, "?q=people&kind=Briefing")
    dated = events + _total(page)
    assert events > 20
    _open(page, synth_site, f"?q=people&sort={sort}")
    assert _total(page) == dated
    shown = 20
    expect(page.locator(".search-result")).to_have_count(shown)
    while shown < dated:
        page.click("#search-more")
        shown = min(dated, shown + 20)
        expect(page.locator(".search-result")).to_have_count(shown)
    expect(page.locator("#search-more")).to_be_hidden()
    dates = _event_dates(page)
    assert len(dates) == events and dates == sorted(dates, reverse=newest_first)
    assert len(set(_hrefs(page))) == dated


def test_a_sorted_search_with_words_skips_shards_without_results(page: Page, synth_site: Served) -> None:
    # One region's events sit in some shards only: the merged count says which, and the list still
    # holds every result, newest first, with its total known before the last shard is read.
    _open(page, synth_site, "?q=people&kind=Event")
    regions = page.eval_on_selector_all("#search-region option", "os => os.map(o => o.value).filter(Boolean)")
    for region in regions[:3]:
        _open(page, synth_site, f"?q=people&kind=Event&region={region}")
        unsorted = _total(page)
        _open(page, synth_site, f"?q=people&kind=Event&region={region}&sort=date-desc")
        assert _total(page) == unsorted
        while page.locator("#search-more").is_visible():
            page.click("#search-more")
        dates = _event_dates(page)
        assert len(dates) == unsorted and dates == sorted(dates, reverse=True)
        expect(page.locator("#search-more")).to_be_hidden()


def test_each_shards_word_finds_that_shards_records_alone(page: Page, synth_site: Served) -> None:
    # Filters alone list shard by shard, each shard searched for its own word (search.js,
    # walkedView): in the merged index that word finds exactly the records the shard filter selects.
    _open(page, synth_site, "?kind=Event")
    found = page.evaluate("""async () => {
      const root = document.querySelector("#search");
      const bundle = new URL(root.dataset.bundle, location.href);
      const pagefind = await import(new URL("pagefind.js", bundle).href);
      const folders = root.dataset.shards.split(/\\s+/).filter(Boolean).map((f) => f.replace(/\\/$/, ""));
      const words = root.dataset.shardWords.split(/\\s+/).filter(Boolean);
      const ids = async (term, filters) =>
        (await pagefind.search(term, { filters })).results.map((r) => r.id).sort();
      const out = [];
      for (const [i, shard] of folders.entries()) {
        out.push([await ids(words[i], {}), await ids(root.dataset.every, { shard })]);
      }
      return out;
    }""")
    assert len(found) >= 2
    for by_word, by_filter in found:
        assert by_word and by_word == by_filter
    assert sum(len(w) for w, _ in found) == len({i for w, _ in found for i in w})


def test_the_filter_options_the_build_counts_are_pagefinds_own(page: Page, synth_site: Served) -> None:
    # The page lists each filter's values from the build's counts (search_records.filter_counts)
    # instead of asking Pagefind, which would read every shard's filter index first.
    _open(page, synth_site)
    listed, own = page.evaluate("""async () => {
      const root = document.querySelector("#search");
      const pagefind = await import(new URL("pagefind.js", new URL(root.dataset.bundle, location.href)).href);
      const own = await pagefind.filters();
      delete own.shard;
      return [JSON.parse(root.dataset.options), own];
    }""")
    assert listed == own and len(listed["actor"]) > 5
    regions = page.eval_on_selector_all("#search-region option", "os => os.map(o => o.textContent)")
    assert sorted(regions[1:]) == sorted(f"{name} ({n})" for name, n in own["region"].items())


def test_queries_and_filters_span_every_shard(page: Page, synth_site: Served) -> None:
    _open(page, synth_site, "?kind=Event")
    _status(page, r"^\d+ results")
    total = int(page.locator("#search-status").inner_text().split()[0])
    years = page.eval_on_selector_all("#search-year option", "os => os.map(o => o.value).filter(Boolean)")
    counts = []
    for year in years:  # every year's events, whichever shard holds them, add up to the whole
        page.select_option("#search-year", year)
        _status(page, f"Year: {year}")
        first = page.locator("#search-status").inner_text().split()[0]
        counts.append(0 if first == "No" else int(first))
    assert sum(counts) == total
