"""The whole build: every stage's output lands; rebuilds touch only what changed; errors keep the old site."""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from sitrep.config import load_config
from sitrep.errors import ContentError
from sitrep.pipeline import OUTPUT_STAGES, build, default_cache
from tests.conftest import CONFIG, ROOT


def snapshot(site: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(site)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in site.rglob("*") if p.is_file()}


def test_build_reports_every_stage_time(built_minimal: Path, minimal_copy: Path, tmp_path: Path) -> None:
    result = build(minimal_copy, tmp_path / "site", load_config(CONFIG))
    for stage in ("load", "validate", "index", *OUTPUT_STAGES, "write", "total"):
        assert result.timings[stage] >= 0, stage
    assert result.report.total == len(snapshot(built_minimal))


@pytest.mark.parametrize("path", [
    "index.html", "events/2019-04-13-aleppo-western-checkpoints-attack/index.html",
    "regions/sy-hl/index.html",
    "actors/islamic-state/index.html", "sources/sohr/index.html", "timeline/2019/04/index.html",
    "map/index.html", "search/index.html", "about/index.html", "methodology/index.html",
    "data/events.csv", "data/events.json", "data/events.geojson", "feeds/atom.xml", "sitemap.xml",
    "robots.txt", "pagefind/pagefind.js", "briefings/2019-04-week-15/index.html",
    "briefings/2019-04-week-15.md", "briefings/2019-04-week-15.pdf",
])
def test_every_stage_writes_its_files(built_minimal: Path, path: str) -> None:
    assert (built_minimal / path).is_file(), path
    assert (built_minimal / path).stat().st_size > 0


