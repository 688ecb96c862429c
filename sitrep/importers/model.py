"""What an importer adapter yields: one typed ImportedEvent per CSV row, or a RowError saying why not.

Adapters know their format's columns and nothing about the content tree: actors, sources and the
region are named here as the file names them, and `common` resolves them to ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


class RowError(Exception):
    """A row that cannot be mapped: the reason, a hint for the editor fixing the file, and the column
    at fault when there is one (its header name), so the report can give the field's position."""

    def __init__(self, message: str, hint: str = "", column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.column = column


@dataclass(frozen=True, slots=True)
class ImportedActor:
    name: str
    role: str  # perpetrator | target
    kind: str  # ACLED actor kind, used only if the actor has to be created


@dataclass(frozen=True, slots=True)
class ImportedSource:
    name: str
    published: date | None = None
    note: str | None = None
    supports: tuple[str, ...] = ()
    kind: str = "news-agency"  # source kind, used only if the source has to be created


@dataclass(frozen=True, slots=True)
class ImportedLocation:
    admin1: str | None  # first-level region as the file names it
    region_id: str | None = None  # an explicit region code (Sitrep's own exports), tried first
    admin2: str | None = None
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    geo_precision: int = 1
    by_coordinates: bool = True  # may the region be found from lat/lon when the name does not match
    admin1_column: str = "admin1"  # the column `admin1` comes from, which a region error names


@dataclass(frozen=True, slots=True)
class ImportedEvent:
    """One row, mapped: everything an event file says, with names still to resolve to ids."""

    origin: str  # "ucdp" | "acled": the importer that read it
    line: int  # line of the CSV file where the row starts
    id: str
    title: str
    start: date
    end: date
    precision: str
    event_type: str
    sub_event_type: str
    summary: str
    location: ImportedLocation
    actors: tuple[ImportedActor, ...] = ()
    sources: tuple[ImportedSource, ...] = ()
    fatalities: tuple[int, int, int] | None = None  # (low, best, high)
    breakdown: tuple[tuple[str, int], ...] = ()
    fatalities_note: str | None = None
    status: str = "published"
    assessment: str = "reported"
    tags: tuple[str, ...] = ()
    external_ids: tuple[tuple[str, str], ...] = ()
    revisions: tuple[tuple[date, str], ...] = ()
    ucdp_type_of_violence: int | None = None
    superseded_by: str | None = None
    codes: tuple[tuple[str, int], ...] = field(default=())
    """The file's own precision codes (e.g. UCDP where_prec 1–7), kept in the `import` block."""
