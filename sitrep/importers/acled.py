"""ACLED adapter: one CSV row in ACLED's export columns → ImportedEvent.

Reads ACLED's own files and Sitrep's /data/events.csv, which uses ACLED's columns first and adds
`sitrep_*`-style columns after them (id, title, end date, fatality range, status...); when those
are present they win, which is what makes export → import → export give the same rows.

Mapping (ACLED codebook → Sitrep):
- event_type/sub_event_type → the same (ACLED's vocabulary is Sitrep's); older ACLED types are rejected.
- actor1 + assoc_actor_1 → perpetrators, actor2 + assoc_actor_2 → targets; inter1/inter2 (codes 1–8
  or words) give the kind of a new actor1/actor2; associated actors' kinds are guessed from names.
- fatalities → low = best = high (ACLED gives one figure); time_precision 1/2/3 → day/week/month;
  geo_precision 1/2/3 → the same; admin1 → region (by name, else coordinates); location → place.
- source ("A; B") → sources; notes → summary; tags → slugs; timestamp → a revision when later than
  the event. disorder_type, interaction, civilian_targeting are derived again on export;
  iso, region, country (the region says the country), admin3 and source_scale are not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from sitrep import vocab
from sitrep.fields import SLUG
from sitrep.importers.model import ImportedActor, ImportedEvent, ImportedLocation, ImportedSource, RowError
from sitrep.importers.sources import actor_kind, inter_kind, source_kind
from sitrep.importers.text import (
    fatality_range,
    fold,
    one_line,
    parse_coord,
    parse_date,
    parse_int,
    slug,
    split_list,
)

ORIGIN = "acled"
EXTERNAL_KEY = "acled"
REQUIRED = ("event_date", "event_type", "sub_event_type", "actor1")
ALIASES = {"event_id": "event_id_cnty", "lat": "latitude", "lon": "longitude", "admin_1": "admin1",
           "admin_2": "admin2"}
TIME_PRECISION = {1: "day", 2: "week", 3: "month"}
DATASET_SOURCE = "ACLED"
REVISION_NOTE = "Last changed in the imported data."
_TYPES = {fold(t): t for t in vocab.EVENT_TYPES}
_SUBTYPES = {fold(s): s for s in vocab.SUB_EVENT_TYPES}

Row = Mapping[str, str]


def adapt(line: int, row: Row) -> ImportedEvent:
    """Return the ImportedEvent of one ACLED-format row; raise RowError when it cannot be mapped."""
    start = parse_date(row["event_date"], "event_date")
    end = parse_date(row["date_end"], "date_end") if row.get("date_end", "").strip() else start
    if end < start:
        raise RowError(f"date_end {end} is before event_date {start}", "fix the dates", "date_end")
    event_type, sub_type = _types(row)
    acled_id = row.get("event_id_cnty", "").strip()
    actors = _actors(row)
    location = _location(row)
    fatalities = _fatalities(row)
    return ImportedEvent(
        origin=ORIGIN, line=line, id=_event_id(row, start, acled_id),
        title=one_line(row.get("title"), 300) or _title(sub_type, actors, location.place),
        start=start, end=end, precision=TIME_PRECISION[_precision(row, "time_precision")],
        event_type=event_type, sub_event_type=sub_type,
        summary=row.get("notes", "").strip() or _title(sub_type, actors, location.place) + ".",
        location=location, actors=actors, sources=_sources(row, fatalities is not None),
        fatalities=fatalities, breakdown=_breakdown(row),
        status=_choice(row, "status", vocab.STATUSES, "published"),
        assessment=_choice(row, "assessment", vocab.ASSESSMENTS, "reported"),
        tags=tuple(dict.fromkeys(t for t in (slug(x) for x in split_list(row.get("tags"))) if t)),
        external_ids=_external_ids(row, acled_id),
        revisions=_revisions(row, end),
        ucdp_type_of_violence=_ucdp_type(row),
        superseded_by=_superseded_by(row),
    )


def _event_id(row: Row, start: date, acled_id: str) -> str:
    own = row.get("sitrep_id", "").strip()
    if own:
        if not SLUG.match(own):
            raise RowError(f"sitrep_id {own!r} is not a valid id", "lowercase letters, digits and hyphens",
                           "sitrep_id")
        return own
    if not slug(acled_id):
        raise RowError("the row has neither event_id_cnty nor sitrep_id",
                       "every ACLED row has an event_id_cnty", "event_id_cnty")
    return f"{start.isoformat()}-{ORIGIN}-{slug(acled_id)}"


def _types(row: Row) -> tuple[str, str]:
    raw_type, raw_sub = row["event_type"].strip(), row["sub_event_type"].strip()
    event_type = _TYPES.get(fold(raw_type))
    if event_type is None:
        raise RowError(f"unknown event_type {raw_type!r}",
                       f"use one of ACLED's current types: {', '.join(vocab.EVENT_TYPES)}", "event_type")
    sub_type = _SUBTYPES.get(fold(raw_sub))
    if sub_type not in vocab.EVENT_TYPES[event_type]:
        raise RowError(f"sub_event_type {raw_sub!r} is not one of {event_type}'s",
                       f"use one of: {', '.join(vocab.EVENT_TYPES[event_type])}", "sub_event_type")
    return event_type, sub_type


def _precision(row: Row, column: str) -> int:
    value = parse_int(row.get(column), column) or 1
    if value not in (1, 2, 3):
        raise RowError(f"'{column}' is {value}; ACLED uses 1, 2 or 3", "1 is the most precise", column)
    return value


def _actors(row: Row) -> tuple[ImportedActor, ...]:
    out: list[ImportedActor] = []
    for n, role in (("1", "perpetrator"), ("2", "target")):
        main = one_line(row.get(f"actor{n}"), 200)
        kind = inter_kind(row.get(f"inter{n}", ""))
        if main:
            out.append(ImportedActor(main, role, kind or actor_kind(main)))
        for name in split_list(row.get(f"assoc_actor_{n}")):
            name = one_line(name, 200) or name
            out.append(ImportedActor(name, role, actor_kind(name)))
    return tuple(out)  # may be empty: Sitrep's own exports hold events whose actors are not named


def _location(row: Row) -> ImportedLocation:
    lat = parse_coord(row.get("latitude"), "latitude", 90)
    lon = parse_coord(row.get("longitude"), "longitude", 180)
    if (lat is None) != (lon is None):
        raise RowError("only one of latitude and longitude is given", "give both or neither",
                       "longitude" if lat is not None else "latitude")
    return ImportedLocation(
        admin1=one_line(row.get("admin1"), 200),
        region_id=row.get("region_id", "").strip() or None,
        admin2=one_line(row.get("admin2"), 200),
        place=one_line(row.get("location"), 300),
        lat=lat, lon=lon, geo_precision=_precision(row, "geo_precision"),
    )


def _title(sub_type: str, actors: tuple[ImportedActor, ...], place: str | None) -> str:
    a = next((x.name for x in actors if x.role == "perpetrator"), "")
    b = next((x.name for x in actors if x.role == "target"), "")
    who = " – ".join(x for x in (a, b) if x)
    return one_line(f"{sub_type}: {who}" + (f", {place}" if place else ""), 300) or sub_type


def _fatalities(row: Row) -> tuple[int, int, int] | None:
    best = parse_int(row.get("fatalities"), "fatalities")
    if best is None:
        return None
    return fatality_range(best, parse_int(row.get("fatalities_low"), "fatalities_low"),
                          parse_int(row.get("fatalities_high"), "fatalities_high"),
                          "fatalities is the best figure; fatalities_low/high the range around it",
                          "fatalities")


def _breakdown(row: Row) -> tuple[tuple[str, int], ...]:
    out = []
    for key in vocab.BREAKDOWN_KEYS:
        value = parse_int(row.get(f"deaths_{key}"), f"deaths_{key}")
        if value is not None:
            out.append((key, value))
    return tuple(out)


def _sources(row: Row, has_fatalities: bool) -> tuple[ImportedSource, ...]:
    supports = ("actors", "date", "fatalities", "location") if has_fatalities else \
        ("actors", "date", "location")
    names = [one_line(n, 200) or n for n in split_list(row.get("source"))]
    if not names:
        names = [DATASET_SOURCE]
    return tuple(ImportedSource(n, None, None, supports, source_kind(n)) for n in names)


def _choice(row: Row, column: str, allowed: tuple[str, ...], default: str) -> str:
    value = row.get(column, "").strip()
    if not value:
        return default
    if value not in allowed:
        raise RowError(f"'{column}' {value!r} is not one of: {', '.join(allowed)}",
                       f"leave it empty for {default}", column)
    return value


def _external_ids(row: Row, acled_id: str) -> tuple[tuple[str, str], ...]:
    out = []
    if acled_id:
        out.append((EXTERNAL_KEY, acled_id))
    ged = row.get("ucdp_ged_id", "").strip()
    if ged:
        out.append(("ucdp_ged", ged))
    return tuple(out)


def _revisions(row: Row, end: date) -> tuple[tuple[date, str], ...]:
    raw = row.get("timestamp", "").strip()
    if not raw:
        return ()
    try:
        changed = datetime.fromtimestamp(float(raw), UTC).date()
    except (ValueError, OverflowError, OSError):
        try:
            changed = parse_date(raw, "timestamp")
        except RowError:
            raise RowError(f"'timestamp' {raw!r} is neither a Unix time nor a date",
                           "ACLED writes seconds since 1970", "timestamp") from None
    return ((changed, REVISION_NOTE),) if changed > end else ()


def _ucdp_type(row: Row) -> int | None:
    value = parse_int(row.get("ucdp_type_of_violence"), "ucdp_type_of_violence")
    if value is not None and value not in vocab.UCDP_VIOLENCE_TYPES:
        raise RowError(f"'ucdp_type_of_violence' is {value}", "use 1, 2 or 3", "ucdp_type_of_violence")
    return value


def _superseded_by(row: Row) -> str | None:
    value = row.get("superseded_by", "").strip()
    if value and not SLUG.match(value):
        raise RowError(f"superseded_by {value!r} is not a valid event id", "give the id of the successor",
                       "superseded_by")
    return value or None
