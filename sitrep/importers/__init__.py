"""Importers: UCDP GED and ACLED CSV files → event, actor and source files under content/.

`run_import("ucdp", Path("ged.csv"), Path("content"))` streams the file row by row (bounded memory),
maps each row with the format's adapter and hands it to the shared writer, which never overwrites a
curated file. Every row ends up counted: added, updated, matched, duplicate or rejected with its line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sitrep.errors import Problem
from sitrep.importers import acled, ucdp
from sitrep.importers.common import ImportSummary, Writer
from sitrep.importers.csvrows import Row, read_rows
from sitrep.importers.lookup import build_lookup
from sitrep.importers.model import ImportedEvent, RowError

__all__ = ["IMPORTERS", "ImportSummary", "Importer", "run_import"]


@dataclass(frozen=True, slots=True)
class Importer:
    """One CSV format: the columns it needs, old column names it accepts, and its row adapter."""

    name: str
    required: tuple[str, ...]
    aliases: Mapping[str, str]
    adapt: Callable[[int, Row], ImportedEvent]


IMPORTERS: Mapping[str, Importer] = {
    "ucdp": Importer("ucdp", ucdp.REQUIRED, ucdp.ALIASES, ucdp.adapt),
    "acled": Importer("acled", acled.REQUIRED, acled.ALIASES, acled.adapt),
}


def run_import(kind: str, csv_path: Path, content_dir: Path, *, progress: bool = True,
               dry_run: bool = False) -> ImportSummary:
    """Import `csv_path` in format `kind` into `content_dir`; return what happened to every row.

    Raises ContentError when the file cannot be read as that format at all (e.g. missing columns).
    """
    try:
        importer = IMPORTERS[kind]
    except KeyError:
        raise ValueError(f"unknown import format {kind!r}; known: {', '.join(IMPORTERS)}") from None
    summary = ImportSummary(csv_path, kind, dry_run)
    writer = Writer(build_lookup(content_dir), summary, dry_run=dry_run)
    for line, row in read_rows(csv_path, importer.required, importer.aliases, progress=progress):
        summary.rows += 1
        try:
            if isinstance(row, RowError):
                raise row
            writer.apply(importer.adapt(line, row))
        except RowError as exc:
            summary.rejected.append(Problem(str(csv_path), line, _field(row, exc.column), exc.message,
                                            exc.hint))
    return summary


def _field(row: Row | RowError, column: str | None) -> int:
    """Return the 1-based position of `column` in the row (a CSV's column, as a spreadsheet counts
    them), or 1 when the error is the whole row's. A row keeps the header's order."""
    if column is None or isinstance(row, RowError):
        return 1
    for position, name in enumerate(row, start=1):
        if name == column:
            return position
    return 1
