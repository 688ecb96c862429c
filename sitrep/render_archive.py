"""Page builders for the archive and entry pages: timeline, month, type, directories, home, map,
redirects and the 404 page. Same shape as render_pages: each yields (template name, context).
"""

from __future__ import annotations

import calendar
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from functools import partial
from types import MappingProxyType

from sitrep import charts
from sitrep.index import between, latest_period, monthly_series, ranked, summarise
from sitrep.model import Event
from sitrep.render_context import (
    Chart,
    HomeContext,
    IndexContext,
    MapContext,
    Meta,
    MonthContext,
    PlainContext,
    Ranked,
    RedirectContext,
    TimelineContext,
    TypeContext,
)
from sitrep.render_pages import Rendered, Site, listing, monthly
from sitrep.svgmap import EVENT_TYPE_COLOURS
from sitrep.vocab import EVENT_TYPES

# ---- timeline -----------------------------------------------------------------------------------

def _days(year: int, month: int, events: Sequence[Event]) -> tuple[tuple[date, int, int, int], ...]:
    """Return (day, counted events, fatalities low, high) for every day of the month."""
    rows = {d: [0, 0, 0] for d in range(1, calendar.monthrange(year, month)[1] + 1)}
    for e in events:
        if e.status != "published":
            continue
        row = rows[e.date.start.day]
        row[0] += 1
        if e.fatalities:
            row[1] += e.fatalities.low
            row[2] += e.fatalities.high
    return tuple((date(year, month, d), *r) for d, r in rows.items())  # type: ignore[misc]


def month_pages(site: Site) -> Iterator[Rendered]:
    """Yield every page of every month that has listed events, oldest first within a month."""
    months = list(site.indexes.by_month)
    for i, (year, month) in enumerate(months):
        events = site.indexes.by_month[(year, month)]
        label = charts.month_label(year, month)
        days = _days(year, month, events)
        prev_m = months[i - 1] if i > 0 else None
        next_m = months[i + 1] if i + 1 < len(months) else None
        summary = summarise(e for e in events if e.status == "published")  # once: every page shows it
        first = True
        for page in listing(site, label, lambda n, y=year, m=month: site.url("month", y, m, page=n), events,
                            description=f"Conflict events in {label}, day by day.", newest_first=False,
                            crumbs=site.crumbs(("Timeline", site.url("timeline"))), section="timeline"):
            chart = Chart(partial(charts.daily_chart, days, label), f"Events and fatalities per day, {label}",
                          days=days) if first else None
            yield "month.html", MonthContext(
                page, year, month, summary, chart,
                (charts.month_label(*prev_m), site.url("month", *prev_m)) if prev_m else None,
                (charts.month_label(*next_m), site.url("month", *next_m)) if next_m else None)
            first = False


def timeline_page(site: Site) -> Iterator[Rendered]:
    """Yield the timeline index: a year-by-month grid of event counts."""
    by_month = site.indexes.by_month
    years = sorted({y for y, _ in by_month})
    grid = tuple((y, tuple((m, len(by_month.get((y, m), ())),
                            site.url("month", y, m) if (y, m) in by_month else None) for m in range(1, 13)))
                 for y in reversed(years))
    meta = Meta("Timeline", site.url("timeline"), "Every month with events, and how many each holds.",
                site.crumbs(), "timeline")
    yield "timeline.html", TimelineContext(meta, grid, site.indexes.totals)


# ---- event types --------------------------------------------------------------------------------

def type_pages(site: Site) -> Iterator[Rendered]:
    """Yield every page of every event type that has listed events."""
    for event_type, events in site.indexes.by_type.items():
        counted = [e for e in events if e.status == "published"]
        subtypes = tuple(Ranked(s, None, n) for s, n in ranked(Counter(e.sub_event_type for e in events)))
        summary = summarise(counted)  # once per type: every page of it shows the totals
        first = True
        for page in listing(site, event_type, lambda n, t=event_type: site.url("type", t, page=n), events,
                            description=f"Events of type {event_type}, newest first.",
                            crumbs=site.crumbs(("Event types", site.url("types"))), section="types"):
            yield "type.html", TypeContext(
                page, event_type, subtypes, summary,
                monthly(monthly_series(counted), event_type) if first else None)
            first = False


# ---- directories --------------------------------------------------------------------------------

def directory_pages(site: Site) -> Iterator[Rendered]:
    """Yield the regions, actors, sources and event types directories."""
    ix, c = site.indexes, site.corpus
    regions = tuple(Ranked(r.name, site.url(r), len(ix.by_region.get(r.id, ())), ix.region_totals.get(r.id),
                           r.native_name or "") for r in sorted(c.regions.values(), key=lambda r: r.name))
    actors = tuple(Ranked(a.name, site.url(a), len(ix.by_actor.get(a.id, ())), ix.actor_totals.get(a.id),
                          a.kind) for a in sorted(c.actors.values(), key=lambda a: a.name.lower()))
    sources = tuple(Ranked(s.name, site.url(s), len(ix.by_source.get(s.id, ())), None,
                           s.kind + (f", grade {s.reliability}" if s.reliability else ""))
                    for s in sorted(c.sources.values(), key=lambda s: s.name.lower()))
    types = tuple(Ranked(t, site.url("type", t) if t in ix.by_type else None, len(ix.by_type.get(t, ())),
                         summarise(e for e in ix.by_type.get(t, ()) if e.status == "published"))
                  for t in EVENT_TYPES)
    for kind, title, rows, intro in (
        ("regions", "Regions", regions, "First-level administrative divisions and their events."),
        ("actors", "Actors", actors, "Armed groups, state forces and others named in events."),
        ("sources", "Sources", sources, "Monitors, agencies and outlets whose reports back the events."),
        ("types", "Event types", types, "The six event types of the ACLED codebook."),
    ):
        meta = Meta(title, site.url(kind), intro, site.crumbs(), kind)
        yield "directory.html", IndexContext(meta, kind, rows, intro)


