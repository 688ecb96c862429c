"""Shared fixtures for the importer tests: real region data to import into, the CSV fixtures."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
UCDP_CSV = FIXTURES / "ucdp" / "ged_syria_2018_sample.csv"
ACLED_CSV = FIXTURES / "acled" / "acled_syria_handmade.csv"


def make_tree(root: Path) -> Path:
    """Return a content tree under `root` holding only the bundled regions and their shapes."""
    content = root / "content"
    for folder in ("regions", "geo"):
        shutil.copytree(ROOT / "content" / folder, content / folder)
    return content


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path)


def read_fixture(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Return (header, rows) of a CSV fixture."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or ()), list(reader)


def write_csv(path: Path, header: list[str], rows: Iterable[Mapping[str, str]], *, encoding: str = "utf-8",
              delimiter: str = ",", newline: str = "\n") -> Path:
    """Write rows as CSV with the given encoding (e.g. 'utf-8-sig' adds a BOM) and separators."""
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, header, delimiter=delimiter, lineterminator=newline,
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def event_files(content: Path) -> dict[str, Path]:
    """Return event id → file of every event file under `content`."""
    return {p.stem: p for p in sorted((content / "events").rglob("*.yaml"))}
