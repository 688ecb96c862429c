"""Event rules: fields, vocabularies, references, figures backed by sources, coordinates in region."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sitrep import geo, vocab
from sitrep.fields import Reader, control_char
from sitrep.load import KeyPath, RawDocument
from sitrep.model import (
    ActorRef,
    Breakdown,
    Claim,
    DateRange,
    Event,
    Fatalities,
    Figure,
    Location,
    Pos,
    Revision,
    SourceRef,
)

if TYPE_CHECKING:
    from sitrep.validate import _Refs

SOURCE_REF_KEYS = ("source", "via", "url", "archive_url", "published", "supports", "fatalities", "note")
EVENT_KEYS = (
    "id", "title", "status", "date", "event_type", "sub_event_type", "ucdp_type_of_violence", "actors",
    "location", "fatalities", "claims", "figures", "sources", "assessment", "summary", "tags",
    "external_ids", "revisions", "superseded_by", "redirect_from", "imported", "import",
)


def read_event(r: Reader, doc: RawDocument, refs: _Refs) -> Event | None:
    """Return the Event of `doc`, or None after reporting every problem found in it."""
    d = doc.data
    r.only_keys(d, (), EVENT_KEYS, "an event")
    r.import_block(d, codes_allowed=True)
    title = r.text(d, (), "title", required=True, what="the event", single_line=True, max_len=300,
                   hint="add 'title: <one line saying what happened>'")
    status = r.choice(d, (), "status", vocab.STATUSES, required=True, what="the event")
    dates = _date_range(r, d)
    event_type, sub_type = _types(r, d)
    ucdp = r.choice(d, (), "ucdp_type_of_violence", vocab.UCDP_VIOLENCE_TYPES)
    actors = _actors(r, d, refs)
    location = _location(r, d, refs)
    sources = _sources(r, d, refs)
    fatalities = _fatalities(r, d)
    claims = _claims(r, d, refs, sources)
    figures = _figures(r, d, sources)
    assessment = r.choice(d, (), "assessment", vocab.ASSESSMENTS, required=True, what="the event")
    summary = r.markdown(d, (), "summary", required=True, what="the event")
    superseded_by = r.text(d, (), "superseded_by", single_line=True, max_len=100)
    _status_rules(r, d, status, sources, superseded_by)
    _figures_backed(r, d, status, fatalities, sources)
    # Read before giving up, so problems in these fields are reported in the same run as the others.
    tags, external_ids = r.texts(d, (), "tags", slug=True), _external_ids(r, d)
    revisions, redirect_from = _revisions(r, d), r.texts(d, (), "redirect_from", slug=True)
    imported = r.flag(d, (), "imported")
    if r.failed or None in (title, status, dates, event_type, sub_type, location, assessment, summary):
        return None
    return Event(
        id=doc.id, title=title, status=status, date=dates, event_type=event_type, sub_event_type=sub_type,
        location=location, assessment=assessment, summary=summary, pos=Pos(doc.path),
        actors=actors, fatalities=fatalities, claims=claims, figures=figures, sources=sources,
        tags=tags, external_ids=external_ids, revisions=revisions, ucdp_type_of_violence=ucdp,
        superseded_by=superseded_by, redirect_from=redirect_from, imported=imported,
    )


def _date_range(r: Reader, d: dict[str, Any]) -> DateRange | None:
    raw = d.get("date")
    if raw is None:
        r.report((), "the event is missing the required field 'date'",
                 "add 'date: {start: YYYY-MM-DD, end: YYYY-MM-DD, precision: day}'")
        return None
    if not isinstance(raw, dict):  # a bare date is the common shorthand for a one-day event
        day = r.day(d, (), "date")
        return DateRange(day, day, "day") if day else None
    r.only_keys(raw, ("date",), ("start", "end", "precision"), "the date")
    start = r.day(raw, ("date",), "start", required=True, what="the date")
    end = r.day(raw, ("date",), "end") or start
    precision = r.choice(raw, ("date",), "precision", vocab.DATE_PRECISIONS, default="day")
    if start and end and start > end:
        r.report(("date", "end"), f"the event ends ({end}) before it starts ({start})",
                 "swap start and end, or fix the dates")
        return None
    return DateRange(start, end, precision) if start and end else None


def _types(r: Reader, d: dict[str, Any]) -> tuple[str | None, str | None]:
    event_type = r.choice(d, (), "event_type", tuple(vocab.EVENT_TYPES), required=True, what="the event")
    sub = d.get("sub_event_type")
    if sub is None:
        # Without a known event_type, list no sub-types: all 25 (from a set, in random order) help nobody.
        hint = (f"add one of: {', '.join(vocab.EVENT_TYPES[event_type])}" if event_type
                else "add the ACLED sub-event type that belongs to the event_type, e.g. Armed clash")
        r.report((), "the event is missing the required field 'sub_event_type'", hint)
        return event_type, None
    if event_type is None:
        return None, None
    allowed = vocab.EVENT_TYPES[event_type]
    if sub not in allowed:
        owner = next((t for t, subs in vocab.EVENT_TYPES.items() if sub in subs), None)
        reason = (f"sub_event_type {sub!r} belongs to event type {owner!r}, not {event_type!r}" if owner
                  else f"unknown sub_event_type {sub!r}")
        r.report(("sub_event_type",), reason, f"for {event_type} use one of: {', '.join(allowed)}")
        return event_type, None
    return event_type, sub


def _actors(r: Reader, d: dict[str, Any], refs: _Refs) -> tuple[ActorRef, ...]:
    out: list[ActorRef] = []
    for at, m in r.entries(d, (), "actors", ("actor", "role"), "an actor entry"):
        actor = r.text(m, at, "actor", required=True, what="the actor entry", single_line=True)
        role = r.choice(m, at, "role", vocab.ROLES, required=True, what="the actor entry")
        if actor and actor not in refs.existing["actors"]:
            r.report((*at, "actor"), f"unknown actor '{actor}'",
                     f"add content/actors/{actor}.yaml or fix the id")
        elif actor and role:
            if ActorRef(actor, role) in out:
                r.report(at, f"actor '{actor}' is listed twice as {role}", "remove the repeated line",
                         severity="warning")
            else:
                out.append(ActorRef(actor, role))
    return tuple(out)


def _location(r: Reader, d: dict[str, Any], refs: _Refs) -> Location | None:
    at: KeyPath = ("location",)
    if "location" not in d:
        r.report((), "the event is missing the required field 'location'",
                 "add 'location: {country: .., region: <ISO 3166-2>, lat: .., lon: .., geo_precision: ..}'")
        return None
    m = r.mapping(d["location"], at, "location")
    if m is None:
        return None
    r.only_keys(m, at, ("country", "region", "admin2", "place", "lat", "lon", "geo_precision"), "location")
    country = r.text(m, at, "country", required=True, what="location", single_line=True)
    region_id = r.text(m, at, "region", required=True, what="location", single_line=True)
    region = refs.regions.get(region_id or "")
    if region_id and region_id not in refs.existing["regions"]:
        r.report((*at, "region"), f"unknown region '{region_id}'",
                 f"use an ISO 3166-2 code with a file in content/regions/ (e.g. {_example(refs.regions)})")
    elif region and country and region.country != country:
        r.report((*at, "country"), f"region '{region_id}' is in country '{region.country}', not '{country}'",
                 f"set country: {region.country}")
    precision = r.choice(m, at, "geo_precision", vocab.GEO_PRECISIONS, default=1)
    lat = r.number(m, at, "lat", low=-90, high=90)
    lon = r.number(m, at, "lon", low=-180, high=180)
    if (lat is None) != (lon is None) and not r.failed:
        r.report(at, "give both 'lat' and 'lon', or neither", "add the missing coordinate")
    elif lat is None and precision != 3 and "lat" not in m:
        r.report(at, f"coordinates are required at geo_precision {precision}",
                 "add 'lat' and 'lon', or set geo_precision: 3 (region only)")
    elif (lat is not None and lon is not None and region and region.id in refs.shapes
          and not geo.near(refs.shapes[region.id], lon, lat)):
        r.report((*at, "lat"), f"({lat}, {lon}) lies outside region '{region.id}' ({region.name})",
                 "check the coordinates (lat first, then lon) and the region", severity="warning")
    if region_id is None or country is None:
        return None
    return Location(country, region_id, r.text(m, at, "admin2", single_line=True, max_len=200),
                    r.text(m, at, "place", single_line=True, max_len=300), lat, lon, precision)


def _example(known: Any) -> str:
    return next(iter(sorted(known)), "XX-AA")


def _sources(r: Reader, d: dict[str, Any], refs: _Refs) -> tuple[SourceRef, ...]:
    out: list[SourceRef] = []
    for at, m in r.entries(d, (), "sources", SOURCE_REF_KEYS, "a source entry"):
        sid = r.text(m, at, "source", required=True, what="the source entry", single_line=True)
        via = r.text(m, at, "via", single_line=True)
        for key, ref in (("source", sid), ("via", via)):
            if ref and ref not in refs.existing["sources"]:
                r.report((*at, key), f"unknown source '{ref}'",
                         f"add content/sources/{ref}.yaml or fix the id")
        supports = r.texts(m, at, "supports")
        for i, field in enumerate(supports):
            if field not in vocab.SUPPORTABLE_FIELDS:
                r.report((*at, "supports", i), f"'{field}' is not a field a source can support",
                         f"use some of: {', '.join(vocab.SUPPORTABLE_FIELDS)}")
        if sid:
            out.append(SourceRef(sid, via, r.url(m, at, "url"), r.url(m, at, "archive_url"),
                                 r.day(m, at, "published"), supports, r.integer(m, at, "fatalities"),
                                 r.text(m, at, "note", max_len=2000)))
    return tuple(out)


def _fatalities(r: Reader, d: dict[str, Any]) -> Fatalities | None:
    at: KeyPath = ("fatalities",)
    if d.get("fatalities") is None:
        return None
    m = r.mapping(d["fatalities"], at, "fatalities")
    if m is None:
        return None
    r.only_keys(m, at, ("low", "best", "high", "breakdown", "note"), "fatalities")
    best = r.integer(m, at, "best", required=True, what="fatalities")
    low = r.integer(m, at, "low")
    high = r.integer(m, at, "high")
    if best is None:
        return None
    low = best if low is None else low
    high = best if high is None else high
    if not low <= best <= high:
        r.report(at, f"fatalities must satisfy low <= best <= high, got {low}, {best}, {high}",
                 "keep disagreeing figures as a range: low is the smallest reported, high the largest")
        return None
    breakdown = _breakdown(r, m, high)
    return Fatalities(low, best, high, breakdown, r.text(m, at, "note", max_len=2000))


def _breakdown(r: Reader, m: dict[str, Any], high: int) -> Breakdown | None:
    at: KeyPath = ("fatalities", "breakdown")
    if m.get("breakdown") is None:
        return None
    b = r.mapping(m["breakdown"], at, "breakdown")
    if b is None:
        return None
    r.only_keys(b, at, vocab.BREAKDOWN_KEYS, "breakdown")
    parts = {k: r.integer(b, at, k) for k in vocab.BREAKDOWN_KEYS}
    breakdown = Breakdown(**parts)
    if breakdown.total > high:
        r.report(at, f"the breakdown adds up to {breakdown.total}, more than the high figure {high}",
                 "raise 'high' or correct the breakdown")
    return breakdown


def _claims(r: Reader, d: dict[str, Any], refs: _Refs, sources: tuple[SourceRef, ...]) -> tuple[Claim, ...]:
    out: list[Claim] = []
    for at, m in r.entries(d, (), "claims", ("by", "channel", "date", "source", "text"), "a claim"):
        by = r.text(m, at, "by", required=True, what="the claim", single_line=True)
        if by and by not in refs.existing["actors"]:
            r.report((*at, "by"), f"unknown actor '{by}' making the claim", f"add content/actors/{by}.yaml")
        source = r.text(m, at, "source", single_line=True)
        if source and source not in {s.source for s in sources}:
            r.report((*at, "source"), f"claim cites source '{source}', which is not in the event's sources",
                     f"add '- source: {source}' under sources, with supports: [claims]")
        if by:
            out.append(Claim(by, r.text(m, at, "channel", single_line=True, max_len=200),
                             r.day(m, at, "date"), source, r.text(m, at, "text", max_len=5000)))
    return tuple(out)


def _figures(r: Reader, d: dict[str, Any], sources: tuple[SourceRef, ...]) -> tuple[Figure, ...]:
    out: list[Figure] = []
    for at, m in r.entries(d, (), "figures", ("label", "value", "unit", "source", "note"), "a figure"):
        label = r.text(m, at, "label", required=True, what="the figure", single_line=True, max_len=200)
        value = r.number(m, at, "value", required=True, what="the figure")
        source = r.text(m, at, "source", required=True, what="the figure", single_line=True,
                        hint="every figure cites the source that gave it: add 'source: <source id>'")
        if source and source not in {s.source for s in sources}:
            r.report((*at, "source"), f"figure cites source '{source}', which is not in the event's sources",
                     f"add '- source: {source}' under sources, with supports: [figures]")
        if label and value is not None and source:
            out.append(Figure(label, value, source, r.text(m, at, "unit", single_line=True),
                              r.text(m, at, "note", max_len=2000)))
    return tuple(out)


def _status_rules(r: Reader, d: dict[str, Any], status: str | None, sources: tuple[SourceRef, ...],
                  superseded_by: str | None) -> None:
    if status in ("published", "superseded", "retracted") and not sources and not d.get("sources"):
        r.report((), f"a {status} event needs at least one source",
                 "add 'sources:' with '- source: <id>' (or set status: draft)")
    if status == "superseded" and not superseded_by:
        r.report(("status",), "a superseded event must name its successor",
                 "add 'superseded_by: <id of the event that replaces it>'")
    if superseded_by and status != "superseded":
        r.report(("superseded_by",), f"superseded_by is set but status is '{status}'",
                 "set status: superseded")
    if status == "retracted" and not d.get("revisions"):
        r.report(("status",), "a retracted event should say why in its revisions",
                 "add 'revisions: [{date: YYYY-MM-DD, note: why it was retracted}]'", severity="warning")


def _figures_backed(r: Reader, d: dict[str, Any], status: str | None, fatalities: Fatalities | None,
                    sources: tuple[SourceRef, ...]) -> None:
    """Every figure cites a source; per-source tolls must fall inside the published range."""
    if fatalities is None:
        return
    if status != "draft" and not any("fatalities" in s.supports or s.fatalities is not None for s in sources):
        r.report(("fatalities",), "no source backs the fatality figures",
                 "add 'fatalities' to a source's supports (or give its toll as 'fatalities: N')")
    for i, s in enumerate(sources):
        if s.fatalities is not None and not fatalities.low <= s.fatalities <= fatalities.high:
            r.report(("sources", i, "fatalities"),
                     f"{s.source} reported {s.fatalities} deaths, outside the range "
                     f"{fatalities.low}–{fatalities.high}",
                     "widen low/high so the range covers every source's figure")


def _external_ids(r: Reader, d: dict[str, Any]) -> MappingProxyType[str, str]:
    raw = d.get("external_ids")
    if raw is None:
        return MappingProxyType({})
    m = r.mapping(raw, ("external_ids",), "external_ids")
    if m is None:
        return MappingProxyType({})
    out: dict[str, str] = {}
    for key, value in m.items():
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            r.report(("external_ids", str(key)), f"external id '{key}' must be text or a number",
                     "e.g. ucdp_ged: 123456")
        elif bad := control_char(f"{key}{value}"):
            r.report(("external_ids", str(key)), f"external id '{key}' contains the control character {bad}",
                     "remove it")
        else:
            out[str(key)] = str(value)
    return MappingProxyType(out)


def _revisions(r: Reader, d: dict[str, Any]) -> tuple[Revision, ...]:
    out: list[Revision] = []
    for at, m in r.entries(d, (), "revisions", ("date", "note"), "a revision"):
        day = r.day(m, at, "date", required=True, what="the revision")
        note = r.text(m, at, "note", required=True, what="the revision", max_len=2000)
        if day and note:
            out.append(Revision(day, note))
    return tuple(out)
