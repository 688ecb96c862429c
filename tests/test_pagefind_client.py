"""The pagefind service client: real `pagefind --service`, no mocks."""

from __future__ import annotations

import json
import re
import time
import tomllib
from pathlib import Path

import pytest

from sitrep.pagefind_client import (
    PAGEFIND_VERSION,
    PagefindError,
    PagefindService,
    Record,
    binary_path,
    binary_version,
)

ROOT = Path(__file__).resolve().parents[1]


def _records(n: int) -> list[Record]:
    return [Record(url=f"/events/e{i}/", content=f"Event number {i} in Northmarch, word{i}",
                   meta={"title": f"Event {i}"},
                   filters={"region": ["Northmarch"], "year": [str(2000 + i % 3)]},
                   sort={"date": f"2019-01-{1 + i % 28:02d}"}) for i in range(n)]


def _entry(files: dict[str, bytes]) -> dict:
    return json.loads(files["pagefind-entry.json"])


def test_binary_is_the_pinned_version() -> None:
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"pagefind[bin]=={PAGEFIND_VERSION}" in pins
    assert binary_version(binary_path()) == PAGEFIND_VERSION


def test_records_become_an_index_with_filters() -> None:
    with PagefindService() as service:
        index = service.new_index({"force_language": "en"})
        assert service.add_records(index, _records(30)) == 30
        files = dict(service.get_files(index))
    assert {"pagefind.js", "pagefind-worker.js", "wasm.en.pagefind"} <= set(files)
    entry = _entry(files)
    assert entry["version"] == PAGEFIND_VERSION
    assert entry["languages"]["en"]["page_count"] == 30
    assert sum(p.startswith("fragment/") for p in files) == 30
    assert any(p.startswith("filter/") for p in files)


def test_get_files_gives_the_same_stable_files_twice() -> None:
    with PagefindService() as service:
        index = service.new_index({"force_language": "en"})
        service.add_records(index, _records(5))
        first, second = dict(service.get_files(index)), dict(service.get_files(index))
    assert len(first) == len(second)
    # Fragments and word indexes are reproducible; pagefind 1.5.2 orders the filter chunk (and so the
    # meta file that names it by hash) differently from one build to the next: see pagefind_files.
    stable = {p: d for p, d in first.items() if p.startswith(("fragment/", "index/", "wasm."))}
    assert stable and all(second[p] == d for p, d in stable.items())


def test_a_small_window_keeps_answers_in_order() -> None:
    with PagefindService(window=3) as service:
        index = service.new_index()
        assert service.add_records(index, iter(_records(50))) == 50
        assert _entry(dict(service.get_files(index)))["languages"]["en"]["page_count"] == 50


def test_records_stream_fast() -> None:
    # The stock Python API sleeps 0.1 s per answer: 1,000 records take it 100 s. The client must be
    # at least ten times faster even on a loaded CI machine.
    with PagefindService() as service:
        index = service.new_index({"force_language": "en"})
        started = time.perf_counter()
        service.add_records(index, _records(1000))
        assert time.perf_counter() - started < 10


def test_two_indexes_in_one_service_stay_apart() -> None:
    with PagefindService() as service:
        a, b = service.new_index(), service.new_index()
        service.add_records(a, _records(2))
        service.add_records(b, _records(7))
        assert _entry(dict(service.get_files(a)))["languages"]["en"]["page_count"] == 2
        assert _entry(dict(service.get_files(b)))["languages"]["en"]["page_count"] == 7


def test_a_refused_request_raises_and_the_service_goes_on() -> None:
    with PagefindService() as service:
        with pytest.raises(PagefindError, match=r"refused NoSuchRequest.*unknown variant"):
            service.request({"type": "NoSuchRequest"})
        with pytest.raises(PagefindError, match=r"refused GetFiles.*does not yet exist"):
            service.request({"type": "GetFiles", "index_id": 99})
        index = service.new_index()
        assert service.add_records(index, _records(1)) == 1


def test_a_dead_service_is_reported_not_waited_for() -> None:
    service = PagefindService()
    with service:
        service._running().kill()
        service._running().wait()
        with pytest.raises(PagefindError, match=re.escape("pagefind service")):
            service.new_index()


def test_close_stops_the_process() -> None:
    service = PagefindService()
    with service:
        proc = service._running()
        service.new_index()
    assert proc.returncode == 0  # it exits on its own at EOF
    with pytest.raises(PagefindError, match="not running"):
        service.new_index()