def test_noop_rebuild_rewrites_nothing(minimal_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(minimal_copy, out, load_config(CONFIG))
    before = snapshot(out)
    result = build(minimal_copy, out, load_config(CONFIG))
    assert result.report.written == ()
    assert snapshot(out) == before  # same bytes and same mtimes


def test_editing_one_event_rewrites_only_pages_that_show_it(minimal_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(minimal_copy, out, load_config(CONFIG))
    before = snapshot(out)
    event = next(minimal_copy.glob("events/**/2019-04-13-aleppo-*.yaml"))
    event.write_text(event.read_text(encoding="utf-8").replace("title: ", "title: Updated ", 1),
                     encoding="utf-8")
    result = build(minimal_copy, out, load_config(CONFIG))
    written = set(result.report.written)
    assert f"events/{event.stem}/index.html" in written
    sohr = out / "sources/sohr/index.html"
    assert "sources/sohr/index.html" not in written or "Updated" in sohr.read_text(encoding="utf-8")
    assert len(written) < len(before) / 2
    unchanged = {p for p in before if p not in written and p in snapshot(out)}
    assert all(snapshot(out)[p] == before[p] for p in unchanged)


def test_rebuilds_from_the_caches_match_a_build_without_them(minimal_copy: Path, tmp_path: Path) -> None:
    # The Markdown and search-shard caches (beside the parse cache) only save work: the site built
    # with them, after an edit, is byte for byte the site a build from nothing makes.
    cache = tmp_path / ".sitrep-cache" / "parse-site.pickle"
    out = tmp_path / "site"
    build(minimal_copy, out, load_config(CONFIG), cache_path=cache)
    assert (cache.parent / "markdown.sqlite").is_file() and list((cache.parent / "search").glob("*.bundle"))
    event = next(minimal_copy.glob("events/**/2019-04-13-aleppo-*.yaml"))
    event.write_text(event.read_text(encoding="utf-8").replace("summary: ", "summary: Corrected. ", 1),
                     encoding="utf-8")
    build(minimal_copy, out, load_config(CONFIG), cache_path=cache)
    fresh = tmp_path / "fresh"
    build(minimal_copy, fresh, load_config(CONFIG))
    cached = {k: v[0] for k, v in snapshot(out).items()}
    assert cached == {k: v[0] for k, v in snapshot(fresh).items()}
    assert "Corrected." in (out / f"events/{event.stem}/index.html").read_text(encoding="utf-8")


EDITS = {
    # file (relative to content/) → (old text, new text): each reaches pages other than its own.
    "event": ("events/2019/2019-04-13-aleppo-western-checkpoints-attack.yaml", "summary: ",
              "summary: Corrected. "),
    "actor": ("actors/islamic-state.yaml", "name: Islamic State", "name: Islamic State (renamed)"),
    "region": ("regions/SY-HL.yaml", "name: Aleppo", "name: Aleppo (renamed)"),
    "source": ("sources/sohr.yaml", "name: Syrian Observatory", "name: The Syrian Observatory"),
    # The next event's page links to this one by title; nothing of the next event itself changes.
    "neighbour": ("events/2019/2019-04-12-aleppo-overnight-shelling.yaml", "title: ", "title: Renamed "),
    # A region's outline: the locator maps of its events are framed and projected on it.
    "geography": ("geo/SY.geojson", "[[[39.242,35.2493]", "[[[42.5,35.2493]"),
}
SHOWN = {"event": "Corrected.", "actor": "Islamic State (renamed)", "region": "Aleppo (renamed)",
         "source": "The Syrian Observatory", "neighbour": "Renamed",
         "geography": "events/2019-04-11-homs-eastern-desert-attacks/index.html"}
"""Text a page written by the rebuild must show (or, for the map, a page that must be rewritten)."""


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_pages_kept_by_their_key_are_the_pages_a_fresh_build_makes(minimal_copy: Path, tmp_path: Path,
                                                                   kind: str) -> None:
    # A rebuild renders only pages whose context changed (page_keys) and stages them in the spare
    # site the build before retired (write); whatever the edit, the result must be byte for byte a
    # build from nothing, and most pages must have been kept.
    cache = tmp_path / ".sitrep-cache" / "parse-site.pickle"
    out = tmp_path / "site"
    build(minimal_copy, out, load_config(CONFIG), cache_path=cache)
    assert not build(minimal_copy, out, load_config(CONFIG), cache_path=cache).report.from_spare
    rel, old, new = EDITS[kind]
    path = minimal_copy / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    rebuilt = build(minimal_copy, out, load_config(CONFIG), cache_path=cache).report
    assert rebuilt.from_spare
    fresh = tmp_path / "fresh"
    build(minimal_copy, fresh, load_config(CONFIG))
    assert {k: v[0] for k, v in snapshot(out).items()} == {k: v[0] for k, v in snapshot(fresh).items()}
    pages = sum(1 for p in snapshot(out) if p.endswith(".html"))
    keyed = sum(1 for p in snapshot(out) if p.startswith(("data/", "pagefind/")))
    assert 0 < rebuilt.kept < pages + keyed  # pages, data exports and search files are kept by key
    shown = SHOWN[kind]
    if shown.endswith(".html"):
        assert shown in rebuilt.written
    else:
        assert any(shown in (out / p).read_text(encoding="utf-8") for p in rebuilt.written
                   if p.endswith(".html"))
    if kind == "neighbour":
        assert "events/2019-04-13-aleppo-western-checkpoints-attack/index.html" in rebuilt.written


def test_a_template_or_config_change_renders_every_page_again(minimal_copy: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "templates", project / "templates")
    shutil.copy(CONFIG, project / "mkdocs.yml")
    cache = tmp_path / ".sitrep-cache" / "parse-site.pickle"
    out = tmp_path / "site"
    build(minimal_copy, out, load_config(project / "mkdocs.yml"), cache_path=cache)
    assert build(minimal_copy, out, load_config(project / "mkdocs.yml"), cache_path=cache).report.kept >= 20
    base = project / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</body>", "<!-- v2 --></body>"),
                    encoding="utf-8")
    report = build(minimal_copy, out, load_config(project / "mkdocs.yml"), cache_path=cache).report
    pages = [p for p in snapshot(out) if p.endswith(".html")
             and p.startswith(("index", "events/", "regions/", "actors/", "sources/", "timeline/", "map/"))]
    untemplated = [p for p in snapshot(out) if p.startswith(("feeds/", "data/", "pagefind/"))]
    assert report.kept == len(untemplated) and len(pages) >= 15  # these use no template
    assert all("<!-- v2 -->" in (out / p).read_text(encoding="utf-8") for p in pages)
    mkdocs = project / "mkdocs.yml"
    mkdocs.write_text(mkdocs.read_text(encoding="utf-8").replace("site_name:", "site_name: Renamed", 1),
                      encoding="utf-8")
    renamed = build(minimal_copy, out, load_config(mkdocs), cache_path=cache).report
    # Only the search index is kept: its records do not read the config (search_records).
    assert renamed.kept == sum(1 for p in snapshot(out) if p.startswith("pagefind/"))


@pytest.mark.parametrize("ahead_max", [4, 3])
def test_search_runs_ahead_in_its_own_process_up_to_ahead_max_records(
        minimal_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead_max: int) -> None:
    # The minimal corpus has 4 dated records, here in 4 shards; above AHEAD_MAX, in a build without
    # a cache (so no helper process: search_feed), the index is built before the other stages.
    from sitrep import search

    monkeypatch.setattr(search, "AHEAD_MAX", ahead_max)
    config = load_config(CONFIG)
    config = replace(config, extra={**config.extra, "sitrep": {**config.extra.get("sitrep", {}),
                                                               "search_shard_size": 2}})
    result = build(minimal_copy, tmp_path / "site", config)
    assert ("search_wait" in result.timings) == (ahead_max == 4) and result.timings["search"] > 0
    assert (tmp_path / "site" / "pagefind" / "pagefind-entry.json").is_file()
    assert len(list((tmp_path / "site" / "pagefind").glob("shard-*/pagefind-entry.json"))) == 4


def test_a_rebuild_runs_its_stages_without_the_cycle_collector(minimal_copy: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # heap.paused: on a rebuild only (a first build's peak memory grew without collections).
    import gc

    from sitrep import editorial

    seen: list[bool] = []
    real = editorial.iter_files

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        yield from real(*args, **kwargs)

    monkeypatch.setattr(editorial, "iter_files", watched)
    out = tmp_path / "site"
    build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out))
    build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out))
    assert seen == [True, False] and gc.isenabled()


