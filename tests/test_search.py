"""Search stage: the Pagefind bundle (in shards when large) and the /search/ page."""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import json
import random
import shutil
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
from sitrep.validate import CheckMemo, load_corpus
from sitrep.write import OutputFile, check_path
from tests.conftest import checked_again

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
    config = _sharded(2)
    files = {f.path: f.data for f in search.iter_files(corpus, indexes, config)}
    # 3 events and 1 briefing; with shards of about 2 records every record here ends one.
    plan = search.ShardPlan.for_corpus(corpus, indexes, config)
    assert plan.count == 4 and sum(plan.lengths) == 4
    page = _page(files["search/index.html"])
    listed = page.find(".//h:div[@id='search']", NS).get("data-shards").split()
    assert listed == list(plan.dirs[1:]) and all(d.startswith("shard-") for d in listed)
    # The primary bundle holds the actors, regions and sources, with no shard filter.
    primary = _fragments(files, "pagefind/")
    assert {f["meta"]["kind"] for f in primary} == {"Actor", "Region", "Source"}
    assert all("shard" not in f["filters"] for f in primary)
    # The shards, in the order the page lists them, hold the dated records in date order, each
    # record filtered by its shard's folder name.
    # Each also holds its shard's own word, which the page searches for to list one shard alone.
    words = page.find(".//h:div[@id='search']", NS).get("data-shard-words").split()
    assert len(set(words)) == len(words) == len(listed)
    dated: list[dict] = []
    for folder, word in zip(listed, words, strict=True):
        part = _fragments(files, f"pagefind/{folder}")
        assert {f["filters"]["shard"][0] for f in part} == {folder.rstrip("/")}
        assert {f["meta"]["every"] for f in part} == {f"{search.EVERY} {word}"}
        assert word.isalnum() and word == search.shard_word(folder.rstrip("/"))
        dated += part
    assert all(f["meta"]["every"] == search.EVERY for f in primary)
    assert len(primary) + len(dated) == len(records)
    dates = [records[f["url"]].sort["date"] for f in dated]
    assert dates == sorted(dates)
    # A merged shard is data only: the primary bundle's scripts and WebAssembly read it.
    shard = {p for p in files if p.startswith(f"pagefind/{listed[0]}")}
    assert f"pagefind/{listed[0]}pagefind-entry.json" in shard
    assert not [p for p in shard if p.endswith(".js") or "/wasm." in p]


def test_one_shard_has_no_shard_filter(built: dict[str, bytes]) -> None:
    assert all("shard" not in f["filters"] for f in _fragments(built, "pagefind/"))
    assert _page(built["search/index.html"]).find(".//h:div[@id='search']", NS).get("data-shards") == ""
    assert not [p for p in built if "/shard-" in p]


def _urls(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"/events/{i:05d}-{rng.randrange(10**9)}/" for i in range(n)]


def _shards(plan: search.ShardPlan, urls: list[str]) -> list[tuple[str, ...]]:
    ends = list(itertools.accumulate(plan.lengths))
    return [tuple(urls[a:b]) for a, b in zip([0, *ends], ends, strict=False)]


