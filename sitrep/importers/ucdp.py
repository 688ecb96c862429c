"""UCDP GED adapter: one CSV row of the Georeferenced Event Dataset → ImportedEvent.

Mapping (UCDP GED codebook → Sitrep):
- type_of_violence 1 (state-based) and 2 (non-state) → Battles / Armed clash; 3 (one-sided) →
  Violence against civilians / Attack. UCDP does not code the means (air strike, shelling), so an
  editor refines the sub-type when reviewing the imported event; the code itself is kept.
- side_a → perpetrator, side_b → target (UCDP's order, as ACLED's actor1/actor2); a side listing
  several groups ("A, B, C") becomes one actor each. UCDP does not say who attacked whom.
- low/best/high → the fatality range; deaths_a/_b/_civilians/_unknown → the breakdown.
- date_prec 1 → day, 2–3 → week, 4–5 → month; where_prec 1 → geo_precision 1, 2–3 → 2, 4–7 → 3.
  The original codes are kept in the file's `import.codes`.
- adm_1 → region (by name, else by coordinates when where_prec ≤ 5: at 6–7 the point is only the
  country's or the sea's, so such a row without adm_1 is rejected rather than guessed).
- source_office/source_date (aligned, ';'-separated) → sources; source_article's headlines → notes.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping

from sitrep.importers.model import ImportedActor, ImportedEvent, ImportedLocation, ImportedSource, RowError
from sitrep.importers.sources import actor_kind, source_kind
from sitrep.importers.text import (
    fatality_range,
    one_line,
    parse_coord,
    parse_date,
    parse_int,
    slug,
    split_list,
)

ORIGIN = "ucdp"
EXTERNAL_KEY = "ucdp_ged"
REQUIRED = ("id", "type_of_violence", "side_a", "side_b", "date_start", "best")
# Earlier releases name the ids *_new_id and the estimates *_est; read them as the current names.
ALIASES = {
    "conflict_new_id": "conflict_dset_id", "dyad_new_id": "dyad_dset_id",
    "side_a_new_id": "side_a_dset_id", "side_b_new_id": "side_b_dset_id",
    "best_est": "best", "low_est": "low", "high_est": "high",
}
VIOLENCE = {
    1: ("State-based violence", "Battles", "Armed clash"),
    2: ("Non-state violence", "Battles", "Armed clash"),
    3: ("One-sided violence", "Violence against civilians", "Attack"),
}
DATE_PRECISION = {1: "day", 2: "week", 3: "week", 4: "month", 5: "month"}
GEO_PRECISION = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 3, 7: 3}
DATASET_SOURCE = "UCDP Georeferenced Event Dataset"
SUPPORTS = ("actors", "date", "fatalities", "location")
MAX_NOTE = 500

Row = Mapping[str, str]


def adapt(line: int, row: Row) -> ImportedEvent:
    """Return the ImportedEvent of one UCDP GED row; raise RowError when it cannot be mapped."""
    ged_id = row["id"].strip()
    if not slug(ged_id):
        raise RowError("'id' is empty", "every UCDP GED row has a numeric id", "id")
    violence = _code(row, "type_of_violence", VIOLENCE, required=True)
    label, event_type, sub_type = VIOLENCE[violence]
    start = parse_date(row["date_start"], "date_start")
    end = parse_date(row["date_end"], "date_end") if row.get("date_end", "").strip() else start
    if end < start:
        raise RowError(f"date_end {end} is before date_start {start}", "swap or fix the dates", "date_end")
    date_prec = _code(row, "date_prec", DATE_PRECISION) or 1
    where_prec = _code(row, "where_prec", GEO_PRECISION)
    actors = _actors(row, violence)
    location = _location(row, where_prec)
    return ImportedEvent(
        origin=ORIGIN, line=line, id=f"{start.isoformat()}-{ORIGIN}-{slug(ged_id)}",
        title=_title(label, actors, location.place),
        start=start, end=end, precision=DATE_PRECISION[date_prec],
        event_type=event_type, sub_event_type=sub_type,
        summary=_summary(row, label, ged_id),
        location=location, actors=actors, sources=_sources(row),
        fatalities=_fatalities(row), breakdown=_breakdown(row),
        fatalities_note=one_line(f"UCDP estimate; side A: {row['side_a']}; side B: {row['side_b']}", 2000),
        external_ids=((EXTERNAL_KEY, ged_id),),
        ucdp_type_of_violence=violence,
        codes=_codes(date_prec, where_prec, parse_int(row.get("event_clarity"), "event_clarity")),
    )


def _code(row: Row, column: str, allowed: Mapping[int, object], *, required: bool = False) -> int | None:
    value = parse_int(row.get(column), column, required=required)
    if value is not None and value not in allowed:
        raise RowError(f"'{column}' is {value}, not a UCDP code",
                       f"use one of {', '.join(map(str, allowed))}", column)
    return value


def _codes(date_prec: int, where_prec: int | None, clarity: int | None) -> tuple[tuple[str, int], ...]:
    """Return UCDP's own precision codes, kept in the file's import block."""
    pairs = (("date_prec", date_prec), ("where_prec", where_prec), ("event_clarity", clarity))
    return tuple((k, v) for k, v in pairs if v is not None)


def _actors(row: Row, violence: int) -> tuple[ImportedActor, ...]:
    out: list[ImportedActor] = []
    for column, role in (("side_a", "perpetrator"), ("side_b", "target")):
        names = split_list(row[column], ",")
        if not names:
            raise RowError(f"'{column}' is empty", "UCDP names both sides of every event", column)
        for name in names:
            default = "civilians" if violence == 3 and role == "target" else "rebel-group"
            out.append(ImportedActor(one_line(name, 200) or name, role, actor_kind(name, default)))
    return tuple(out)


def _location(row: Row, where_prec: int | None) -> ImportedLocation:
    lat = parse_coord(row.get("latitude"), "latitude", 90)
    lon = parse_coord(row.get("longitude"), "longitude", 180)
    if (lat is None) != (lon is None):
        raise RowError("only one of latitude and longitude is given", "give both or neither",
                       "longitude" if lat is not None else "latitude")
    precision = GEO_PRECISION[where_prec] if where_prec else (1 if lat is not None else 3)
    return ImportedLocation(
        admin1=one_line(row.get("adm_1"), 200),
        admin2=one_line(row.get("adm_2"), 200),
        place=one_line(row.get("where_coordinates"), 300),
        lat=lat, lon=lon, geo_precision=precision,
        by_coordinates=where_prec is None or where_prec <= 5, admin1_column="adm_1",
    )


def _title(label: str, actors: tuple[ImportedActor, ...], place: str | None) -> str:
    a = ", ".join(x.name for x in actors if x.role == "perpetrator")
    b = ", ".join(x.name for x in actors if x.role == "target")
    where = f", {place}" if place else ""
    return one_line(f"{label}: {a} – {b}{where}", 300) or label


def _fatalities(row: Row) -> tuple[int, int, int]:
    best = parse_int(row.get("best"), "best", required=True)
    assert best is not None  # required=True raises RowError instead of returning None
    return fatality_range(best, parse_int(row.get("low"), "low"), parse_int(row.get("high"), "high"),
                          "UCDP's estimates are ordered; the row is probably shifted by a column", "best")


def _breakdown(row: Row) -> tuple[tuple[str, int], ...]:
    parts = []
    for column, key in (("deaths_a", "side_a"), ("deaths_b", "side_b"), ("deaths_civilians", "civilians"),
                        ("deaths_unknown", "unknown")):
        value = parse_int(row.get(column), column)
        if value is not None:
            parts.append((key, value))
    high = parse_int(row.get("high"), "high")
    total = sum(v for _, v in parts)
    limit = high if high is not None else parse_int(row.get("best"), "best")
    if limit is not None and total > limit:
        raise RowError(f"deaths by side add up to {total}, more than the high estimate {limit}",
                       "check the deaths_* columns", "deaths_a")
    return tuple(parts)


def _headlines(row: Row) -> list[tuple[str, str, str]]:
    """Return (office, date, headline) triples parsed from source_article ("office,date,headline";…)."""
    raw = row.get("source_article", "").strip()
    if not raw:
        return []
    try:
        items = next(csv.reader([raw.replace("\n", " ")], delimiter=";"))
    except (csv.Error, StopIteration):
        return []
    out = []
    for item in items:
        parts = item.strip().strip('"').split(",", 2)
        if len(parts) == 3:
            out.append((parts[0].strip(), parts[1].strip(), parts[2].strip()))
    return out


def _sources(row: Row) -> tuple[ImportedSource, ...]:
    offices = [o.strip() for o in row.get("source_office", "").split(";")]
    dates = [d.strip() for d in row.get("source_date", "").split(";")]
    headlines = _headlines(row)
    aligned = len(headlines) == len(offices)
    out = []
    for i, office in enumerate(offices):
        if not office:
            continue
        published = None
        if i < len(dates) and dates[i]:
            try:
                published = parse_date(dates[i], "source_date")
            except RowError:
                published = None  # a bad source date does not make the event unusable
        note = one_line(headlines[i][2], MAX_NOTE) if aligned else None
        name = one_line(office, 200) or office
        out.append(ImportedSource(name, published, note, SUPPORTS, source_kind(name)))
    if not out:
        out.append(ImportedSource(DATASET_SOURCE, None, None, SUPPORTS, "monitor"))
    return tuple(out)


def _summary(row: Row, label: str, ged_id: str) -> str:
    where = ", ".join(x for x in (row.get("where_coordinates", "").strip(), row.get("adm_2", "").strip(),
                                  row.get("adm_1", "").strip()) if x)
    dyad = row.get("dyad_name", "").strip() or f"{row['side_a'].strip()} – {row['side_b'].strip()}"
    conflict = row.get("conflict_name", "").strip()
    lines = [f"{label} between {dyad}" + (f" (conflict: {conflict})" if conflict else "")
             + (f" at {where}." if where else ".")]
    headlines = _headlines(row)
    if headlines:
        office, day, text = headlines[0]
        lines.append(f"First report ({office}, {day}): {one_line(text, MAX_NOTE)}")
    lines.append(f"Imported from UCDP GED event {ged_id}; not yet reviewed by an editor.")
    return "\n\n".join(lines)