def test_briefings_run_ahead_while_a_pdf_must_be_printed(minimal_copy: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # WeasyPrint's import and printing run in a forked child beside the render, on the second core.
    from sitrep import briefing

    monkeypatch.setattr("os.cpu_count", lambda: 2)  # the test machine may have one core
    out, config = tmp_path / "site", load_config(CONFIG)
    pdf = "briefings/2019-04-week-15.pdf"
    cold = build(minimal_copy, out, config, cache_path=default_cache(out))
    assert "briefing_wait" in cold.timings and cold.timings["briefing"] > 0
    ahead = (out / pdf).read_bytes()
    assert ahead.startswith(b"%PDF-")
    noop = build(minimal_copy, out, config, cache_path=default_cache(out))
    assert "briefing_wait" not in noop.timings  # every PDF in the cache: nothing worth a process
    assert noop.report.written == ()

    monkeypatch.setattr(briefing, "AHEAD_MAX", 2)  # the minimal corpus has more events than that
    here = tmp_path / "here"
    alone = build(minimal_copy, here, config)  # no cache: the PDF is printed, in the build's process
    assert "briefing_wait" not in alone.timings
    assert (here / pdf).read_bytes() == ahead
    assert snapshot(here).keys() == snapshot(out).keys()


def test_a_rebuild_indexing_few_records_runs_search_ahead_whatever_the_sites_size(
        minimal_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Above AHEAD_MAX dated records, but an edit re-indexes only its shard: that runs beside the render.
    from sitrep import search

    monkeypatch.setattr(search, "AHEAD_MAX", 2)
    config = load_config(CONFIG)
    config = replace(config, extra={**config.extra, "sitrep": {**config.extra.get("sitrep", {}),
                                                               "search_shard_size": 2}})
    out = tmp_path / "site"
    cold = build(minimal_copy, out, config, cache_path=default_cache(out))
    # 4 records to index: by a helper process (search_feed) given the records the build made
    assert "search_start" in cold.timings and "search_wait" in cold.timings
    event = next(minimal_copy.glob("events/**/2019-04-13-aleppo-*.yaml"))
    event.write_text(event.read_text(encoding="utf-8").replace("title: ", "title: Updated ", 1),
                     encoding="utf-8")
    edit = build(minimal_copy, out, config, cache_path=default_cache(out))
    assert "search_wait" in edit.timings  # one shard's records to index: ahead, in a forked child
    assert "search_start" not in edit.timings
    assert any(p.startswith("pagefind/shard-") for p in edit.report.written)
    fresh = tmp_path / "fresh"
    build(minimal_copy, fresh, config)
    assert {p: (out / p).read_bytes() for p in edit.report.written if p.startswith("pagefind/")} == {
        p: (fresh / p).read_bytes() for p in edit.report.written if p.startswith("pagefind/")}


@pytest.mark.parametrize("failure", ["raises", "dies"])
def test_a_stage_failing_in_its_own_process_fails_the_build_and_keeps_the_site(
        minimal_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    import os

    from sitrep import search

    out = tmp_path / "site"
    build(minimal_copy, out, load_config(CONFIG))
    before = snapshot(out)

    def broken(*args: object) -> object:  # runs in the forked child, which inherits this patch
        if failure == "dies":
            os._exit(3)
        raise ValueError("the index broke")

    monkeypatch.setattr(search, "iter_files", broken)
    expected = (RuntimeError, "ended without a result [(]exit code 3[)]") if failure == "dies" else (
        ValueError, "the index broke")
    with pytest.raises(expected[0], match=expected[1]):
        build(minimal_copy, out, load_config(CONFIG))
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".site.staging-*"))


def test_the_search_helper_failing_fails_the_build_and_keeps_the_site(
        minimal_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Above AHEAD_MAX records to index, a helper process indexes them (search_feed); the real
    # helper runs here, its Pagefind replaced by one that fails as a full disk would make it.
    from sitrep import search

    monkeypatch.setattr(search, "AHEAD_MAX", 0)
    out = tmp_path / "site"
    first = build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out))
    assert "search_start" in first.timings
    before = snapshot(out)
    event = next(minimal_copy.glob("events/**/2019-04-13-aleppo-*.yaml"))
    event.write_text(event.read_text(encoding="utf-8").replace("title: ", "title: Updated ", 1),
                     encoding="utf-8")
    fake = tmp_path / "pagefind"
    fake.write_text('#!/bin/sh\nif [ "$1" = --version ]; then echo "pagefind 1.5.2"; exit 0; fi\n'
                    'echo "No space left on device" >&2\nexit 3\n', encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    with pytest.raises(RuntimeError, match=r"helper process failed .*No space left on device"):
        build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out))
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".site.staging-*"))
    assert not list((tmp_path / ".sitrep-cache").rglob(".feed-*"))


