"""Page builders: for each page kind, the typed contexts of all its pages (see render_context).

Each builder yields (template name, context). Cost per page is bounded: a list page holds at most
`page_size` events, and the extras of a subject (chart, map, rankings) are on its first page only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from markupsafe import Markup

from sitrep import charts
from sitrep.config import SiteConfig
from sitrep.index import Indexes, MonthPoint, Summary, event_actor_ids, event_source_ids
from sitrep.markup import html_to_text, to_html
from sitrep.model import Actor, Corpus, Event, Region, Source
from sitrep.render_context import (
    ActorContext,
    Chart,
    ClaimView,
    EventContext,
    FigureView,
    ListingContext,
    Meta,
    Pager,
    Ranked,
    RegionContext,
    SourceContext,
    SourceView,
)
from sitrep.render_maps import MapMaker
from sitrep.render_text import date_text, deaths
from sitrep.urls import url_for
from sitrep.vocab import ROLES


@dataclass(frozen=True, slots=True)
class Deferred:
    """A page whose context is made only if the page is rendered.

    `inputs` holds everything `make` reads besides the config and the geography (the corpus's
    shapes and regions), which the page's key then covers instead of the context (see page_keys)."""

    url: str
    inputs: object
    make: Callable[[], object]


@dataclass(frozen=True, slots=True)
class Kept:
    """A page whose inputs are identical to the last build's, found without making them: it has
    the last build's `key`; `make` makes its context should the page be rendered after all."""

    path: str
    key: bytes
    make: Callable[[], object]


Rendered = tuple[str, object]
"""(template name, context or Deferred)."""
MAP_EVENTS_CAP = 400
"""Most events drawn on a region's static map (its newest): bounds the page's size."""


