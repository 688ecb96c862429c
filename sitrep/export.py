"""Export stage: the site's data as files analysts' tools read, written at every build.

    /data/events.csv|json|geojson                  every listed (public) event, oldest first
    /data/regions/<region id, lowercase>.<fmt>     the same for one region
    /data/actors/<actor id>.<fmt>                  the same for one actor (any role, claims included)
    /feeds/...  /sitemap.xml  /robots.txt          from sitrep.feeds and sitrep.sitemap

CSV uses ACLED's column names and order for every column ACLED has, then Sitrep's own columns, so
`build.py import acled` reads it back (export → import → export gives the same rows). Text cells
that a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV injection guidance);
numeric columns are never touched, so a longitude of -3.5 stays a number.

GeoJSON: one Point feature per event; an event without coordinates (geo_precision 3, region only)
keeps its feature with `"geometry": null` (RFC 7946 §3.2) rather than a made-up point such as the
region's centroid, so every export lists the same events and no map shows a false location.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from functools import partial
from typing import TYPE_CHECKING, Any

from sitrep import page_keys, vocab
from sitrep.blob_cache import BlobCache
from sitrep.config import SiteConfig
from sitrep.index import Indexes
from sitrep.model import Corpus, Event
from sitrep.urls import absolute_url, output_path, url_for
from sitrep.write import OutputFile, PendingFile, SiteFile

if TYPE_CHECKING:
    from sitrep.feeds import FeedMemo
    from sitrep.sitemap import LatestMemo

ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
    "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
)
SITREP_COLUMNS = (
    "sitrep_id", "title", "date_end", "fatalities_low", "fatalities_high", "deaths_side_a", "deaths_side_b",
    "deaths_civilians", "deaths_unknown", "ucdp_type_of_violence", "ucdp_ged_id", "region_id", "status",
    "assessment", "superseded_by", "url",
)
CSV_COLUMNS = ACLED_COLUMNS + SITREP_COLUMNS
NUMERIC_COLUMNS = frozenset({
    "year", "time_precision", "inter1", "inter2", "interaction", "iso", "latitude", "longitude",
    "geo_precision", "fatalities", "timestamp", "fatalities_low", "fatalities_high", "deaths_side_a",
    "deaths_side_b", "deaths_civilians", "deaths_unknown", "ucdp_type_of_violence",
})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TIME_PRECISION = {"day": 1, "week": 2, "month": 3}
_DISORDER = {
    "Battles": "Political violence", "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence", "Protests": "Demonstrations",
    "Riots": "Demonstrations", "Strategic developments": "Strategic developments",
}
# ACLED files these sub-types under both headings.
_DISORDER_BOTH = frozenset({"Excessive force against protesters", "Mob violence"})
# ACLED's inter codes 1–8 are vocab.ACTOR_KINDS in order.
_KIND_CODES = {k: i for i, k in enumerate(vocab.ACTOR_KINDS, start=1)}


def escape_cell(value: str) -> str:
    """Return a text cell that spreadsheets will not evaluate as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _num(value: float | int | None) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def _timestamp(event: Event) -> int:
    return int(datetime.combine(event.updated, time(), UTC).timestamp())