def test_the_forked_stage_holds_no_copy_of_the_build_lock(minimal_copy: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # A copy would keep the lock for as long as the child lives, so after a SIGKILL of the build
    # the next one would be locked out (test_atomic kills builds at random moments).
    import os

    from sitrep import search

    def no_lock_here(*args: object) -> object:
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.endswith(".site.lock"):
                raise AssertionError(f"the search stage's process holds {target}")
        return iter(())

    monkeypatch.setattr(search, "iter_files", no_lock_here)
    result = build(minimal_copy, tmp_path / "site", load_config(CONFIG))
    assert "search_wait" in result.timings


def test_content_errors_leave_the_previous_site_untouched(minimal_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(minimal_copy, out, load_config(CONFIG))
    before = snapshot(out)
    (minimal_copy / "actors" / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        build(minimal_copy, out, load_config(CONFIG))
    assert "broken.yaml:2:1: error: invalid YAML" in err.value.format_message()
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".site.staging-*"))


def test_strict_fails_on_warnings(minimal_copy: Path, tmp_path: Path) -> None:
    event = next(minimal_copy.glob("events/**/2019-04-13-aleppo-*.yaml"))
    text = event.read_text(encoding="utf-8")
    event.write_text(text.replace("lat: 36.2012", "lat: 33.0", 1), encoding="utf-8")
    assert "lat: 33.0" in event.read_text(encoding="utf-8")
    result = build(minimal_copy, tmp_path / "site", load_config(CONFIG))
    assert any("lies outside region" in w.message for w in result.warnings)
    with pytest.raises(ContentError):
        build(minimal_copy, tmp_path / "site2", load_config(CONFIG), strict=True)


def test_the_first_rebuild_after_a_cold_build_keeps_every_page(minimal_copy: Path, tmp_path: Path) -> None:
    # The cold build reads freshly parsed YAML, the next one the parse cache: page keys must not
    # tell them apart. They once did, through which equal strings were one object in a pickle
    # (pinned by test_page_keys; this small corpus did not show it, 10k events did).
    cache = tmp_path / ".sitrep-cache" / "parse-site.pickle"
    out = tmp_path / "site"
    build(minimal_copy, out, load_config(CONFIG), cache_path=cache)
    second = build(minimal_copy, out, load_config(CONFIG), cache_path=cache).report
    third = build(minimal_copy, out, load_config(CONFIG), cache_path=cache).report
    assert second.written == third.written == ()
    assert second.kept == third.kept > 0


def test_a_rebuild_reads_only_the_content_files_changed_since_the_cache_was_saved(
        minimal_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitrep import load as load_mod

    time.sleep(0.06)  # files changed within a clock tick of a build are read again by the next
    cache, config = tmp_path / "cache" / "parse.pickle", load_config(CONFIG)
    build(minimal_copy, tmp_path / "site", config, cache_path=cache)
    event = sorted((minimal_copy / "events").rglob("*.yaml"))[0]
    event.write_text(event.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1),
                     encoding="utf-8")
    read: list[str] = []
    real = load_mod._read_bytes
    monkeypatch.setattr(load_mod, "_read_bytes", lambda path: read.append(str(path)) or real(path))
    result = build(minimal_copy, tmp_path / "site", config, cache_path=cache)
    assert read == [str(event)]
    assert any(e.title.startswith("Edited ") for e in result.corpus.events)


def test_the_parse_cache_is_kept_when_content_has_errors(minimal_copy: Path, tmp_path: Path) -> None:
    # It is saved once validation is done, before the later stages (which no longer hold the
    # parsed YAML): an editor fixing errors re-runs against parsed files.
    from sitrep.load import ParseCache

    event = next((minimal_copy / "events").rglob("*.yaml"))
    event.write_text(event.read_text(encoding="utf-8").replace("status: ", "status: bogus-", 1),
                     encoding="utf-8")
    cache = tmp_path / "cache" / "parse.pickle"
    with pytest.raises(ContentError):
        build(minimal_copy, tmp_path / "site", load_config(CONFIG), cache_path=cache)
    assert not (tmp_path / "site").exists()
    entries = ParseCache.open(cache).entries
    assert len(entries) == sum(1 for p in minimal_copy.rglob("*") if p.suffix in (".yaml", ".md", ".geojson"))


def test_search_runs_before_the_other_stages_when_it_does_not_run_ahead(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Pagefind's memory then adds to the build's while it is smallest (search.RUNS_EARLY).
    from sitrep import pipeline, search
    from sitrep.index import build_indexes
    from sitrep.validate import load_corpus
    from tests.conftest import MINIMAL

    corpus = load_corpus(MINIMAL)
    indexes, config = build_indexes(corpus), load_config(CONFIG)
    for ahead_max, first in ((0, "search/index.html"), (10**6, "index.html")):
        monkeypatch.setattr(search, "AHEAD_MAX", ahead_max)
        ahead: set[str] = set()
        files = pipeline._chain_stages(corpus, indexes, config, {}, ahead)
        try:
            assert next(files).path == first
        finally:
            files.close()
        assert ("search" in ahead) == (ahead_max > 0)


def test_a_stage_indexed_by_a_helper_is_written_before_the_exports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The exports' peak must not add to Pagefind's (pipeline.BESIDE_DONE_BEFORE).
    from sitrep import briefing, pipeline, search
    from sitrep.index import build_indexes
    from sitrep.validate import load_corpus
    from tests.conftest import MINIMAL

    monkeypatch.setattr(search, "AHEAD_MAX", 0)
    monkeypatch.setattr(briefing, "AHEAD_MAX", 0)  # its PDF printed here, in order: not this test's subject
    corpus = load_corpus(MINIMAL)
    config = replace(load_config(CONFIG), cache_dir=tmp_path)
    timings: dict[str, float] = {}
    ahead: set[str] = set()
    paths = [f.path for f in pipeline._chain_stages(corpus, build_indexes(corpus), config, timings, ahead)]
    assert ahead == {"search"} and "search_start" in timings
    assert OUTPUT_STAGES.index("search") > OUTPUT_STAGES.index(pipeline.BESIDE_DONE_BEFORE)
    first_export = min(i for i, p in enumerate(paths) if p.startswith("data/"))
    assert max(i for i, p in enumerate(paths) if p.startswith("pagefind/")) < first_export
    assert paths.count("search/index.html") == 1 and len(paths) == len(set(paths))
