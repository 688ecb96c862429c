"""The check memo on disk: a build from the command line validates only files the last saved check
did not, reports every problem as a fresh check would, and ignores a memo it cannot trust."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from sitrep import check_cache
from sitrep.check_cache import memo_path, open_memo, save_memo
from sitrep.config import load_config
from sitrep.errors import ContentError
from sitrep.load import load
from sitrep.pipeline import build, default_cache
from sitrep.validate import CheckMemo, check
from tests.conftest import CONFIG, site_digests

EVENT = "events/2019/2019-04-13-aleppo-western-checkpoints-attack.yaml"
OTHER = "events/2019/2019-04-11-homs-eastern-desert-attacks.yaml"


def _build(content: Path, out: Path):  # type: ignore[no-untyped-def]
    return build(content, out, load_config(CONFIG), cache_path=default_cache(out))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_saved_memo_gives_the_check_a_fresh_check_gives(minimal_copy: Path) -> None:
    path = minimal_copy.parent / "cache" / "parse-site.checked.pickle"
    docs = load(minimal_copy)
    memo, found = open_memo(path)
    assert not found
    fresh = check(docs, memo)
    save_memo(memo, path, found=found)
    assert path.is_file()
    again, found = open_memo(path)
    assert found and again.events.keys() == memo.events.keys()
    cached = check(docs, again)
    assert again.changes == 0  # every event file's outcome came from the memo
    assert cached.problems == fresh.problems
    assert cached.corpus is not None and fresh.corpus is not None
    assert cached.corpus.events == fresh.corpus.events  # equal records, made from the file's pickle
    assert dict(cached.corpus.actors) == dict(fresh.corpus.actors)


def test_command_line_builds_use_it_and_still_report_every_problem(minimal_copy: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "site"
    # A warning in one file: reported by the build that saves the memo and by the one that uses it.
    _edit(minimal_copy / OTHER, "  lat: 34", "  lat: 14")
    first = _build(minimal_copy, out)
    warned = [p.format() for p in first.warnings]
    assert any("lies outside region" in w for w in warned)
    assert memo_path(default_cache(out)).is_file()
    second = _build(minimal_copy, out)
    assert [p.format() for p in second.warnings] == warned
    # An error in an edited file is found although the memo knows the file's old version.
    _edit(minimal_copy / EVENT, "event_type: ", "event_type: Nonsense ")
    with pytest.raises(ContentError) as failed:
        _build(minimal_copy, out)
    assert any(p.path.endswith(EVENT.rsplit("/", 1)[1]) and "event_type" in p.message
               for p in failed.value.problems)
    # Fixed, and an actor renamed (what events are checked against): the site a cold build makes.
    _edit(minimal_copy / EVENT, "event_type: Nonsense ", "event_type: ")
    _edit(minimal_copy / "actors/islamic-state.yaml", "name: Islamic State", "name: Islamic State group")
    _build(minimal_copy, out)
    cold = tmp_path / "cold"
    build(minimal_copy, cold, load_config(CONFIG))
    assert site_digests(out) == site_digests(cold)


def test_a_memo_of_other_code_or_damaged_or_naming_other_callables_is_not_used(
        minimal_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    _build(minimal_copy, out)
    path = memo_path(default_cache(out))
    assert open_memo(path)[1]
    # Written by another version of Sitrep: its rules may differ.
    monkeypatch.setattr(check_cache, "_VERSION", check_cache._VERSION + 1)
    assert open_memo(path) == (CheckMemo(), False)
    monkeypatch.undo()
    path.write_bytes(path.read_bytes()[:1000])  # cut short, as by a full disk
    assert open_memo(path) == (CheckMemo(), False)
    _build(minimal_copy, out)  # validates every file, and saves a good memo again
    assert open_memo(path)[1]
    # A cache restored from elsewhere cannot run code on load.
    path.write_bytes(pickle.dumps((check_cache._stamp(), None, None, {"x": _Evil()})))
    assert open_memo(path) == (CheckMemo(), False)


def test_serves_first_build_starts_from_the_saved_memo(minimal_copy: Path, tmp_path: Path) -> None:
    from sitrep.warm import Warm

    out = tmp_path / "site"
    _build(minimal_copy, out)
    _edit(minimal_copy / EVENT, "title: ", "title: Updated ")
    warm = Warm()
    build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out), warm=warm)
    assert warm.check.changes == 2  # only the edited file: its new version read, the old one dropped
    cold = tmp_path / "cold"
    build(minimal_copy, cold, load_config(CONFIG))
    assert site_digests(out) == site_digests(cold)


def test_serve_saves_the_memo_when_it_stops(minimal_copy: Path, tmp_path: Path) -> None:
    # Its builds keep the memo in memory; Warm.save (serve's stop) writes it for the next build.
    from sitrep.warm import Warm

    out = tmp_path / "site"
    cache = default_cache(out)
    warm = Warm()
    build(minimal_copy, out, load_config(CONFIG), cache_path=cache, warm=warm)
    _edit(minimal_copy / EVENT, "title: ", "title: Updated ")
    build(minimal_copy, out, load_config(CONFIG), cache_path=cache, warm=warm)
    path = memo_path(cache)
    assert not path.is_file()
    warm.save()
    memo, found = open_memo(path)
    docs = load(minimal_copy)
    assert found and set(memo.events) == {(d.path, d.digest) for d in docs if d.kind == "events"}
    fresh = check(docs)
    assert check(docs, memo).corpus == fresh.corpus and memo.changes == 0
    # Changes count from the save on, over builds, until enough of them make the next save write.
    _edit(minimal_copy / EVENT, "title: Updated ", "title: ")
    build(minimal_copy, out, load_config(CONFIG), cache_path=cache, warm=warm)
    assert (warm.check_found, warm.check_changes) == (True, 2)


class _Evil:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        import os

        return (os.system, ("exit 3",))


def test_a_few_changed_files_do_not_rewrite_the_memo(minimal_copy: Path, tmp_path: Path) -> None:
    # Saving costs seconds at 100k events: one edit in SAVE_SHARE files or fewer leaves it, and the
    # next build checks that file again.
    out = tmp_path / "site"
    _build(minimal_copy, out)
    path = memo_path(default_cache(out))
    memo = open_memo(path)[0]
    memo.changes = 1
    memo.events = {(str(i), ""): (None, ()) for i in range(check_cache.SAVE_SHARE * 2)}
    before = path.stat().st_mtime_ns
    save_memo(memo, path, found=True)
    assert path.stat().st_mtime_ns == before
    memo.changes = 2
    save_memo(memo, path, found=True)
    assert path.stat().st_mtime_ns != before
