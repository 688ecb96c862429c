"""Typed contexts: exactly what each page template may read. Templates get `page` (one of these)
and `meta` (its Meta). A contract test renders every kind and checks these fields are the ones used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from sitrep.index import MonthPoint, Summary
from sitrep.model import Actor, Briefing, Claim, Event, Figure, Region, Source, SourceRef


@dataclass(frozen=True, slots=True)
class Meta:
    """What the base layout needs from every page."""

    title: str
    url: str
    description: str = ""
    crumbs: tuple[tuple[str, str], ...] = ()
    """(label, url) from the home page down to the parent of this page."""
    section: str = ""
    """Which top navigation entry is current: home, timeline, regions, actors, sources, map, ..."""
    noindex: bool = False


@dataclass(frozen=True, slots=True)
class Pager:
    """Where one page sits in a paginated list."""

    number: int
    count: int
    total: int
    first_item: int
    last_item: int
    links: tuple[tuple[int, str], ...]
    """(page number, url) for a window of pages around this one, plus the first and the last."""
    previous: str | None
    next: str | None


@dataclass(frozen=True, slots=True)
class Ranked:
    """A region, actor or other subject with its count of events (and toll, where relevant)."""

    label: str
    url: str | None
    events: int
    summary: Summary | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Chart:
    """A build-time SVG chart and the table that says the same in text."""

    draw: Callable[[], Markup]
    """Draws the SVG when a template reads `svg`: a partial of a module's function, which the page's
    key covers with its arguments (page_keys), so a page kept by its key never draws its chart."""
    caption: str
    points: tuple[MonthPoint, ...] = ()
    days: tuple[tuple[date, int, int, int], ...] = ()

    @property
    def svg(self) -> Markup:
        return self.draw()


@dataclass(frozen=True, slots=True)
class SourceView:
    """One entry of an event's sources list, numbered so facts can point at it."""

    number: int
    ref: SourceRef
    source: Source | None
    via: Source | None

    @property
    def anchor(self) -> str:
        return f"source-{self.number}"


@dataclass(frozen=True, slots=True)
class ClaimView:
    claim: Claim
    actor: Actor | None
    source: Source | None


@dataclass(frozen=True, slots=True)
class FigureView:
    figure: Figure
    sources: tuple[SourceView, ...]


@dataclass(frozen=True, slots=True)
class EventContext:
    meta: Meta
    event: Event
    summary_html: Markup
    region: Region | None
    actors: tuple[tuple[str, tuple[Actor, ...]], ...]
    """(role, actors) in the order perpetrator, target, associated; claimants are in `claims`."""
    claims: tuple[ClaimView, ...]
    sources: tuple[SourceView, ...]
    backing: Mapping[str, tuple[SourceView, ...]]
    """Supported field (fatalities, actors, location, date, ...) → the sources that back it."""
    tolls: tuple[tuple[SourceView, int], ...]
    """Each source that gave a death toll, with that toll."""
    range_svg: Markup
    figures: tuple[FigureView, ...]
    successor: Event | None
    predecessors: tuple[Event, ...]
    previous: Event | None
    next: Event | None
    map_svg: Markup


@dataclass(frozen=True, slots=True)
class ListingContext:
    """A paginated list of events about one subject; subject-specific parts are on page 1 only."""

    meta: Meta
    pager: Pager
    events: tuple[Event, ...]
    regions: Mapping[str, Region]
    newest_first: bool = True
    roles: Mapping[str, tuple[str, ...]] | None = None
    """Event id → this actor's roles in it (actor pages only)."""


@dataclass(frozen=True, slots=True)
class RegionContext:
    listing: ListingContext
    region: Region
    summary: Summary
    chart: Chart | None
    actors: tuple[Ranked, ...]
    map_svg: Markup
    map_types: tuple[str, ...]
    feed_url: str


@dataclass(frozen=True, slots=True)
class ActorContext:
    listing: ListingContext
    actor: Actor
    affiliations: tuple[Actor, ...]
    members: tuple[Actor, ...]
    """Actors that name this one among their affiliations."""
    roles: tuple[tuple[str, int], ...]
    summary: Summary
    chart: Chart | None
    regions: tuple[Ranked, ...]
    feed_url: str


@dataclass(frozen=True, slots=True)
class SourceContext:
    listing: ListingContext
    source: Source
    direct: int
    carried: int


@dataclass(frozen=True, slots=True)
class MonthContext:
    listing: ListingContext
    year: int
    month: int
    summary: Summary
    chart: Chart | None
    previous: tuple[str, str] | None
    next: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class TypeContext:
    listing: ListingContext
    event_type: str
    subtypes: tuple[Ranked, ...]
    summary: Summary
    chart: Chart | None


@dataclass(frozen=True, slots=True)
class IndexContext:
    """A directory page (regions, actors, sources, types): one table of subjects."""

    meta: Meta
    kind: str
    rows: tuple[Ranked, ...]
    intro: str = ""


@dataclass(frozen=True, slots=True)
class TimelineContext:
    meta: Meta
    years: tuple[tuple[int, tuple[tuple[int, int, str | None], ...]], ...]
    """(year, ((month, events, url or None), ... 12 months))."""
    totals: Summary


@dataclass(frozen=True, slots=True)
class HomeContext:
    meta: Meta
    latest: tuple[Event, ...]
    regions: Mapping[str, Region]
    period: tuple[date, date] | None
    period_summary: Summary
    top_regions: tuple[Ranked, ...]
    top_actors: tuple[Ranked, ...]
    briefing: Briefing | None
    totals: Summary
    counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class MapContext:
    meta: Meta
    types: tuple[tuple[str, str], ...]
    """(event type, colour) for the filter and legend."""
    first: date | None
    last: date | None
    regions: tuple[Ranked, ...]
    events_url: str
    shapes_url: str


@dataclass(frozen=True, slots=True)
class RedirectContext:
    meta: Meta
    target: str


@dataclass(frozen=True, slots=True)
class PlainContext:
    """A page with nothing but its meta (404)."""

    meta: Meta