class _Names:
    """Actor and source names by id, for the exports' human-readable columns."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def actor(self, actor_id: str) -> str:
        actor = self.corpus.actors.get(actor_id)
        return actor.name if actor else actor_id

    def kind(self, actor_id: str) -> str | None:
        actor = self.corpus.actors.get(actor_id)
        return actor.kind if actor else None

    def source(self, source_id: str) -> str:
        source = self.corpus.sources.get(source_id)
        return source.name if source else source_id

    def region(self, region_id: str) -> str:
        region = self.corpus.regions.get(region_id)
        return region.name if region else region_id


# ---- CSV ----------------------------------------------------------------------------------------

def _actor_columns(event: Event, names: _Names) -> dict[str, Any]:
    perpetrators = event.actors_with_role("perpetrator")
    targets = event.actors_with_role("target")
    inter1 = _KIND_CODES.get(names.kind(perpetrators[0]) or "") if perpetrators else None
    inter2 = _KIND_CODES.get(names.kind(targets[0]) or "") if targets else None
    codes = sorted(c for c in (inter1, inter2) if c)
    return {
        "actor1": names.actor(perpetrators[0]) if perpetrators else "",
        "assoc_actor_1": "; ".join(names.actor(a) for a in perpetrators[1:]),
        "inter1": inter1,
        "actor2": names.actor(targets[0]) if targets else "",
        "assoc_actor_2": "; ".join(names.actor(a) for a in targets[1:]),
        "inter2": inter2,
        # ACLED's interaction code: both inter codes, lower first; a lone actor's code times ten.
        "interaction": int("".join(map(str, codes))) * (10 if len(codes) == 1 else 1) if codes else None,
        "civilian_targeting": "Civilian targeting" if inter2 == _KIND_CODES["civilians"] else "",
    }


def csv_record(event: Event, names: _Names, config: SiteConfig) -> dict[str, Any]:
    """Return one event as {column: value} in CSV_COLUMNS terms (values not yet escaped)."""
    loc, fat = event.location, event.fatalities
    breakdown = fat.breakdown if fat else None
    record: dict[str, Any] = {
        "event_id_cnty": event.external_ids.get("acled", ""),
        "event_date": event.date.start.isoformat(), "year": event.date.start.year,
        "time_precision": _TIME_PRECISION.get(event.date.precision, 1),
        "disorder_type": ("Political violence; Demonstrations" if event.sub_event_type in _DISORDER_BOTH
                          else _DISORDER.get(event.event_type, "")),
        "event_type": event.event_type, "sub_event_type": event.sub_event_type,
        **_actor_columns(event, names),
        "iso": None, "region": "", "country": loc.country, "admin1": names.region(loc.region),
        "admin2": loc.admin2 or "", "admin3": "", "location": loc.place or "",
        "latitude": loc.lat, "longitude": loc.lon, "geo_precision": loc.geo_precision,
        "source": "; ".join(dict.fromkeys(names.source(s.source) for s in event.sources)),
        "source_scale": "", "notes": event.summary, "fatalities": fat.best if fat else None,
        "tags": "; ".join(event.tags), "timestamp": _timestamp(event),
        "sitrep_id": event.id, "title": event.title, "date_end": event.date.end.isoformat(),
        "fatalities_low": fat.low if fat else None, "fatalities_high": fat.high if fat else None,
        "ucdp_type_of_violence": event.ucdp_type_of_violence,
        "ucdp_ged_id": event.external_ids.get("ucdp_ged", ""), "region_id": loc.region,
        "status": event.status, "assessment": event.assessment, "superseded_by": event.superseded_by or "",
        "url": absolute_url(url_for(event, config=config), config),
    }
    for key in ("side_a", "side_b", "civilians", "unknown"):
        record[f"deaths_{key}"] = getattr(breakdown, key) if breakdown else None
    return record


def csv_cells(record: Mapping[str, Any]) -> list[str]:
    """Return a record's cells in CSV_COLUMNS order: numbers as written, text escaped."""
    return [_num(record[c]) if c in NUMERIC_COLUMNS else escape_cell(str(record[c] or ""))
            for c in CSV_COLUMNS]


