"""The on-disk Markdown cache: reuse across builds, safe keys, recovery from a broken file, pruning."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import sitrep.markup as markup
from sitrep.markup import disk_cache, to_html
from sitrep.markup_cache import FILE_NAME, MarkdownCache

TEXT = "A **cached** summary with [a link](https://example.org/report).\n\n- and a list, which prose has not"
"""Prose is converted without Markdown and never cached (markup_plain); this text needs Markdown."""


def _count(folder: Path) -> int:
    with sqlite3.connect(folder / FILE_NAME) as db:
        return int(db.execute("SELECT count(*) FROM html").fetchone()[0])


def test_a_second_build_takes_the_html_from_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = to_html(TEXT)
    with disk_cache(tmp_path) as first:
        assert to_html(TEXT) == plain
    assert first is not None and (first.hits, first.misses) == (0, 1)
    calls: list[str] = []
    real = markup._convert
    monkeypatch.setattr(markup, "_convert",
                        lambda text, cite, shift: calls.append(text) or real(text, cite, shift))
    with disk_cache(tmp_path) as second:
        assert to_html(TEXT) == plain
        assert to_html(TEXT, heading_shift=2) == plain  # another key: converted, not served from shift 1
    assert second is not None and second.hits == 1 and calls == [TEXT]
    assert _count(tmp_path) == 2


def test_prose_is_neither_looked_up_nor_kept(tmp_path: Path) -> None:
    with disk_cache(tmp_path) as cache:
        assert "<strong>" in to_html("Plain **prose**, converted faster than SQLite could answer.")
    assert cache is not None and (cache.hits, cache.misses) == (0, 0)
    assert _count(tmp_path) == 0


def test_a_forked_child_converts_without_the_builds_cache(tmp_path: Path) -> None:
    # What pipeline._run_stage does first: the build's SQLite connection is not the child's to use.
    with disk_cache(tmp_path) as cache:
        markup.leave_disk_cache()
        assert "<li>" in to_html(TEXT)
        assert markup._DISK is None
    assert cache is not None and (cache.hits, cache.misses) == (0, 0)
    assert _count(tmp_path) == 0
    assert markup._DISK is None  # the block's end puts back what was there before it


def test_without_a_folder_nothing_is_kept(tmp_path: Path) -> None:
    with disk_cache(None) as cache:
        assert cache is None and "<strong>" in to_html("**no folder**")
    assert markup._DISK is None


def test_keys_differ_by_text_and_shift_and_converter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = MarkdownCache(tmp_path / FILE_NAME)
    keys = {cache.key(TEXT, 1), cache.key(TEXT, 2), cache.key(TEXT + " ", 1)}
    assert len(keys) == 3
    monkeypatch.setattr(cache, "_salt", b"another converter version")
    assert cache.key(TEXT, 1) not in keys
    cache.close()


def test_a_broken_cache_file_is_replaced_and_the_build_goes_on(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"\x00garbage, not an SQLite database" * 100)
    with disk_cache(tmp_path) as cache:
        assert "<strong>cached</strong>" in to_html(TEXT)
    assert cache is not None and cache.misses == 1
    assert _count(tmp_path) == 1


def test_a_cache_that_cannot_be_written_is_set_aside(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    with disk_cache(blocker) as cache:
        assert "<strong>cached</strong>" in to_html(TEXT)
    assert cache is not None and cache.hits == 0
    assert "not usable" in caplog.text


def test_entries_no_build_uses_are_pruned_when_they_dominate(tmp_path: Path) -> None:
    with disk_cache(tmp_path):
        for n in range(1200):
            to_html(f"- Old summary number {n}.")
    assert _count(tmp_path) == 1200
    with disk_cache(tmp_path):
        to_html("- Old summary number 7.")
        to_html("- A new summary.")
    assert _count(tmp_path) == 2  # 1200 > 2 × 2 + 1000: the unused ones went


def test_a_key_the_cache_did_not_hold_when_opened_is_not_looked_up(tmp_path: Path) -> None:
    # A cold build converts every text: one SQLite lookup each would find nothing, ~0.2 ms apiece.
    cache = MarkdownCache(tmp_path / FILE_NAME)
    assert cache._db is not None
    statements: list[str] = []
    cache._db.set_trace_callback(statements.append)
    key = cache.key(TEXT, 1)
    assert cache.get(key) is None and cache.misses == 1
    assert not [s for s in statements if s.startswith("SELECT")]
    cache.put(key, "<p>stored</p>")
    cache.close()

    reopened = MarkdownCache(tmp_path / FILE_NAME)
    assert reopened.get(key) == "<p>stored</p>" and reopened.hits == 1
    other = MarkdownCache(tmp_path / FILE_NAME)  # another build, which stores a key after this opened
    late = reopened.key("written later", 1)
    other.put(late, "<p>later</p>")
    other.close()
    assert reopened.get(late) is None  # converted again by this build: the same HTML
    reopened.close()
