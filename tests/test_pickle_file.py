"""Cache files are replaced whole or not at all, and temp files a killed build left are cleared."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from sitrep.pickle_file import write_pickle
from sitrep.write import Manifest


def test_a_pickle_is_written_whole_and_stale_temp_files_go(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "parse.pickle"
    path.parent.mkdir()
    stale = path.parent / ".parse.pickle.4242.tmp"  # a build killed while saving
    stale.write_bytes(b"half a pickle")
    write_pickle(path, {"a": 1})
    assert pickle.loads(path.read_bytes()) == {"a": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["parse.pickle"]


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "parse.pickle"
    write_pickle(path, [1, 2])
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        write_pickle(path, [1, lambda: 2])
    assert pickle.loads(path.read_bytes()) == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["parse.pickle"]


def test_the_writers_manifest_is_saved_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "manifest.pickle"
    (tmp_path / ".manifest.pickle.4242.tmp").write_bytes(b"")
    manifest = Manifest(path)
    manifest.fresh["index.html"] = (1, 2, 3, b"d", b"k")
    manifest.save()
    assert Manifest.open(path).entries == {"index.html": (1, 2, 3, b"d", b"k")}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.pickle"]