# ---- home ---------------------------------------------------------------------------------------

def home_page(site: Site) -> Iterator[Rendered]:
    """Yield the home page: latest events, key figures for the latest period, the latest briefing."""
    ix, c, cfg = site.indexes, site.corpus, site.config
    period = latest_period(ix.counted, cfg.key_figures_days)
    recent = between(ix.counted, *period) if period else ()
    region_counts = ranked(Counter(e.region for e in recent))
    actor_counts = ranked(Counter(a for e in recent for a in {r.actor for r in e.actors}))
    by_region = {r: summarise(e for e in recent if e.region == r) for r, _ in region_counts[:5]}
    briefings = sorted((b for b in c.briefings.values() if b.status == "published"),
                       key=lambda b: (b.period_to, b.id))
    counts = {"events": len(ix.listed), "regions": len(c.regions), "actors": len(c.actors),
              "sources": len(c.sources), "months": len(ix.by_month)}
    meta = Meta(cfg.site_name, site.url("home"), cfg.site_description, (), "home")
    yield "home.html", HomeContext(
        meta, tuple(ix.listed[::-1][: cfg.home_latest]), c.regions, period, summarise(recent),
        tuple(Ranked(site.region_name(r), site.url("region", r), n, by_region[r])
              for r, n in region_counts[:5]),
        tuple(Ranked(c.actors[a].name if a in c.actors else a,
                     site.url("actor", a) if a in c.actors else None, n) for a, n in actor_counts[:5]),
        briefings[-1] if briefings else None, ix.totals, MappingProxyType(counts))


# ---- map ----------------------------------------------------------------------------------------

def map_page(site: Site) -> Iterator[Rendered]:
    """Yield the interactive map page; its data are the two JSON files of `map_data`."""
    ix, c = site.indexes, site.corpus
    types = tuple((t, EVENT_TYPE_COLOURS.get(t, "#555555")) for t in EVENT_TYPES if t in ix.by_type)
    rows = tuple(Ranked(r.name, site.url(r), len(ix.by_region.get(r.id, ())), ix.region_totals.get(r.id))
                 for r in sorted(c.regions.values(), key=lambda r: r.name))
    meta = Meta("Map of events", site.url("map"), "All events on a map, by type and date.",
                site.crumbs(), "map")
    first = ix.listed[0].date.start if ix.listed else None
    last = max((e.date.start for e in ix.listed), default=None)
    yield "map.html", MapContext(meta, types, first, last, rows, site.url("map_events"),
                                 site.url("map_regions"))


def map_data(site: Site) -> Iterator[tuple[str, bytes]]:
    """Yield (url, JSON bytes) for the map: compact event rows and region shapes (GeoJSON)."""
    ix, c = site.indexes, site.corpus
    types = list(EVENT_TYPES)
    regions = sorted(c.regions)
    region_ix = {r: i for i, r in enumerate(regions)}
    rows = []
    for e in ix.listed:
        if e.location.lat is None or e.location.lon is None:
            continue
        f = e.fatalities
        # [lat, lon, type, start date, deaths low, deaths high, region, id, title, status]: positional to
        # keep the file small; static/js/map.js reads the same order.
        rows.append([round(e.location.lat, 4), round(e.location.lon, 4), types.index(e.event_type),
                     e.date.start.isoformat(), f.low if f else None, f.high if f else None,
                     region_ix.get(e.region, -1), e.id, e.title, e.status])
    doc = {"types": types, "regions": regions, "events": rows}
    yield site.url("map_events"), _json(doc)
    features = [{"type": "Feature", "id": sid,
                 "properties": {"id": sid, "name": site.region_name(sid),
                                "url": site.url("region", sid) if sid in c.regions else None},
                 "geometry": {"type": "MultiPolygon", "coordinates": [
                     [[list(p) for p in ring] for ring in poly] for poly in shape.polygons]}}
                for sid, shape in sorted(c.shapes.items())]
    yield site.url("map_regions"), _json({"type": "FeatureCollection", "features": features})


def _json(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


# ---- redirects and errors -----------------------------------------------------------------------

def redirect_pages(site: Site) -> Iterator[Rendered]:
    """Yield a redirect page at each former event id, pointing at the current page."""
    for old, new in site.indexes.redirects.items():
        if old in site.corpus.events_by_id:
            continue  # the id is in use again: its own page wins
        target = site.url("event", new)
        meta = Meta(f"Moved: {site.corpus.events_by_id[new].title}", site.url("event", old), "",
                    site.crumbs(), noindex=True)
        yield "redirect.html", RedirectContext(meta, target)


def not_found_page(site: Site) -> Iterator[Rendered]:
    """Yield the 404 page (its links are site-absolute so it works at any depth)."""
    meta = Meta("Page not found", site.url("not_found"), "", site.crumbs(), noindex=True)
    yield "404.html", PlainContext(meta)
