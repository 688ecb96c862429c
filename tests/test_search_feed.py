"""search_feed: a large site's search shards indexed by Pagefind in a helper process, through the cache."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest

from sitrep import search
from sitrep.config import SiteConfig
from sitrep.index import Indexes, build_indexes
from sitrep.model import Corpus
from sitrep.pagefind_client import Record
from sitrep.search_feed import STALE_AFTER_S, Feed
from sitrep.validate import load_corpus

MINIMAL = Path(__file__).resolve().parent / "fixtures" / "minimal" / "content"


@pytest.fixture(scope="module")
def minimal() -> tuple[Corpus, Indexes]:
    corpus = load_corpus(MINIMAL)
    return corpus, build_indexes(corpus)


def _sharded(size: int, cache: Path | None = None) -> SiteConfig:
    return dataclasses.replace(SiteConfig(), extra={"sitrep": {"search_shard_size": size}}, cache_dir=cache)


@pytest.mark.parametrize("size", [2, 4000])
def test_bundles_indexed_beside_are_the_bundles_the_stage_makes_itself(
        minimal: tuple[Corpus, Indexes], tmp_path: Path, size: int) -> None:
    corpus, indexes = minimal
    inline = {f.path: f.data for f in search.iter_files(corpus, indexes, _sharded(size))}
    beside = search.start_beside(corpus, indexes, _sharded(size, tmp_path))
    assert beside is not None
    files, seconds = beside.result()
    assert {f.path: f.data for f in files} == inline and seconds > 0
    shards = {p.split("/")[1] for p in inline if p.startswith("pagefind/shard-")}
    assert len(shards) == (4 if size == 2 else 0)
    assert len(list((tmp_path / "search").glob("*.bundle"))) == len(shards) + 1
    assert not list((tmp_path / "search").glob(".feed-*"))  # the records handed over are gone

    # Everything is in the cache now: nothing is handed to the helper, the files are the same.
    again = search.start_beside(corpus, indexes, _sharded(size, tmp_path))
    assert again is not None
    files, _ = again.result()
    assert again._feed.made == 0
    assert {f.path: f.data for f in files} == inline


def test_an_edit_has_the_helper_index_only_the_shards_it_changed(minimal: tuple[Corpus, Indexes],
                                                                 tmp_path: Path) -> None:
    corpus, indexes = minimal
    first = search.start_beside(corpus, indexes, _sharded(2, tmp_path))
    assert first is not None
    before = {f.path: f.data for f in first.result()[0]}
    homs = corpus.events_by_id["2019-04-11-homs-eastern-desert-attacks"]
    edited = dataclasses.replace(homs, title=homs.title + " (corrected)")
    corpus2 = dataclasses.replace(corpus, events=tuple(edited if e is homs else e for e in corpus.events),
                                  events_by_id={**corpus.events_by_id, homs.id: edited})
    indexes2 = build_indexes(corpus2)
    beside = search.start_beside(corpus2, indexes2, _sharded(2, tmp_path))
    assert beside is not None
    after = {f.path: f.data for f in beside.result()[0]}
    # The event's shard and the briefing's, which cites the event by its title (as in test_search).
    assert beside._feed.made == 2
    assert after == {f.path: f.data for f in search.iter_files(corpus2, indexes2, _sharded(2))}
    assert after != before


def test_a_failing_helper_fails_the_stage_with_its_message(tmp_path: Path) -> None:
    feed = Feed(tmp_path)
    # Pickles, but is no JSON: the helper fails making the request Pagefind would be sent.
    feed.add("key", "", "en", [Record("/events/a/", "words", meta={"title": object()})])  # type: ignore[dict-item]
    with pytest.raises(RuntimeError, match=r"helper process failed \(exit status 1\): TypeError: .*JSON"):
        feed.finish()
    assert not list(tmp_path.glob(".feed-*")) and not list(tmp_path.glob("*.bundle"))


def test_stopping_the_helper_kills_it_and_removes_what_it_had_not_read(tmp_path: Path) -> None:
    feed = Feed(tmp_path)
    process = feed._process
    assert process is not None
    records = [Record(f"/events/{n}/", f"words of event {n} " * 50) for n in range(3000)]
    for n in range(3):
        feed.add(f"key{n}", f"shard-{n}/", "en", records)
    feed.stop()
    assert process.poll() is not None
    assert not list(tmp_path.glob(".feed-*"))
    with pytest.raises(RuntimeError, match="stopped"):
        feed.finish()


def test_records_files_a_killed_build_left_a_day_ago_are_removed(tmp_path: Path) -> None:
    old, recent = tmp_path / ".feed-1-0.records", tmp_path / ".feed-2-0.records"
    for path in (old, recent):
        path.write_bytes(b"")
    then = time.time() - STALE_AFTER_S - 60
    os.utime(old, (then, then))
    Feed(tmp_path).stop()
    assert not old.exists() and recent.exists()  # recent: maybe a running build's


def test_without_a_helper_process_the_stage_runs_in_the_build(minimal: tuple[Corpus, Indexes],
                                                              tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, indexes = minimal
    monkeypatch.setattr("sys.executable", str(tmp_path / "no-such-python"))
    assert search.start_beside(corpus, indexes, _sharded(2, tmp_path)) is None
    assert search.start_beside(corpus, indexes, _sharded(2)) is None  # no cache to hand bundles back
