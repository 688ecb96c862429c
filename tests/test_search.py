"""Search stage: the Pagefind bundle (in shards when large) and the /search/ page."""

from __future__ import annotations

import dataclasses
import gzip
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
from sitrep.search_records import iter_records
from sitrep.validate import load_corpus
from sitrep.write import OutputFile, check_path

MINIMAL = Path(__file__).resolve().parent / "fixtures" / "minimal" / "content"
HOMS = "2019-04-11-homs-eastern-desert-attacks"
NS = {"h": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(scope="module")
def minimal() -> tuple[Corpus, Indexes]:
    corpus = load_corpus(MINIMAL)
    return corpus, build_indexes(corpus)


@pytest.fixture(scope="module")
def records(minimal: tuple[Corpus, Indexes]) -> dict[str, Record]:
    corpus, indexes = minimal
    return {r.url: r for r in iter_records(corpus, indexes, SiteConfig())}


@pytest.fixture(scope="module")
def built(minimal: tuple[Corpus, Indexes]) -> dict[str, bytes]:
    corpus, indexes = minimal
    return {f.path: f.data for f in search.iter_files(corpus, indexes, SiteConfig())}


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


def test_the_stage_writes_nothing_to_disk(minimal: tuple[Corpus, Indexes], tmp_path: Path,
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
    urls = {r.url for r in iter_records(corpus, indexes, config)}
    assert f"/events/{HOMS}/" in urls


def test_the_same_content_gives_the_same_bytes(minimal: tuple[Corpus, Indexes],
                                               built: dict[str, bytes]) -> None:
    # So that a rebuild with nothing changed rewrites no file (pagefind alone would; pagefind_files).
    corpus, indexes = minimal
    again = {f.path: f.data for f in search.iter_files(corpus, indexes, SiteConfig())}
    assert again == built


def test_no_records_still_give_a_bundle() -> None:
    stats: dict[str, float] = {}
    paths = {f.path for f in search.index_files([], "en", stats)}
    assert {"pagefind/pagefind.js", "pagefind/pagefind-entry.json"} <= paths
    assert stats["records"] == 0


def _sharded(size: int) -> SiteConfig:
    return dataclasses.replace(SiteConfig(), extra={"sitrep": {"search_shard_size": size}})


def _fragments(files: dict[str, bytes], prefix: str) -> list[dict]:
    """Return the fragments (gzip of a signature and JSON) of the bundle at `prefix`."""
    return [json.loads(gzip.decompress(d).removeprefix(b"pagefind_dcd")) for p, d in files.items()
            if p.startswith(prefix + "fragment/")]


def test_a_large_index_comes_in_date_ordered_shards(minimal: tuple[Corpus, Indexes],
                                                    records: dict[str, Record]) -> None:
    corpus, indexes = minimal
    files = {f.path: f.data for f in search.iter_files(corpus, indexes, _sharded(2))}
    # 3 events and 1 briefing, 2 per shard; actors, regions and sources go with the newest.
    first, second = _fragments(files, "pagefind/"), _fragments(files, "pagefind/shard-1/")
    assert len(first) + len(second) == len(records)
    assert {f["filters"]["shard"][0] for f in first} == {"0"}
    assert {f["filters"]["shard"][0] for f in second} == {"1"}
    assert max(f["url"] for f in first if "/briefings/" in f["url"] or "/events/" in f["url"]) \
        < min(f["url"] for f in second if "/events/" in f["url"])  # event ids start with their date
    assert {f["meta"]["kind"] for f in second} == {"Event", "Actor", "Region", "Source"}
    # A merged shard is data only: the primary bundle's scripts and WebAssembly read it.
    shard = {p for p in files if p.startswith("pagefind/shard-1/")}
    assert "pagefind/shard-1/pagefind-entry.json" in shard
    assert not [p for p in shard if p.endswith(".js") or "/wasm." in p]
    page = _page(files["search/index.html"])
    assert page.find(".//h:div[@id='search']", NS).get("data-shards") == "shard-1/"


def test_one_shard_has_no_shard_filter(built: dict[str, bytes]) -> None:
    assert all("shard" not in f["filters"] for f in _fragments(built, "pagefind/"))
    assert _page(built["search/index.html"]).find(".//h:div[@id='search']", NS).get("data-shards") == ""
    assert not [p for p in built if "/shard-" in p]


@pytest.mark.parametrize(("dated", "size", "count"), [(0, 10, 1), (4, 10, 1), (10, 10, 1), (11, 10, 2),
                                                        (25, 10, 3)])
def test_shards_split_the_records_in_order(dated: int, size: int, count: int) -> None:
    plan = search.ShardPlan.for_count(dated, size)
    assert plan.count == count
    assert plan.dirs == ("", *(f"shard-{k}/" for k in range(1, count)))
    records = (Record(f"/e/{i}/", "x", sort={"date": f"2019-01-{i % 28 + 1:02d}"}) for i in range(dated))
    parts = [list(p) for p in plan.split(records, [Record("/a/", "y")])]
    assert [r.url for p in parts for r in p] == [f"/e/{i}/" for i in range(dated)] + ["/a/"]
    assert all(len(p) <= size for p in parts[:-1])
    if count > 1:
        assert all(r.filters["shard"] == [str(k)] for k, p in enumerate(parts) for r in p)


def test_unchanged_shards_come_from_the_cache_byte_for_byte(minimal: tuple[Corpus, Indexes],
                                                            tmp_path: Path) -> None:
    # Rebuilds index only the shards whose records changed; a hit is exactly what Pagefind made.
    corpus, indexes = minimal
    config = dataclasses.replace(_sharded(2), cache_dir=tmp_path)
    fresh = {f.path: f.data for f in search.iter_files(corpus, indexes, _sharded(2))}
    first = {f.path: f.data for f in search.iter_files(corpus, indexes, config)}
    bundles = sorted((tmp_path / "search").glob("*.bundle"))
    assert first == fresh and len(bundles) == 2

    oldest = corpus.events_by_id[HOMS]  # in shard 0, with the other April 11 event
    edited = dataclasses.replace(oldest, title=oldest.title + " (corrected)")
    corpus2 = dataclasses.replace(corpus, events=tuple(edited if e.id == HOMS else e for e in corpus.events),
                                  events_by_id={**corpus.events_by_id, HOMS: edited})
    indexes2 = build_indexes(corpus2)
    second = {f.path: f.data for f in search.iter_files(corpus2, indexes2, config)}
    assert second == {f.path: f.data for f in search.iter_files(corpus2, indexes2, _sharded(2))}
    assert any("(corrected)" in f["meta"]["title"] for f in _fragments(second, "pagefind/"))
    after = sorted((tmp_path / "search").glob("*.bundle"))
    assert len(set(after) - set(bundles)) == 1  # shard 0 indexed again; shard 1 reused
    assert {p: d for p, d in second.items() if p.startswith("pagefind/shard-1/")} == \
        {p: d for p, d in first.items() if p.startswith("pagefind/shard-1/")}


def test_shard_keys_cover_every_record_field() -> None:
    base = Record("/events/a/", "words", "en", {"title": "A"}, {"kind": ["Event"]}, {"date": "2019-04-11"})
    variants = [dataclasses.replace(base, url="/events/b/"), dataclasses.replace(base, content="other"),
                dataclasses.replace(base, language="ar"), dataclasses.replace(base, meta={"title": "B"}),
                dataclasses.replace(base, filters={"kind": ["Actor"]}),
                dataclasses.replace(base, sort={"date": "2019-04-12"})]
    keys = {search.shard_key([r], "en", "") for r in [base, *variants]}
    assert len(keys) == 7
    assert search.shard_key([base], "en", "shard-1/") != search.shard_key([base], "en", "")