@pytest.mark.parametrize(("dated", "size"), [(0, 10), (1, 10), (7, 10), (40, 10), (4000, 100)])
def test_shards_split_the_records_in_order(dated: int, size: int) -> None:
    urls = _urls(dated)
    plan = search.ShardPlan.cut(urls, size)
    assert sum(plan.lengths) == dated and len(plan.names) == plan.count == len(set(plan.names))
    assert all(size * 3 // 4 <= n <= size * 3 // 2 for n in plan.lengths[:-1])
    assert all(n <= size * 3 // 2 for n in plan.lengths)
    records = (Record(u, "x", sort={"date": "2019-01-01"}) for u in urls)
    parts = [list(p) for p in plan.split(records, [Record("/a/", "y")])]
    assert len(parts) == len(plan.dirs)
    if plan.count <= 1:
        assert [r.url for r in parts[0]] == [*urls, "/a/"] and plan.dirs == ("",)
        assert all("shard" not in r.filters for r in parts[0])
        return
    assert [r.url for r in parts[0]] == ["/a/"]  # the primary bundle: the undated records
    assert [r.url for p in parts[1:] for r in p] == urls
    for folder, part in zip(plan.dirs[1:], parts[1:], strict=True):
        assert {tuple(r.filters["shard"]) for r in part} == {(folder.rstrip("/"),)}


def test_a_small_index_comes_in_smaller_shards_unless_the_config_says() -> None:
    # The smaller the index, the smaller its shards (an edit re-indexes fewer records), never more
    # than about a dozen (a reader's search reads each); mkdocs.yml's search_shard_size overrides.
    sizes = [search.shard_size(SiteConfig(), n) for n in (1, 1_500, 2_001, 10_000, 12_500, 12_501,
                                                          search.AHEAD_MAX, search.AHEAD_MAX + 1, 1_000_000)]
    assert sizes == [2_000, 2_000, 1_000, 1_000, 1_000, 2_000, 2_000, search.SHARD_SIZE, search.SHARD_SIZE]
    assert search.ShardPlan.cut(_urls(1_400), search.shard_size(SiteConfig(), 1_400)).count == 1
    assert search.SMALL_SHARD_SIZES[-1][0] == search.AHEAD_MAX
    assert search.shard_size(_sharded(300), 10_000) == search.shard_size(_sharded(300), 100_000) == 300
    for dated in (10_000, 12_500, 25_000):
        plan = search.ShardPlan.cut(_urls(dated), search.shard_size(SiteConfig(), dated))
        assert 6 <= plan.count <= 17, (dated, plan.count)
        assert max(plan.lengths) <= search.shard_size(SiteConfig(), dated) * 3 // 2


def test_adding_or_removing_an_event_moves_few_shards() -> None:
    # Shard boundaries follow the URLs, not record counts, so an event added or removed anywhere
    # changes the shard it falls in and seldom its neighbours; a split every `size` records would
    # change every shard after it. Each changed shard is indexed again on the next build.
    urls, size = _urls(4000), 100
    before = set(_shards(search.ShardPlan.cut(urls, size), urls))
    changed = []
    for at in range(0, len(urls), 7):
        for after in ([*urls[:at], f"/events/new-{at}/", *urls[at:]], urls[:at] + urls[at + 1:]):
            changed.append(len(set(_shards(search.ShardPlan.cut(after, size), after)) - before))
    assert len(before) > 30
    assert min(changed) == 1 and max(changed) <= 5
    assert changed.count(1) >= 0.85 * len(changed)
    # Editing a record keeps its URL, so no boundary moves; a shard's name is its first URL's.
    again = search.ShardPlan.cut(list(urls), size)
    assert again == search.ShardPlan.cut(urls, size)


def test_unchanged_shards_come_from_the_cache_byte_for_byte(minimal: tuple[Corpus, Indexes],
                                                            tmp_path: Path) -> None:
    # Rebuilds index only the shards whose records changed; a hit is exactly what Pagefind made.
    corpus, indexes = minimal
    config = dataclasses.replace(_sharded(2), cache_dir=tmp_path)
    fresh = {f.path: f.data for f in search.iter_files(corpus, indexes, _sharded(2))}
    first = {f.path: f.data for f in search.iter_files(corpus, indexes, config)}
    bundles = sorted((tmp_path / "search").glob("*.bundle"))
    assert first == fresh and len(bundles) == 5  # the primary and 4 shards

    oldest = corpus.events_by_id[HOMS]
    edited = dataclasses.replace(oldest, title=oldest.title + " (corrected)")
    corpus2 = dataclasses.replace(corpus, events=tuple(edited if e.id == HOMS else e for e in corpus.events),
                                  events_by_id={**corpus.events_by_id, HOMS: edited})
    indexes2 = build_indexes(corpus2)
    second = {f.path: f.data for f in search.iter_files(corpus2, indexes2, config)}
    assert second == {f.path: f.data for f in search.iter_files(corpus2, indexes2, _sharded(2))}
    after = sorted((tmp_path / "search").glob("*.bundle"))
    # Indexed again: the event's shard and the briefing's, which cites the event by its title.
    shards = [p for p in second if p.startswith("pagefind/shard-")]
    changed = {p.split("/")[1] for p in shards if second[p] != first.get(p)}
    mention = {p.split("/")[1] for p in shards
               if "/fragment/" in p and b"(corrected)" in gzip.decompress(second[p])}
    assert changed == mention and len(changed) == 2
    assert len(set(after) - set(bundles)) == 2
    assert {p: d for p, d in second.items() if p.split("/")[1] not in changed and p != "search/index.html"} \
        == {p: d for p, d in first.items() if p.split("/")[1] not in changed and p != "search/index.html"}


@pytest.mark.parametrize("size", [1, 2, 3])
def test_shards_indexed_two_at_a_time_are_the_shards_indexed_one_by_one(
        minimal: tuple[Corpus, Indexes], tmp_path: Path, size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, indexes = minimal
    alone = {f.path: f.data for f in search.iter_files(corpus, indexes, _sharded(size))}
    busy: list[int] = []
    running = {"now": 0}
    index_files = search.index_files

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        running["now"] += 1
        busy.append(running["now"])
        try:
            yield from index_files(*args, **kwargs)
        finally:
            running["now"] -= 1

    monkeypatch.setattr(search, "index_files", counted)  # counts the real Pagefind runs in flight
    config = dataclasses.replace(_sharded(size), cache_dir=tmp_path)
    paired = {f.path: f.data for f in search.iter_files(corpus, indexes, config, in_pairs=True)}
    assert paired == alone
    assert len({p.split("/")[1] for p in paired if p.startswith("pagefind/shard-")}) >= 2
    assert max(busy) == 2  # two shards were indexed at the same time
    again = {f.path: f.data for f in search.iter_files(corpus, indexes, config, in_pairs=True)}
    assert again == alone and len(busy) == len({p.split("/")[1] for p in paired if "shard-" in p}) + 1

    # Above PAIRS_MAX dated records, one shard at a time (two Pagefinds beside a large model).
    monkeypatch.setattr(search, "PAIRS_MAX", 1)
    busy.clear()
    shutil.rmtree(tmp_path / "search")
    assert {f.path: f.data for f in search.iter_files(corpus, indexes, config, in_pairs=True)} == alone
    assert max(busy) == 1


def test_shard_keys_cover_every_record_field() -> None:
    base = Record("/events/a/", "words", "en", {"title": "A"}, {"kind": ["Event"]}, {"date": "2019-04-11"})
    variants = [dataclasses.replace(base, url="/events/b/"), dataclasses.replace(base, content="other"),
                dataclasses.replace(base, language="ar"), dataclasses.replace(base, meta={"title": "B"}),
                dataclasses.replace(base, filters={"kind": ["Actor"]}),
                dataclasses.replace(base, sort={"date": "2019-04-12"})]
    keys = {search.shard_key([r], "en", "") for r in [base, *variants]}
    assert len(keys) == 7
    assert search.shard_key([base], "en", "shard-1/") != search.shard_key([base], "en", "")


EDITS = [
    ("events/2019/2019-04-11-homs-eastern-desert-attacks.yaml", "title: ", "title: Corrected "),
    ("actors/islamic-state.yaml", "name: ", "name: Renamed "),
    ("regions/SY-HI.yaml", "name: ", "name: Renamed "),
    ("sources/sohr.yaml", "name: ", "name: Renamed "),
    ("briefings/2019-04-week-15.md", "summary: ", "summary: Revised. "),
]
"""One edit to each kind of file a dated shard's records are made from: (file, text, replacement)."""


@pytest.mark.parametrize(("rel", "old", "new"), EDITS)
def test_shards_kept_by_their_inputs_are_what_pagefind_makes_again(tmp_path: Path, rel: str, old: str,
                                                                   new: str) -> None:
    # Dated shards are keyed by what their records are made from, not by the records, so a
    # rebuild that keeps them makes no record. Every file a record shows is in that key.
    content = Path(shutil.copytree(MINIMAL, tmp_path / "content"))
    cached = dataclasses.replace(_sharded(2), cache_dir=tmp_path / "cache")

    def files(config: SiteConfig) -> dict[str, bytes]:
        corpus = load_corpus(content)
        return {f.path: f.data for f in search.iter_files(corpus, build_indexes(corpus), config)}

    first = files(cached)
    bundles = {p.name for p in (tmp_path / "cache" / "search").iterdir()}
    assert sum(n.startswith("inputs-") for n in bundles) == 4  # every dated shard; not the primary
    assert files(cached) == first
    path = content / rel
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    edited = files(cached)
    assert edited == files(_sharded(2)) and edited != first
    made = {p.name for p in (tmp_path / "cache" / "search").iterdir()} - bundles
    # Indexed again: the shards whose records changed (and the primary bundle when it did).
    changed = {p.split("/")[1] if p.startswith("pagefind/shard-") else "" for p in edited
               if edited[p] != first.get(p) and p.startswith("pagefind/")}
    assert len(made) == len(changed) >= 1


def test_a_cached_bundle_is_handed_on_as_keyed_files_whose_bytes_are_read_when_made(tmp_path: Path) -> None:
    import pickle

    from sitrep.blob_cache import BlobCache
    from sitrep.write import PendingFile

    bundles = BlobCache(tmp_path, ".bundle")
    blob = search._pack([OutputFile("pagefind/a.pf", b"A"), OutputFile("pagefind/b.pf", b"B")])
    files = list(search._cached_bundle(bundles, "k1", lambda: blob))
    assert [f.path for f in files] == ["pagefind/a.pf", "pagefind/b.pf"]
    assert all(isinstance(f, PendingFile) for f in files)
    other = list(search._cached_bundle(bundles, "k2", lambda: blob))
    assert len({f.key for f in files + other}) == 4  # by bundle and path: another bundle's differ
    sent = pickle.loads(pickle.dumps(files[1]))  # as the forked search stage hands it to the build
    assert sent.key == files[1].key and sent.data == b"B" and files[0].data == b"A"
    (tmp_path / "k2.bundle").unlink()
    with pytest.raises(RuntimeError, match="went away during the build"):
        other[0].make()
    (tmp_path / "k1.bundle").write_bytes(blob[:-1])
    with pytest.raises(RuntimeError, match="changed during the build"):
        files[1].make()


def test_the_stage_uses_the_shard_keys_to_index_made_for_the_same_corpus(tmp_path: Path) -> None:
    # The pipeline asks to_index whether the stage runs ahead, then runs it (in a forked child):
    # the keys to_index made are used, not made again, and only for the corpus they were made for.
    content = Path(shutil.copytree(MINIMAL, tmp_path / "content"))
    cached = dataclasses.replace(_sharded(2), cache_dir=tmp_path / "cache")
    corpus = load_corpus(content)
    indexes = build_indexes(corpus)
    first = {f.path: f.data for f in search.iter_files(corpus, indexes, cached)}
    assert search.to_index(corpus, indexes, cached) == 0  # every shard is in the cache now
    assert search._KEYED and search._KEYED[0][0] is corpus
    kept = search._KEYED[0][3]
    assert search._shards_keyed(search.ShardPlan.for_corpus(corpus, indexes, cached), corpus, indexes,
                                cached.language, search._bundles(cached)) is kept
    assert not search._KEYED  # taken once

    search.to_index(corpus, indexes, cached)
    assert {f.path: f.data for f in search.iter_files(corpus, indexes, cached)} == first

    path = content / "events/2019/2019-04-11-homs-eastern-desert-attacks.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: Corrected ", 1),
                    encoding="utf-8")
    search.to_index(corpus, indexes, cached)  # keys of the old corpus, left over
    edited = load_corpus(content)
    files = {f.path: f.data for f in search.iter_files(edited, build_indexes(edited), cached)}
    assert files == {f.path: f.data for f in search.iter_files(edited, build_indexes(edited), _sharded(2))}
    assert files != first and not search._KEYED


@pytest.mark.parametrize(("rel", "old", "new"), EDITS)
def test_a_memo_keeps_the_keys_of_shards_made_of_the_same_objects(tmp_path: Path, rel: str, old: str,
                                                                   new: str) -> None:
    # serve keeps a ShardKeyMemo: a shard whose events are the very objects of the last build, with
    # the same regions, actors and sources, keeps its key without keying it again; the keys are
    # always those a build without the memo makes.
    content = Path(shutil.copytree(MINIMAL, tmp_path / "content"))
    config = dataclasses.replace(_sharded(2), cache_dir=tmp_path / "cache")
    checks, memo = CheckMemo(), search.ShardKeyMemo()

    def keyed(corpus: Corpus, indexes: Indexes, with_memo: bool) -> list[tuple[str, str | None]]:
        plan = search.ShardPlan.for_corpus(corpus, indexes, config)
        shards = search._keyed_shards(plan, corpus, indexes, config.language, search._bundles(config),
                                      memo if with_memo else None)
        return [(name, key) for name, _items, key in shards]

    corpus, indexes = checked_again(content, checks)
    first = keyed(corpus, indexes, True)
    assert first == keyed(corpus, indexes, False) and all(key for _name, key in first)
    assert len(memo.keys) == len(first)
    counted: list[int] = []
    inputs_key = search.ShardInputs.key

    def counting(self: search.ShardInputs, items: list, subdir: str) -> str | None:
        counted.append(len(items))
        return inputs_key(self, items, subdir)

    search.ShardInputs.key = counting  # type: ignore[method-assign]
    try:
        assert keyed(*checked_again(content, checks), True) == first
        assert counted == []
        path = content / rel
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        counted.clear()
        edited = checked_again(content, checks)
        again = keyed(*edited, True)
    finally:
        search.ShardInputs.key = inputs_key  # type: ignore[method-assign]
    assert again == keyed(*edited, False) and again != first
    # An event's shard, and those whose briefings cite it; a briefing's; every shard when an actor,
    # a region or a source changed (the memo holds only while those are the very same objects).
    refs_changed = rel.startswith(("actors/", "regions/", "sources/"))
    assert (len(counted) == len(first)) if refs_changed else (1 <= len(counted) < len(first))
