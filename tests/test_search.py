"""Search stage: records built from the model, the Pagefind bundle, and the /search/ page."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import html5lib
import pytest

from sitrep import search
from sitrep.config import SiteConfig
from sitrep.index import Indexes, build_indexes
from sitrep.model import Corpus
from sitrep.pagefind_client import Record
from sitrep.validate import load_corpus
from sitrep.write import OutputFile, check_path

MINIMAL = Path(__file__).resolve().parent / "fixtures" / "minimal" / "content"
HOMS = "2019-04-11-homs-eastern-desert-attacks"
CHECKPOINTS = "2019-04-13-aleppo-western-checkpoints-attack"
SHELLING = "2019-04-12-aleppo-overnight-shelling"
NS = {"h": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(scope="module")
def minimal() -> tuple[Corpus, Indexes]:
    corpus = load_corpus(MINIMAL)
    return corpus, build_indexes(corpus)


@pytest.fixture(scope="module")
def records(minimal: tuple[Corpus, Indexes]) -> dict[str, Record]:
    corpus, indexes = minimal
    return {r.url: r for r in search.iter_records(corpus, indexes, SiteConfig())}


@pytest.fixture(scope="module")
def built(minimal: tuple[Corpus, Indexes]) -> dict[str, bytes]:
    corpus, indexes = minimal
    return {f.path: f.data for f in search.iter_files(corpus, indexes, SiteConfig())}


def test_every_public_thing_gets_one_record(minimal: tuple[Corpus, Indexes],
                                            records: dict[str, Record]) -> None:
    corpus, indexes = minimal
    expected = {f"/events/{e.id}/" for e in indexes.listed} | {f"/actors/{a}/" for a in corpus.actors} \
        | {f"/regions/{r.lower()}/" for r in corpus.regions} | {f"/sources/{s}/" for s in corpus.sources} \
        | {f"/briefings/{b.id}/" for b in corpus.briefings.values() if b.status == "published"}
    assert set(records) == expected
    kinds = sorted(r.filters["kind"][0] for r in records.values())
    assert kinds.count("Event") == len(indexes.listed) == 3


def test_event_record_has_filters_sort_and_result_facts(records: dict[str, Record]) -> None:
    rec = records[f"/events/{HOMS}/"]
    assert rec.filters == {"kind": ["Event"], "region": ["Homs"],
                           "actor": ["Islamic State", "Syrian government forces"], "type": ["Battles"],
                           "sub_type": ["Armed clash"], "assessment": ["reported"], "year": ["2019"],
                           "month": ["04"]}
    assert rec.sort == {"date": "2019-04-11"}
    assert rec.meta["title"].startswith("Islamic State attacks")
    assert rec.meta["date"] == "11–13 Apr 2019"
    assert rec.meta["fatalities"] == "27"
    assert rec.meta["type"] == "Battles: Armed clash"
    assert rec.meta["place"] == "desert east of Homs province, Homs"
    assert rec.meta["url"] == rec.url


def test_disagreeing_tolls_show_as_a_range(records: dict[str, Record]) -> None:
    assert records[f"/events/{CHECKPOINTS}/"].meta["fatalities"] == "11–13"


def test_aliases_and_alternative_names_are_searchable_words(records: dict[str, Record]) -> None:
    actor = records["/actors/islamic-state/"]
    for word in ("Islamic State", "Daesh", "ISIS", "ISIL", "داعش", "الدولة الإسلامية"):
        assert word in actor.content
    assert actor.meta["aliases"].startswith("Daesh, ISIS")
    region = records["/regions/sy-hl/"]
    assert {"Aleppo", "Halab", "Alep", "حلب"} <= set(region.content.split("\n"))
    # An event finds its actors' aliases and its region's other names too (a searched meta field).
    assert "Daesh" in records[f"/events/{HOMS}/"].meta["names"]
    assert "Halab" in records[f"/events/{CHECKPOINTS}/"].meta["names"]
    assert "Daesh" not in records[f"/events/{HOMS}/"].content


def test_briefing_record_cites_events_by_title(records: dict[str, Record]) -> None:
    rec = records["/briefings/2019-04-week-15/"]
    assert "[[" not in rec.content
    assert "Islamic State attacks on government forces in the desert east of Homs" in rec.content
    assert rec.filters["region"] == ["Homs", "Aleppo"]
    assert rec.sort == {"date": "2019-04-07"}


def test_drafts_are_not_indexed(minimal_copy: Path) -> None:
    events = minimal_copy / "events" / "2019"
    draft = (events / f"{SHELLING}.yaml").read_text().replace("status: published", "status: draft")
    (events / "2019-04-12-unreviewed-report.yaml").write_text(draft)
    corpus = load_corpus(minimal_copy)
    urls = {r.url for r in search.iter_records(corpus, build_indexes(corpus), SiteConfig())}
    assert "/events/2019-04-12-unreviewed-report/" not in urls
    assert f"/events/{SHELLING}/" in urls


@pytest.mark.parametrize(("markdown", "text"), [
    ("A **bold** and *soft* claim", "A bold and soft claim"),
    ("see [the report](https://example.org/r) and ![map](m.png)", "see the report and map"),
    ("cited [[2019-04-11-x]] here", "cited 2019-04-11-x here"),
    ("# Heading\n\n> quote `code`", "Heading quote code"),
    ("", ""),
])
def test_plain_keeps_words_and_drops_markup(markdown: str, text: str) -> None:
    assert search.plain(markdown) == text


def test_bundle_is_complete_and_lean(built: dict[str, bytes], records: dict[str, Record]) -> None:
    bundle = {p for p in built if p.startswith("pagefind/")}
    assert {"pagefind/pagefind.js", "pagefind/pagefind-worker.js", "pagefind/pagefind-entry.json",
            "pagefind/wasm.en.pagefind"} <= bundle
    assert not [p for p in bundle if "pagefind-ui" in p or "highlight" in p or "component" in p]
    entry = json.loads(built["pagefind/pagefind-entry.json"])
    assert entry["languages"]["en"]["page_count"] == len(records)
    assert sum(p.startswith("pagefind/fragment/") for p in bundle) == len(records)
    assert all(check_path(p) for p in built)
    assert set(built) == bundle | {"search/index.html"}


def test_no_temp_files_are_left(minimal: tuple[Corpus, Indexes], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    corpus, indexes = minimal
    files = search.iter_files(corpus, indexes, SiteConfig())
    first = [next(files) for _ in range(3)]
    assert all(isinstance(f, OutputFile) for f in first)
    files.close()  # a consumer that stops early still leaves nothing behind
    rest = list(search.iter_files(corpus, indexes, SiteConfig()))
    assert rest
    assert list(tmp_path.iterdir()) == []


def _page(html: bytes):  # type: ignore[no-untyped-def]
    return html5lib.parse(html, namespaceHTMLElements=True)


def test_search_page_is_a_plain_form_without_inline_code(built: dict[str, bytes]) -> None:
    html = built["search/index.html"]
    doc = _page(html)
    form = doc.find(".//h:form[@id='search-form']", NS)
    assert form.get("action") == "/search/" and form.get("method") == "get"
    assert doc.find(".//h:input[@name='q']", NS) is not None
    assert doc.find(".//h:noscript", NS) is not None
    for script in doc.iterfind(".//h:script", NS):
        assert script.get("src") and not (script.text or "").strip()
    assert doc.find(".//h:style", NS) is None
    assert b" style=" not in html and b"onclick" not in html
    labels = {label.get("for") for label in doc.iterfind(".//h:label", NS)}
    for control in [*doc.iterfind(".//h:select", NS), *doc.iterfind(".//h:input", NS)]:
        if control.get("type") != "hidden":
            assert control.get("id") in labels
    keys = [s.get("name") for s in doc.iterfind(".//h:select[@data-filter]", NS)]
    assert keys == [k for k, _ in search.FILTERS]
    status = doc.find(".//h:*[@id='search-status']", NS)
    assert status.get("role") == "status" and status.get("aria-live") == "polite"
    csp = doc.find(".//h:meta[@http-equiv='Content-Security-Policy']", NS).get("content")
    assert "wasm-unsafe-eval" in csp


def test_a_site_under_a_sub_path_keeps_record_urls_root_relative(minimal: tuple[Corpus, Indexes]) -> None:
    # pagefind.js prefixes the folder it is served from, so records stay relative to the site root.
    corpus, indexes = minimal
    config = SiteConfig(site_url="https://example.org/sitrep/")
    page = _page(search.search_page(config).data)
    assert page.find(".//h:form[@id='search-form']", NS).get("action") == "/sitrep/search/"
    assert page.find(".//h:div[@id='search']", NS).get("data-bundle") == "/sitrep/pagefind/"
    urls = {r.url for r in search.iter_records(corpus, indexes, config)}
    assert f"/events/{HOMS}/" in urls


def test_the_same_content_gives_the_same_bytes(minimal: tuple[Corpus, Indexes],
                                               built: dict[str, bytes]) -> None:
    # So that a rebuild with nothing changed rewrites no file (pagefind alone would; pagefind_files).
    corpus, indexes = minimal
    again = {f.path: f.data for f in search.iter_files(corpus, indexes, SiteConfig())}
    assert again == built