@dataclass(slots=True)
class Site:
    """Everything builders share, made once per build."""

    corpus: Corpus
    indexes: Indexes
    config: SiteConfig
    maps: MapMaker
    kept_event: Callable[[Event], tuple[str, bytes] | None] | None = None
    """Gives an event page's path and key when its inputs are the last build's (render.EventShortcut)."""

    def url(self, target: object, *args: object, page: int = 1) -> str:
        return url_for(target, *args, page=page, config=self.config)

    def region_name(self, region_id: str) -> str:
        region = self.corpus.regions.get(region_id)
        return region.name if region else region_id

    def crumbs(self, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
        return (("Home", self.url("home")), *extra)


def paginate(items: Sequence[Event], size: int,
             url_of: Callable[[int], str]) -> Iterator[tuple[Pager, Sequence[Event]]]:
    """Yield (pager, slice) for each page of `items`; an empty list still gets one page."""
    size = max(size, 1)
    count = max(1, -(-len(items) // size))
    for n in range(1, count + 1):
        window = sorted({1, count, *range(max(1, n - 2), min(count, n + 2) + 1)})
        chunk = items[(n - 1) * size: n * size]
        first = (n - 1) * size + 1 if chunk else 0
        yield (Pager(n, count, len(items), first, first + len(chunk) - 1 if chunk else 0,
                     tuple((i, url_of(i)) for i in window),
                     url_of(n - 1) if n > 1 else None, url_of(n + 1) if n < count else None), chunk)


def listing(site: Site, title: str, url_of: Callable[[int], str], events: Sequence[Event], *,
            description: str, crumbs: tuple[tuple[str, str], ...], section: str, newest_first: bool = True,
            roles_of: Callable[[Event], tuple[str, ...]] | None = None) -> Iterator[ListingContext]:
    """Yield one ListingContext per page of `events` (given oldest first, as every index keeps them)."""
    ordered = events[::-1] if newest_first else events
    for pager, chunk in paginate(ordered, site.config.page_size, url_of):
        page_title = title if pager.number == 1 else f"{title} (page {pager.number} of {pager.count})"
        roles = MappingProxyType({e.id: roles_of(e) for e in chunk}) if roles_of else None
        yield ListingContext(Meta(page_title, url_of(pager.number), description, crumbs, section),
                             pager, tuple(chunk), site.corpus.regions, newest_first, roles)


def monthly(points: Sequence[MonthPoint], subject: str) -> Chart | None:
    """Return the monthly chart of a series, None when there is nothing to draw."""
    if not points:
        return None
    series = tuple(points)
    return Chart(partial(charts.monthly_chart, series, subject),
                 f"Events and fatalities per month, {subject}", series)


# ---- event pages --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class EventInputs:
    """Every record an event's page is made from. Its context (event_context) is a function of these,
    the config and the geography alone, so the page's key can be taken from them without making it."""

    event: Event
    region: Region | None
    actors: Mapping[str, Actor]
    """The event's actors and claimants that exist, by id."""
    sources: Mapping[str, Source]
    """Its cited sources, the sources they came through and its claims' sources that exist, by id."""
    successor: Event | None
    predecessors: tuple[Event, ...]
    previous: Event | None
    next: Event | None

    def digest(self, shared: Callable[[object], bytes]) -> bytes:
        """Return every field, in order, as its records' digests (`shared`: PageKeys.shared) and the
        ids they are held under, for the page's key (render.page_key). Each part's length is known
        from its start, so no two inputs give the same bytes. A third of the cost of pickling the
        inputs for the key (at 10k events, 0.09 s against 0.27 s a build); tests/test_page_keys
        checks that each field changes it."""
        parts = [shared(self.event), *_optional(shared, self.region)]
        for held in (self.actors, self.sources):
            parts.append(len(held).to_bytes(4, "little"))
            for key, record in held.items():
                raw = key.encode("utf-8", "surrogatepass")
                parts += (len(raw).to_bytes(4, "little"), raw, shared(record))
        parts += (*_optional(shared, self.successor), len(self.predecessors).to_bytes(4, "little"),
                  *map(shared, self.predecessors), *_optional(shared, self.previous),
                  *_optional(shared, self.next))
        return b"".join(parts)


def _optional(shared: Callable[[object], bytes], record: object | None) -> tuple[bytes, ...]:
    return (b"\1", shared(record)) if record is not None else (b"\0",)


def event_inputs(site: Site, event: Event) -> EventInputs:
    corpus = site.corpus
    # Sorted: the ids come as sets, whose order varies between processes and would vary the key.
    return EventInputs(
        event, corpus.regions.get(event.region),
        MappingProxyType({a: corpus.actors[a] for a in sorted(event_actor_ids(event)) if a in corpus.actors}),
        MappingProxyType({s: corpus.sources[s] for s in sorted(event_source_ids(event))
                          if s in corpus.sources}),
        *event_links(site, event))


def event_links(site: Site, event: Event) -> tuple[Event | None, tuple[Event, ...], Event | None,
                                                   Event | None]:
    """Return the events an event's page links to: EventInputs' successor, predecessors, previous
    and next. The rest of its inputs come from the event and the regions, actors and sources."""
    by_id, ix = site.corpus.events_by_id, site.indexes
    near = ix.neighbours.get(event.id)
    successor = ix.successors.get(event.id)
    return (by_id.get(successor) if successor else None,
            tuple(by_id[i] for i in ix.predecessors.get(event.id, ())),
            by_id.get(near.previous) if near and near.previous else None,
            by_id.get(near.next) if near and near.next else None)


def event_page_context(site: Site, event: Event) -> EventContext:
    """Return an event page's context from the event alone (for a page render.EventShortcut kept)."""
    return event_context(event_inputs(site, event), site.config, site.maps)


def _source_views(inputs: EventInputs) -> tuple[SourceView, ...]:
    sources = inputs.sources
    return tuple(SourceView(i, ref, sources.get(ref.source), sources.get(ref.via) if ref.via else None)
                 for i, ref in enumerate(inputs.event.sources, 1))


def short_name(view: SourceView) -> str:
    """Return a source's shortest fitting name for a chart label: an alias like 'SOHR' if it has one."""
    if view.source is None:
        return view.ref.source
    short = [a for a in view.source.aliases if len(a) <= 14 and not a[:1].islower()]
    return min(short, key=len) if short and len(view.source.name) > 14 else view.source.name


def _actors_by_role(inputs: EventInputs) -> tuple[tuple[str, tuple[Actor, ...]], ...]:
    out = []
    for role in ROLES:
        if role == "claimant":
            continue
        actors = tuple(inputs.actors[a] for a in inputs.event.actors_with_role(role) if a in inputs.actors)
        if actors:
            out.append((role, actors))
    return tuple(out)


def event_context(inputs: EventInputs, config: SiteConfig, maps: MapMaker) -> EventContext:
    """Return the context of one event's page from its inputs (no other part of the corpus)."""
    event = inputs.event
    views = _source_views(inputs)
    backing = {f: tuple(v for v in views if f in v.ref.supports) for v in views for f in v.ref.supports}
    tolls = tuple((v, v.ref.fatalities) for v in views if v.ref.fatalities is not None)
    f = event.fatalities
    marks = [(short_name(v), t) for v, t in tolls]
    range_svg = charts.range_bar(f.low, f.best, f.high, marks) if f else Markup("")
    figures = tuple(FigureView(fig, tuple(v for v in views if v.ref.source == fig.source))
                    for fig in event.figures)
    claims = tuple(ClaimView(c, inputs.actors.get(c.by), inputs.sources.get(c.source) if c.source else None)
                   for c in event.claims)
    region_name = inputs.region.name if inputs.region else event.region
    crumbs = (("Home", url_for("home", config=config)), ("Regions", url_for("regions", config=config)),
              (region_name, url_for("region", event.region, config=config)))
    summary_html = to_html(event.summary)
    toll = f"; fatalities: {deaths(f)}" if f else ""
    description = (f"{event.event_type}, {date_text(event.date)}, {region_name}{toll}. "
                   f"{html_to_text(summary_html, 160)}")
    return EventContext(
        meta=Meta(event.title, url_for(event, config=config), description, crumbs, "regions"),
        event=event, summary_html=summary_html, region=inputs.region, actors=_actors_by_role(inputs),
        claims=claims, sources=views,
        backing=MappingProxyType(backing), tolls=tolls, range_svg=range_svg, figures=figures,
        successor=inputs.successor, predecessors=inputs.predecessors, previous=inputs.previous,
        next=inputs.next, map_svg=maps.event_map(event),
    )


def event_pages(site: Site) -> Iterator[Rendered]:
    """Yield every listed event's page, its context deferred until the page must be rendered."""
    kept = site.kept_event
    for event in site.indexes.listed:
        site.maps.prepare(event.region)  # the base layer file must exist although the page may be kept
        if kept is not None and (found := kept(event)) is not None:
            yield "event.html", Kept(*found, partial(event_page_context, site, event))
            continue
        inputs = event_inputs(site, event)
        yield "event.html", Deferred(url_for(event, config=site.config), inputs,
                                     partial(event_context, inputs, site.config, site.maps))


# ---- region, actor and source pages --------------------------------------------------------------

def _ranked_actors(site: Site, pairs: Sequence[tuple[str, int]], limit: int = 10) -> tuple[Ranked, ...]:
    actors = site.corpus.actors
    return tuple(Ranked(actors[a].name if a in actors else a,
                        site.url("actor", a) if a in actors else None, n) for a, n in pairs[:limit])


def _ranked_regions(site: Site, pairs: Sequence[tuple[str, int]], limit: int = 10) -> tuple[Ranked, ...]:
    regions = site.corpus.regions
    return tuple(Ranked(site.region_name(r), site.url("region", r) if r in regions else None, n,
                        site.indexes.region_totals.get(r)) for r, n in pairs[:limit])


def region_pages(site: Site) -> Iterator[Rendered]:
    """Yield every page of every region (regions without events get one empty page)."""
    ix = site.indexes
    for region in site.corpus.regions.values():
        events = ix.by_region.get(region.id, ())
        first = True
        for page in listing(site, region.name, lambda n, r=region: site.url(r, page=n), events,
                            description=f"Conflict events in {region.name}, newest first.",
                            crumbs=site.crumbs(("Regions", site.url("regions"))), section="regions"):
            shown = events[-MAP_EVENTS_CAP:] if first else ()
            yield "region.html", RegionContext(
                listing=page, region=region, summary=ix.region_totals.get(region.id, Summary()),
                chart=monthly(ix.region_monthly.get(region.id, ()), region.name) if first else None,
                actors=_ranked_actors(site, ix.region_actors.get(region.id, ())) if first else (),
                map_svg=site.maps.region_map(region.id, shown, len(events)) if first else Markup(""),
                map_types=tuple(sorted({e.event_type for e in shown})),
                feed_url=site.url("feed", "regions", region.id))
            first = False


def _members(corpus: Corpus) -> dict[str, tuple[Actor, ...]]:
    members: dict[str, list[Actor]] = {}
    for actor in corpus.actors.values():
        for parent in actor.affiliations:
            members.setdefault(parent, []).append(actor)
    return {k: tuple(v) for k, v in members.items()}


def _roles_by_event(by_role: Mapping[str, Sequence[Event]]) -> dict[str, tuple[str, ...]]:
    """Return event id → the roles (in ROLES order) one actor holds in it, from that actor's
    index.Indexes.by_actor_role: not from each event's own actors and claims, page after page."""
    held: dict[str, list[str]] = {}
    for role in ROLES:
        for event in by_role.get(role, ()):
            held.setdefault(event.id, []).append(role)
    return {event_id: tuple(roles) for event_id, roles in held.items()}


def actor_pages(site: Site) -> Iterator[Rendered]:
    """Yield every page of every actor."""
    ix, corpus = site.indexes, site.corpus
    members = _members(corpus)
    for actor in corpus.actors.values():
        events = ix.by_actor.get(actor.id, ())
        by_role = ix.by_actor_role.get(actor.id, {})
        first = True
        held = _roles_by_event(by_role)
        for page in listing(site, actor.name, lambda n, a=actor: site.url(a, page=n), events,
                            description=f"Events involving {actor.name}: as perpetrator, target or claimant.",
                            crumbs=site.crumbs(("Actors", site.url("actors"))), section="actors",
                            roles_of=lambda e, held=held: held.get(e.id, ())):
            yield "actor.html", ActorContext(
                listing=page, actor=actor,
                affiliations=tuple(corpus.actors[a] for a in actor.affiliations if a in corpus.actors),
                members=members.get(actor.id, ()),
                roles=tuple((r, len(by_role[r])) for r in ROLES if r in by_role),
                summary=ix.actor_totals.get(actor.id, Summary()),
                chart=monthly(ix.actor_monthly.get(actor.id, ()), actor.name) if first else None,
                regions=_ranked_regions(site, ix.actor_regions.get(actor.id, ())) if first else (),
                feed_url=site.url("feed", "actors", actor.id))
            first = False


def source_pages(site: Site) -> Iterator[Rendered]:
    """Yield every page of every source."""
    for source in site.corpus.sources.values():
        events = site.indexes.by_source.get(source.id, ())
        direct = sum(1 for e in events if any(r.source == source.id for r in e.sources))
        for page in listing(site, source.name, lambda n, s=source: site.url(s, page=n), events,
                            description=f"{source.name}: what it is and the events it backs.",
                            crumbs=site.crumbs(("Sources", site.url("sources"))), section="sources"):
            yield "source.html", SourceContext(page, source, direct, len(events) - direct)