def _csv_line(cells: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


_CSV_HEADER = _csv_line(CSV_COLUMNS)


def _csv_fragment(event: Event, names: _Names, config: SiteConfig) -> str:
    return _csv_line(csv_cells(csv_record(event, names, config)))


def _csv_file(lines: Sequence[bytes], config: SiteConfig) -> bytes:
    """Return CSV (RFC 4180, UTF-8 without BOM, header first)."""
    return b"".join([_CSV_HEADER.encode(), *lines])


# ---- JSON ---------------------------------------------------------------------------------------

def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def event_object(event: Event, names: _Names, config: SiteConfig) -> dict[str, Any]:
    """Return the full event as a JSON-ready dict, keys in a fixed order; absent values are null."""
    loc, fat = event.location, event.fatalities
    return {
        "id": event.id, "url": absolute_url(url_for(event, config=config), config), "title": event.title,
        "status": event.status,
        "date": {"start": _iso(event.date.start), "end": _iso(event.date.end),
                 "precision": event.date.precision},
        "event_type": event.event_type, "sub_event_type": event.sub_event_type,
        "ucdp_type_of_violence": event.ucdp_type_of_violence,
        "actors": [{"actor": a.actor, "name": names.actor(a.actor), "kind": names.kind(a.actor),
                    "role": a.role} for a in event.actors],
        "location": {"country": loc.country, "region": loc.region, "region_name": names.region(loc.region),
                     "admin2": loc.admin2, "place": loc.place, "lat": loc.lat, "lon": loc.lon,
                     "geo_precision": loc.geo_precision},
        "fatalities": None if fat is None else {
            "low": fat.low, "best": fat.best, "high": fat.high, "note": fat.note,
            "breakdown": None if fat.breakdown is None else {
                k: getattr(fat.breakdown, k) for k in ("side_a", "side_b", "civilians", "unknown")}},
        "claims": [{"by": c.by, "by_name": names.actor(c.by), "channel": c.channel, "date": _iso(c.date),
                    "source": c.source, "text": c.text} for c in event.claims],
        "figures": [{"label": f.label, "value": f.value, "unit": f.unit, "source": f.source, "note": f.note}
                    for f in event.figures],
        "sources": [{"source": s.source, "name": names.source(s.source), "via": s.via, "url": s.url,
                     "archive_url": s.archive_url, "published": _iso(s.published),
                     "supports": list(s.supports), "fatalities": s.fatalities, "note": s.note}
                    for s in event.sources],
        "assessment": event.assessment, "summary": event.summary, "tags": list(event.tags),
        "external_ids": dict(sorted(event.external_ids.items())),
        "revisions": [{"date": _iso(r.date), "note": r.note} for r in event.revisions],
        "superseded_by": event.superseded_by, "redirect_from": list(event.redirect_from),
        "imported": event.imported, "updated": _iso(event.updated),
    }


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _in_array(head: bytes, items: Sequence[bytes], tail: bytes) -> bytes:
    """Return `head`, a JSON array of `items` (each a JSON text), then `tail`.

    One item per line: readable, diffable, and a line-oriented tool can stream it. Made in one
    join: the whole site's file is hundreds of MB at 100k events, and each copy of it (a join, a
    format string, an encode) cost a rebuild ~0.3 s."""
    if not items:
        return head + b"[]" + tail
    if len(items) == 1:
        return b"".join((head, b"[\n", items[0], b"\n]", tail))
    return b",\n".join([head + b"[\n" + items[0], *items[1:-1], items[-1] + b"\n]" + tail])


def _json_file(items: Sequence[bytes], config: SiteConfig) -> bytes:
    """Return {"site", "count", "events": [...]} with every event in full."""
    head = _dumps({"site": config.site_url, "count": len(items)})[:-1]
    return _in_array(f'{head},"events":'.encode(), items, b"}\n")


def event_feature(event: Event, names: _Names, config: SiteConfig) -> dict[str, Any]:
    """Return the event as a GeoJSON Feature with flat properties (GIS tools read those best)."""
    loc, fat = event.location, event.fatalities
    point = loc.lat is not None and loc.lon is not None
    return {
        "type": "Feature", "id": event.id,
        "geometry": {"type": "Point", "coordinates": [loc.lon, loc.lat]} if point else None,
        "properties": {
            "id": event.id, "url": absolute_url(url_for(event, config=config), config), "title": event.title,
            "status": event.status, "date_start": _iso(event.date.start), "date_end": _iso(event.date.end),
            "date_precision": event.date.precision, "event_type": event.event_type,
            "sub_event_type": event.sub_event_type, "region": loc.region, "admin1": names.region(loc.region),
            "admin2": loc.admin2, "place": loc.place, "geo_precision": loc.geo_precision,
            "fatalities_low": fat.low if fat else None, "fatalities_best": fat.best if fat else None,
            "fatalities_high": fat.high if fat else None,
            "actors": "; ".join(dict.fromkeys(names.actor(a.actor) for a in event.actors)),
            "assessment": event.assessment, "updated": _iso(event.updated),
        },
    }


def _geojson_file(features: Sequence[bytes], config: SiteConfig) -> bytes:
    """Return a GeoJSON FeatureCollection (RFC 7946), one feature per event."""
    return _in_array(b'{"type":"FeatureCollection","features":', features, b"}\n")


# ---- files --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Format:
    """One export format: an event's fragment (a CSV line, a JSON object) and the file around them
    (given the fragments UTF-8 encoded)."""

    fragment: Callable[[Event, _Names, SiteConfig], str]
    assemble: Callable[[Sequence[bytes], SiteConfig], bytes]


FORMATS: Mapping[str, Format] = {
    "csv": Format(_csv_fragment, _csv_file),
    "json": Format(lambda e, n, c: _dumps(event_object(e, n, c)), _json_file),
    "geojson": Format(lambda e, n, c: _dumps(event_feature(e, n, c)), _geojson_file),
}


def render_events(fmt: str, events: Iterable[Event], corpus: Corpus, config: SiteConfig,
                  cache: dict[str, bytes] | None = None) -> bytes:
    """Return `events` as one file in `fmt`; `cache` reuses fragments across the files of a build."""
    names, form = _Names(corpus), FORMATS[fmt]
    fragments = []
    for event in events:
        data = cache.get(event.id) if cache is not None else None
        if data is None:
            data = form.fragment(event, names, config).encode()
            if cache is not None:
                cache[event.id] = data
        fragments.append(data)
    return form.assemble(fragments, config)


def events_csv(events: Iterable[Event], corpus: Corpus, config: SiteConfig) -> bytes:
    """Return the events as ACLED-compatible CSV."""
    return render_events("csv", events, corpus, config)


def events_json(events: Iterable[Event], corpus: Corpus, config: SiteConfig) -> bytes:
    """Return the events as JSON, in full."""
    return render_events("json", events, corpus, config)


def events_geojson(events: Iterable[Event], corpus: Corpus, config: SiteConfig) -> bytes:
    """Return the events as a GeoJSON FeatureCollection."""
    return render_events("geojson", events, corpus, config)


def data_path(fmt: str, config: SiteConfig, scope: str | None = None, ident: str | None = None) -> str:
    """Return the output path of an export: the whole site, or one region's or actor's events."""
    if scope is None:
        name = f"events.{fmt}"
    else:
        name = f"{scope}/{ident.lower() if scope == 'regions' else ident}.{fmt}"
    return output_path(url_for("data", name, config=config), config)


def _scopes(corpus: Corpus, indexes: Indexes) -> Iterator[tuple[str | None, str | None, Sequence[Event]]]:
    yield None, None, indexes.listed
    for region_id in sorted(corpus.regions):
        yield "regions", region_id, indexes.by_region.get(region_id, ())
    for actor_id in sorted(corpus.actors):
        yield "actors", actor_id, indexes.by_actor.get(actor_id, ())


FragmentMemo = dict[str, dict[str, list[bytes]]]
"""Format → month key → that month's fragments: what the last fill of each format read, kept by a
long-lived process (serve; warm.py) so its rebuilds need not read them from the cache folder."""
Scope = tuple[str | None, str | None]


@dataclass(slots=True)
class ExportMemo:
    """What a long-lived process (serve; warm.py) keeps of the exports between builds."""

    fragments: FragmentMemo = field(default_factory=dict)
    feeds: FeedMemo = field(default_factory=dict)
    """Each feed's entries with the events they were chosen from (feeds.iter_files)."""
    sitemap: LatestMemo = field(default_factory=dict)
    """Each listing's last-modified date in the sitemap with its events (sitemap.entries)."""
    digests: dict[Scope, tuple[Sequence[Event], bytes | None]] = field(default_factory=dict)
    """Each file's events and their files' digests, joined (_ScopeDigests)."""


class _ScopeDigests:
    """The joined file digests of each export file's events, which its key is made from, computed
    once per build for all three formats; with a memo, once per process for a file whose events
    are the same objects as at the last build (validate.CheckMemo gives an unchanged file's event
    back as the same object, and its digest is then the same). At 100k events, hashing every
    file's digests for each format took ~2 s of each rebuild after an edit."""

    def __init__(self, corpus: Corpus, memo: ExportMemo | None) -> None:
        self.corpus = corpus
        self.old = memo.digests if memo is not None else {}
        self.new: dict[Scope, tuple[Sequence[Event], bytes | None]] = {}
        if memo is not None:
            memo.digests = self.new

    def of(self, scope: Scope, events: Sequence[Event]) -> bytes | None:
        known = self.new.get(scope) or self.old.get(scope)
        if known is not None and page_keys.same_objects(known[0], events):
            joined = known[1]
        else:
            digests = [self.corpus.file_digest(e) for e in events]
            joined = None if None in digests else b"".join(digests)  # type: ignore[arg-type]
        self.new[scope] = (events, joined)
        return joined


def data_files(fmt: str) -> Callable[..., Iterator[SiteFile]]:
    """Return the exporter writing one format for the site, each region and each actor."""
    def exporter(corpus: Corpus, indexes: Indexes, config: SiteConfig, memo: FragmentMemo | None = None,
                 digests: _ScopeDigests | None = None) -> Iterator[SiteFile]:
        # Each event is in the site's file, its region's and each of its actors': serialise it once.
        # The cache lives for one format only (~1 KB an event), then is dropped. It is filled when
        # a first file must be made: on a rebuild after an edit, most files are kept by their key.
        cache: dict[str, bytes] = {}
        months = BlobCache(config.cache_dir / "export" if config.cache_dir else None, f".{fmt}.json")
        salt = page_keys.salt(config, f"export file {fmt}\0".encode(), _names_digest(corpus))
        filled = months.folder is None

        def make(events: Sequence[Event]) -> bytes:
            nonlocal filled
            if not filled:
                kept = _fill_by_month(fmt, indexes.by_month, corpus, config, cache, months,
                                      memo.get(fmt, {}) if memo is not None else {}, digests)
                if memo is not None:
                    memo[fmt] = kept
                filled = True
            return render_events(fmt, events, corpus, config, cache)

        digests = digests or _ScopeDigests(corpus, None)
        for scope, ident, events in _scopes(corpus, indexes):
            path = data_path(fmt, config, scope, ident)
            key = _file_key(salt, digests.of((scope, ident), events))
            yield (OutputFile(path, make(events)) if key is None
                   else PendingFile(path, key, partial(make, events)))
        months.prune()
    return exporter


def _file_key(salt: bytes, digests: bytes | None) -> bytes | None:
    """Return the key of an export file: what each fragment is made from is its event's file (the
    file digests of its events, joined: _ScopeDigests), the names (in `salt`, with the config and
    code); None when an event has no file digest."""
    if digests is None:
        return None
    return hashlib.blake2b(salt + len(digests).to_bytes(8, "little") + digests, digest_size=20).digest()


def _fill_by_month(fmt: str, by_month: Mapping[tuple[int, int], Sequence[Event]], corpus: Corpus,
                   config: SiteConfig, cache: dict[str, bytes], months: BlobCache,
                   known: Mapping[str, list[bytes]], digests: _ScopeDigests) -> dict[str, list[bytes]]:
    """Put every event's fragment in `cache`, taking each month's from `known` or `months` when none
    of its events changed since a build made them: an edit then serialises one month's events again,
    not every event of the site. A month is keyed by its events' file digests (an event made
    other than from its file has none, and its month is serialised as usual; `digests` joins them
    once for the three formats), the names the fragments show, the config and Sitrep's code.
    Return the months' fragments by key."""
    names, form = _Names(corpus), FORMATS[fmt]
    salt = page_keys.salt(config, f"export {fmt}\0".encode(), _names_digest(corpus))
    found: dict[str, list[bytes]] = {}
    for (year, number), month in by_month.items():
        joined = digests.of(("month", f"{year:04d}-{number:02d}"), month)
        if joined is None:
            continue
        key = hashlib.blake2b(salt + joined, digest_size=20).hexdigest()
        fragments = known.get(key)
        if fragments is None:
            made = partial(_month_fragments, form, month, names, config)
            fragments = _decoded(months.get_or_make(key, made))
            if fragments is None:
                continue  # a damaged entry: render_events serialises these events again
        else:
            months.used.add(key)  # not pruned, although not read
        if len(fragments) == len(month):
            cache.update(zip((e.id for e in month), fragments, strict=True))
            found[key] = fragments
    return found


def _decoded(data: bytes) -> list[bytes] | None:
    """Return a month's fragments from its cache entry, UTF-8 encoded; None if the entry is damaged."""
    try:
        texts = json.loads(data)
    except ValueError:
        return None
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        return None
    return [t.encode() for t in texts]


def _month_fragments(form: Format, month: Sequence[Event], names: _Names, config: SiteConfig) -> bytes:
    return json.dumps([form.fragment(e, names, config) for e in month]).encode()


def _names_digest(corpus: Corpus) -> bytes:
    """Return a digest of what _Names looks up: actor names and kinds, source and region names."""
    names = ([(a.id, a.name, a.kind) for a in corpus.actors.values()],
             [(x.id, x.name) for x in corpus.sources.values()],
             [(r.id, r.name) for r in corpus.regions.values()])
    return hashlib.blake2b(json.dumps(names, sort_keys=True).encode(), digest_size=20).digest()


def _feeds(corpus: Corpus, indexes: Indexes, config: SiteConfig, memo: ExportMemo | None = None
           ) -> Iterator[SiteFile]:
    from sitrep.feeds import iter_files

    return iter_files(corpus, indexes, config, memo.feeds if memo is not None else None)


def _sitemap(corpus: Corpus, indexes: Indexes, config: SiteConfig, memo: ExportMemo | None = None
             ) -> Iterator[OutputFile]:
    from sitrep.sitemap import iter_files

    return iter_files(corpus, indexes, config, memo=memo.sitemap if memo is not None else None)


Exporter = Callable[..., Iterator[SiteFile]]
EXPORTERS: Mapping[str, Exporter] = {
    "csv": data_files("csv"), "json": data_files("json"), "geojson": data_files("geojson"),
    "atom": _feeds, "sitemap": _sitemap,
}


def iter_files(corpus: Corpus, indexes: Indexes, config: SiteConfig,
               memo: ExportMemo | None = None) -> Iterator[SiteFile]:
    """Yield every export: data files, Atom feeds, sitemap.xml and robots.txt.

    A long-lived process passes the same `memo` to each build (see ExportMemo)."""
    digests = _ScopeDigests(corpus, memo)
    fragments = memo.fragments if memo is not None else None
    for fmt, exporter in EXPORTERS.items():
        if fmt in FORMATS:
            yield from exporter(corpus, indexes, config, fragments, digests)
        else:
            yield from exporter(corpus, indexes, config, memo)
