"""Round trip: export → import into an empty content tree → export gives the same rows.

Run on real UCDP rows (imported first), on the hand-written ACLED-format fixture, on the minimal
curated fixture and on a synthetic corpus with every field Sitrep has.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from sitrep import export
from sitrep.config import SiteConfig
from sitrep.importers import run_import
from sitrep.index import build_indexes
from sitrep.synth import synth
from sitrep.validate import load_corpus

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CONFIG = SiteConfig(site_name="Test", site_url="https://example.org/")


def _reference_tree(src: Path, dst: Path) -> Path:
    """Return an empty content tree at `dst` holding only `src`'s regions and shapes."""
    for folder in ("regions", "geo"):
        shutil.copytree(src / folder, dst / folder)
    return dst


def _exports(content: Path) -> dict[str, bytes]:
    corpus = load_corpus(content)
    indexes = build_indexes(corpus)
    return {f.path: f.data for f in export.data_files("csv")(corpus, indexes, CONFIG)}


def _round_trip(content: Path, work: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    before = _exports(content)
    csv_file = work / "events.csv"
    csv_file.write_bytes(before["data/events.csv"])
    empty = _reference_tree(content, work / "empty")
    summary = run_import("acled", csv_file, empty, progress=False)
    assert not summary.rejected and not summary.duplicates, summary.report_lines()
    return before, _exports(empty)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _assert_same(before: dict[str, bytes], after: dict[str, bytes]) -> None:
    rows = _rows(before["data/events.csv"])
    assert len(rows) > 1
    assert _rows(after["data/events.csv"]) == rows
    assert after["data/events.csv"] == before["data/events.csv"]
    regions = [p for p in before if p.startswith("data/regions/")]
    assert regions and all(after[p] == before[p] for p in regions)


def test_real_ucdp_rows_round_trip(tmp_path: Path) -> None:
    content = _reference_tree(ROOT / "content", tmp_path / "content")
    summary = run_import("ucdp", FIXTURES / "ucdp" / "ged_syria_2018_sample.csv", content, progress=False)
    assert summary.added > 300
    _assert_same(*_round_trip(content, tmp_path))


def test_acled_format_fixture_round_trips(tmp_path: Path) -> None:
    content = _reference_tree(ROOT / "content", tmp_path / "content")
    summary = run_import("acled", FIXTURES / "acled" / "acled_syria_handmade.csv", content, progress=False)
    assert summary.added == 11
    before, after = _round_trip(content, tmp_path)
    _assert_same(before, after)
    acled_ids = [r[0] for r in _rows(after["data/events.csv"])[1:]]
    assert sorted(acled_ids) == [f"SYR10{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14)]


def test_curated_fixture_round_trips(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal" / "content", content)
    _assert_same(*_round_trip(content, tmp_path))


def test_synthetic_corpus_round_trips(tmp_path: Path) -> None:
    content = tmp_path / "content"
    synth(600, content, seed=5)
    _assert_same(*_round_trip(content, tmp_path))


def test_reimporting_an_export_into_its_own_tree_changes_nothing(tmp_path: Path) -> None:
    content = _reference_tree(ROOT / "content", tmp_path / "content")
    run_import("ucdp", FIXTURES / "ucdp" / "ged_syria_2018_sample.csv", content, progress=False)
    exported = tmp_path / "events.csv"
    exported.write_bytes(_exports(content)["data/events.csv"])
    before = {p: p.read_bytes() for p in content.rglob("*.yaml")}
    summary = run_import("acled", exported, content, progress=False)
    assert (summary.added, summary.updated, summary.matched) == (0, 0, len(_rows(exported.read_bytes())) - 1)
    assert {p: p.read_bytes() for p in content.rglob("*.yaml")} == before
