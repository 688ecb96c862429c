"""Each page type of the built fixture site shows the figures, sources and links it must.

Expected values come from tests/fixtures/minimal/content: Homs 11–13 April (27 killed, claimed by
Islamic State), Aleppo checkpoints 13 April (11–13: SOHR 13, Agencies 11), Aleppo shelling 12 April
(no toll, no coordinates).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import html5lib
import pytest

CHECKPOINTS = "2019-04-13-aleppo-western-checkpoints-attack"
HOMS = "2019-04-11-homs-eastern-desert-attacks"
SHELLING = "2019-04-12-aleppo-overnight-shelling"


def load(site: Path, url: str) -> ET.Element:
    rel = url.lstrip("/")
    path = site / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)
    assert path.is_file(), f"{url} was not written"
    root = html5lib.parse(path.read_bytes(), namespaceHTMLElements=False)
    for el in root.iter():  # inline SVG comes back namespaced: plain names keep the paths readable
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    return root


def text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def hrefs(el: ET.Element) -> list[str]:
    return [a.get("href", "") for a in el.iter("a")]


def by_class(el: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in el.iter() if cls in (e.get("class") or "").split()]


def section(root: ET.Element, heading_id: str) -> ET.Element:
    for s in root.iter("section"):
        if s.get("aria-labelledby") == heading_id:
            return s
    raise AssertionError(f"no section labelled by #{heading_id}")


@pytest.fixture(scope="module")
def site(built_minimal: Path) -> Path:
    return built_minimal


# ---- home ------------------------------------------------------------------------------------------

def test_home_key_figures_for_latest_period(site: Path) -> None:
    root = load(site, "/")
    period = section(root, "period-h")
    assert "15 March – 13 April 2019" in text(period.find(".//h2"))
    figures = {text(d.find("dt")): text(d.find("dd")) for d in period.iter("div") if d.find("dt") is not None}
    assert figures["Events"] == "3"
    assert figures["Reported fatalities (range)"] == "38–40"
    regions = next(t for t in period.iter("table") if "affected regions" in text(t.find("caption")))
    rows = [[text(c) for c in tr] for tr in regions.find("tbody")]
    assert rows == [["Aleppo", "2", "11–13"], ["Homs", "1", "27"]]
    assert "/regions/sy-hl/" in hrefs(regions)
    actors = next(t for t in period.iter("table") if "active actors" in text(t.find("caption")))
    assert [[text(c) for c in tr] for tr in actors.find("tbody")] == [["Syrian government forces", "3"],
                                                                       ["Islamic State", "1"]]


def test_home_latest_events_newest_first_and_links(site: Path) -> None:
    root = load(site, "/")
    latest = section(root, "latest-h")
    assert [h for h in hrefs(latest) if h.startswith("/events/")] == [
        f"/events/{CHECKPOINTS}/", f"/events/{SHELLING}/", f"/events/{HOMS}/"]
    assert "11–13 killed" in text(latest) and "No toll reported" in text(latest)
    briefing = section(root, "briefing-h")
    assert "/briefings/2019-04-week-15/" in hrefs(briefing)
    assert "/briefings/2019-04-week-15.pdf" in hrefs(briefing)
    everything = hrefs(root)
    for url in ("/regions/", "/actors/", "/sources/", "/timeline/", "/types/", "/map/", "/search/",
                "/about/"):
        assert url in everything, url


# ---- event -----------------------------------------------------------------------------------------

def test_event_toll_range_next_to_each_source(site: Path) -> None:
    root = load(site, f"/events/{CHECKPOINTS}/")
    assert text(root.find(".//h1")) == "Attack on government checkpoints on the western edges of Aleppo city"
    toll = by_class(root, "fact-toll")[0]
    assert text(by_class(toll, "toll-figure")[0]) == "11–13"
    assert "best estimate 13" in text(toll)
    per_source = [text(li) for li in by_class(toll, "tolls")[0].iter("li")]
    assert per_source == ["Syrian Observatory for Human Rights: 13", "Agencies (unattributed wire copy): 11"]
    assert by_class(toll, "range-bar"), "the range is drawn"
    # Each fact names the sources that back it, linking to their entries below.
    backing = by_class(toll, "backing")[0]
    assert hrefs(backing) == ["#source-1", "#source-2"]


def test_event_breakdown_says_what_the_sides_are(site: Path) -> None:
    # "side A 13" alone means nothing to a reader who does not know UCDP's convention.
    breakdown = by_class(load(site, f"/events/{CHECKPOINTS}/"), "breakdown")[0]
    assert text(breakdown).startswith("Breakdown: side A 13 (UCDP sides: A is the government")


def test_chart_caption_explains_ranges_only_where_there_are_some(site: Path) -> None:
    legend = "the solid bar is the lowest toll and the outlined bar reaches the highest"
    ranged = text(section(load(site, "/regions/sy-hl/"), "chart-h").find(".//figcaption"))
    assert legend in ranged  # sources give 11 and 13 for the checkpoints attack
    agreed = text(section(load(site, "/regions/sy-hi/"), "chart-h").find(".//figcaption"))
    assert agreed and legend not in agreed


def test_event_sources_with_links_and_via(site: Path) -> None:
    root = load(site, f"/events/{CHECKPOINTS}/")
    reports = section(root, "reports-h")
    entries = by_class(reports, "source-entry")
    assert [e.get("id") for e in entries] == ["source-1", "source-2"]
    assert "/sources/sohr/" in hrefs(entries[0]) and "/sources/agencies/" in hrefs(entries[0])
    assert "via Agencies (unattributed wire copy)" in text(entries[0])
    assert "published 13 April 2019" in text(entries[0])
    assert "gave a toll of 13" in text(entries[0])
    revisions = section(root, "revisions-h")
    assert "14 April 2019: Second source's toll added as the low end of the range." in text(revisions)


def test_event_location_map_and_neighbours(site: Path) -> None:
    root = load(site, f"/events/{CHECKPOINTS}/")
    svg = root.find(".//figure[@class='locator']/svg")
    assert svg is not None and svg.get("role") == "img" and "Aleppo" in svg.get("aria-label", "")
    image = svg.find("image")
    assert image is not None and image.get("href") == "/regions/sy-hl/map.svg"
    assert (site / "regions/sy-hl/map.svg").is_file()
    nav = root.find(".//nav[@class='neighbours']")
    assert f"/events/{SHELLING}/" in hrefs(nav)  # previous in Aleppo
    assert f"/events/{HOMS}/" not in hrefs(nav)  # another region


def test_event_claims_shown_apart_from_reports(site: Path) -> None:
    root = load(site, f"/events/{HOMS}/")
    claims = section(root, "claims-h")
    assert "claims" in claims.get("class", "")
    assert "Islamic State" in text(claims) and "/actors/islamic-state/" in hrefs(claims)
    assert "not a confirmation" in text(claims)
    assert "Its fighters carried out the operation." in text(claims)
    reports = section(root, "reports-h")
    assert "Its fighters carried out" not in text(reports)
    actors = next(d for d in by_class(root, "fact") if text(d.find("dt")) == "Actors")
    assert "Perpetrator: Islamic State" in text(actors) and "Target: Syrian government forces" in text(actors)


def test_event_without_toll_or_point(site: Path) -> None:
    root = load(site, f"/events/{SHELLING}/")
    assert "No toll reported." in text(by_class(root, "fact-toll")[0])
    caption = text(root.find(".//figure[@class='locator']/figcaption"))
    assert "No precise location" in caption
    assert root.find(".//figure[@class='locator']/svg/circle") is None


# ---- region, actor, source -------------------------------------------------------------------------

def test_region_page(site: Path) -> None:
    root = load(site, "/regions/sy-hl/")
    assert text(root.find(".//h1")) == "Aleppo"
    assert "Halab" in text(root) and "حلب" in text(root)
    events = section(root, "events-h")
    assert [h for h in hrefs(events) if h.startswith("/events/")] == [f"/events/{CHECKPOINTS}/",
                                                                      f"/events/{SHELLING}/"]
    chart = section(root, "chart-h")
    assert chart.find(".//svg[@role='img']") is not None
    rows = [[text(c) for c in tr] for tr in chart.find(".//table/tbody")]
    assert rows == [["April 2019", "2", "11–13"]]
    actors = section(root, "actors-h")
    assert "/actors/syrian-government-forces/" in hrefs(actors)
    region_map = section(root, "map-h")
    assert len(region_map.findall(".//svg/circle")) == 1  # the shelling has no coordinates
    downloads = hrefs(by_class(root, "data-links")[0])
    assert downloads == ["/data/regions/sy-hl.csv", "/data/regions/sy-hl.json", "/data/regions/sy-hl.geojson",
                         "/feeds/regions/sy-hl.xml"]
    assert all((site / url.lstrip("/")).is_file() for url in downloads)
    assert "CSV of the events in Aleppo" in text(by_class(root, "data-links")[0])  # names say whose data
    feeds = [x.get("href") for x in root.iter("link") if x.get("type") == "application/atom+xml"]
    assert feeds == ["/feeds/atom.xml", "/feeds/regions/sy-hl.xml"]


def test_actor_page(site: Path) -> None:
    root = load(site, "/actors/islamic-state/")
    assert text(root.find(".//h1")) == "Islamic State"
    assert "Daesh" in text(root) and "الدولة الإسلامية" in text(root)
    assert "Perpetrator 1 · Claimed responsibility 1" in text(by_class(root, "roles-line")[0])
    events = section(root, "events-h")
    assert f"/events/{HOMS}/" in hrefs(events)
    assert "Role: Perpetrator, Claimed responsibility" in text(events)
    regions = section(root, "regions-h")
    assert [[text(c) for c in tr] for tr in regions.find(".//tbody")] == [["Homs", "1"]]
    assert section(root, "chart-h").find(".//svg") is not None
    downloads = hrefs(by_class(root, "data-links")[0])
    assert downloads == [f"/data/actors/islamic-state.{fmt}" for fmt in ("csv", "json", "geojson")] + [
        "/feeds/actors/islamic-state.xml"]
    assert all((site / url.lstrip("/")).is_file() for url in downloads)


def test_source_page(site: Path) -> None:
    root = load(site, "/sources/sohr/")
    assert text(root.find(".//h1")) == "Syrian Observatory for Human Rights"
    assert "reliability grade C" in text(root)
    assert "https://www.syriahr.com/en/" in hrefs(root)
    events = section(root, "events-h")
    assert len([h for h in hrefs(events) if h.startswith("/events/")]) == 3
    agencies = load(site, "/sources/agencies/")
    # Agencies gave one toll and a claim itself and carried SOHR's three reports.
    assert "Backs 2 events directly and carried reports or claims for 1 more event" in text(agencies)


# ---- timeline, types, directories, map -------------------------------------------------------------

def test_timeline_and_month(site: Path) -> None:
    root = load(site, "/timeline/")
    april = next(a for a in root.iter("a") if a.get("href") == "/timeline/2019/04/")
    assert "April" in text(april) and "3 events" in text(april)
    month = load(site, "/timeline/2019/04/")
    rows = {text(tr[0]): (text(tr[1]), text(tr[2])) for tr in month.find(".//table/tbody")}
    assert len(rows) == 30
    assert rows["11 April 2019"] == ("1", "27")
    assert rows["12 April 2019"] == ("1", "0")
    assert rows["13 April 2019"] == ("1", "11–13")
    events = section(month, "events-h")
    assert next(h for h in hrefs(events) if h.startswith("/events/")) == f"/events/{HOMS}/"  # oldest first


def test_types_directory_and_type_page(site: Path) -> None:
    root = load(site, "/types/")
    rows = {text(tr[0]): text(tr[1]) for tr in root.find(".//table/tbody")}
    assert rows["Battles"] == "2" and rows["Explosions/Remote violence"] == "1" and rows["Riots"] == "0"
    battles = load(site, "/types/battles/")
    assert [[text(c) for c in tr] for tr in section(battles, "subtypes-h").find(".//tbody")] == [
        ["Armed clash", "2"]]


def test_directories_link_every_subject(site: Path) -> None:
    assert {"/regions/sy-hi/", "/regions/sy-hl/"} <= set(hrefs(load(site, "/regions/")))
    actors = set(hrefs(load(site, "/actors/")))
    assert {"/actors/islamic-state/", "/actors/syrian-government-forces/"} <= actors
    assert {"/sources/sohr/", "/sources/agencies/"} <= set(hrefs(load(site, "/sources/")))


def test_map_page(site: Path) -> None:
    root = load(site, "/map/")
    el = root.find(".//div[@id='event-map']")
    assert el.get("data-index").startswith("/map/") and el.get("data-shapes") == "/map/regions.json"
    assert all((site / el.get(a).lstrip("/")).is_file() for a in ("data-index", "data-shapes"))
    scripts = [s.get("src") for s in root.iter("script")]
    assert scripts[-3:] == ["/static/vendor/leaflet/leaflet.js",
                            "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
                            "/static/js/map.js"]
    # It opens on the latest year: from its first day (or the first event, if later) to the last event.
    dates = {i.get("name"): i.get("value") for i in root.iter("input") if i.get("type") == "date"}
    assert dates == {"from": "2019-04-11", "to": "2019-04-13"}
    # Without JavaScript the same regions are listed.
    assert {"/regions/sy-hl/", "/regions/sy-hi/"} <= set(hrefs(section(root, "regions-h")))
    # The map data themselves: tests/test_render_maps.py.


def test_editorial_pages_share_the_layout(site: Path) -> None:
    for url in ("/about/", "/methodology/"):
        root = load(site, url)
        assert root.find(".//form[@role='search']").get("action") == "/search/"
        assert root.find(".//nav[@aria-label='Main']") is not None
        assert root.find(".//main//h1") is not None
        current = [a for a in root.iter("a") if a.get("aria-current") == "page"]
        assert [a.get("href") for a in current] == [url]


def test_every_page_has_search_box_and_csp(site: Path) -> None:
    for page in sorted(site.rglob("*.html")):
        root = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
        metas = [m for m in root.iter("meta") if m.get("http-equiv") == "Content-Security-Policy"]
        assert metas and "script-src 'self'" in metas[0].get("content"), page
        if page.name != "index.html" or "briefings" in page.parts:
            continue
        assert root.find(".//form[@role='search']") is not None, page


def test_404_page(site: Path) -> None:
    root = load(site, "/404.html")
    assert text(root.find(".//h1")) == "Page not found"
    assert root.find(".//meta[@name='robots']").get("content") == "noindex"


def test_compiled_templates_are_kept_in_the_cache_folder(tmp_path: Path) -> None:
    """A second build loads compiled templates instead of compiling them; an edited one is compiled
    again; the folders of other code versions go."""
    import dataclasses
    import shutil

    from sitrep.config import load_config
    from sitrep.render import make_environment, templates_dir
    from tests.conftest import CONFIG

    config = dataclasses.replace(load_config(CONFIG), cache_dir=tmp_path / "cache")
    templates = Path(shutil.copytree(templates_dir(config), tmp_path / "templates"))
    (tmp_path / "cache/jinja/old-version").mkdir(parents=True)
    first = make_environment(config, templates).get_template("base.html")
    [folder] = (tmp_path / "cache/jinja").iterdir()
    assert folder.name != "old-version" and any(folder.iterdir())

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled although the cache holds the template")

    env = make_environment(config, templates)
    env.compile = no_compiling  # type: ignore[method-assign]
    again = env.get_template("base.html")
    assert again.root_render_func.__code__.co_code == first.root_render_func.__code__.co_code
    base = templates / "base.html"
    base.write_text(base.read_text(encoding="utf-8") + "{# edited #}\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="compiled although"):
        env.get_template("base.html")  # the source changed: the cached code is not used


def test_an_actors_roles_in_each_event_come_from_its_role_index(tmp_path: Path) -> None:
    # Actor pages take each listed event's roles from Indexes.by_actor_role: the roles the event's
    # own actors and claims give that actor, in ROLES order.
    from sitrep.index import build_indexes, event_actor_roles
    from sitrep.render_pages import ROLES, _roles_by_event
    from sitrep.synth import synth
    from sitrep.validate import load_corpus

    synth(300, tmp_path / "content", seed=11)
    corpus = load_corpus(tmp_path / "content")
    indexes = build_indexes(corpus)
    compared, several = 0, False
    for actor_id, events in indexes.by_actor.items():
        held = _roles_by_event(indexes.by_actor_role.get(actor_id, {}))
        several = several or any(len(roles) > 1 for roles in held.values())
        for event in events:
            roles = event_actor_roles(event).get(actor_id, ())
            assert held[event.id] == tuple(r for r in ROLES if r in roles), (actor_id, event.id)
            compared += 1
    assert compared > 300 and several  # some actor holds two roles in one event
