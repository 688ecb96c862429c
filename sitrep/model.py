"""The typed, immutable content model. No I/O here: `validate` builds it, everything else reads it.

Objects link to each other by id only; `Corpus` resolves ids. Collections are tuples or read-only
mappings so nothing downstream can change what an editor wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Pos:
    """Where a value was written: file path (as given to the loader), 1-based line and column."""

    path: str
    line: int = 1
    col: int = 1


@dataclass(frozen=True, slots=True)
class DateRange:
    start: date
    end: date
    precision: str = "day"  # day | week | month

    @property
    def is_single_day(self) -> bool:
        return self.start == self.end


@dataclass(frozen=True, slots=True)
class ActorRef:
    actor: str  # actor id
    role: str  # perpetrator | target | claimant | associated


@dataclass(frozen=True, slots=True)
class Location:
    country: str
    region: str  # region id (ISO 3166-2)
    admin2: str | None = None
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    geo_precision: int = 1  # 1 exact place, 2 near / part of region, 3 region only


@dataclass(frozen=True, slots=True)
class Breakdown:
    side_a: int | None = None
    side_b: int | None = None
    civilians: int | None = None
    unknown: int | None = None

    @property
    def total(self) -> int:
        return sum(v for v in (self.side_a, self.side_b, self.civilians, self.unknown) if v)


@dataclass(frozen=True, slots=True)
class Fatalities:
    """Reported deaths. Disagreeing sources are kept as a range, never averaged away."""

    low: int
    best: int
    high: int
    breakdown: Breakdown | None = None
    note: str | None = None

    @property
    def is_range(self) -> bool:
        return self.low != self.high


@dataclass(frozen=True, slots=True)
class Claim:
    """Someone saying they did it. A claim is not a confirmation and is shown apart from reports."""

    by: str  # actor id
    channel: str | None = None  # e.g. the group's propaganda outlet
    date: date | None = None
    source: str | None = None  # source id that carried the claim
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Figure:
    """A non-fatality figure (people in need, displaced, ...) and the source that gave it."""

    label: str
    value: float
    source: str  # source id, listed in the event's sources
    unit: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRef:
    source: str  # source id
    via: str | None = None  # source id of the outlet that carried it, if not direct
    url: str | None = None
    archive_url: str | None = None
    published: date | None = None
    supports: tuple[str, ...] = ()  # which fields this source backs
    fatalities: int | None = None  # the death toll this source gave, when it gave one
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Revision:
    date: date
    note: str


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    title: str
    status: str
    date: DateRange
    event_type: str
    sub_event_type: str
    location: Location
    assessment: str
    summary: str  # Markdown, no raw HTML
    pos: Pos
    actors: tuple[ActorRef, ...] = ()
    fatalities: Fatalities | None = None
    claims: tuple[Claim, ...] = ()
    figures: tuple[Figure, ...] = ()
    sources: tuple[SourceRef, ...] = ()
    tags: tuple[str, ...] = ()
    external_ids: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    revisions: tuple[Revision, ...] = ()
    ucdp_type_of_violence: int | None = None
    superseded_by: str | None = None
    redirect_from: tuple[str, ...] = ()  # former ids of a renamed or merged event
    imported: bool = False  # written by an importer and not yet reviewed by an editor

    @property
    def region(self) -> str:
        return self.location.region

    @property
    def is_public(self) -> bool:
        """Drafts are never published; retracted and superseded events stay visible, marked."""
        return self.status != "draft"

    def actors_with_role(self, role: str) -> tuple[str, ...]:
        return tuple(a.actor for a in self.actors if a.role == role)

    @property
    def updated(self) -> date:
        """The latest public change: the newest revision, or the event's end date."""
        if not self.revisions:  # most events: read for every listing, feed and sitemap entry
            return self.date.end
        return max(r.date for r in self.revisions)


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    name: str
    kind: str
    pos: Pos
    aliases: tuple[str, ...] = ()
    native_name: str | None = None
    affiliations: tuple[str, ...] = ()  # other actor ids
    description: str = ""  # Markdown
    imported: bool = False


@dataclass(frozen=True, slots=True)
class Region:
    id: str  # the ISO 3166-2 code, e.g. SY-HL
    name: str
    country: str
    iso_3166_2: str
    pos: Pos
    alt_names: tuple[str, ...] = ()
    native_name: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    name: str
    kind: str
    pos: Pos
    url: str | None = None
    reliability: str | None = None  # admiralty grade A–F
    aliases: tuple[str, ...] = ()
    native_name: str | None = None
    description: str = ""
    imported: bool = False


@dataclass(frozen=True, slots=True)
class Briefing:
    id: str
    title: str
    period_from: date
    period_to: date
    pos: Pos
    body: str  # Markdown narrative; cites events as [[event-id]]
    body_line: int  # line of the file where the body starts, for error positions
    regions: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    author: str | None = None
    status: str = "published"
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Shape:
    """A region's outline: polygons of rings of (lon, lat), from content/geo/*.geojson."""

    id: str
    polygons: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]
    bbox: tuple[float, float, float, float] = field(init=False, compare=False)
    """(min lon, min lat, max lon, max lat), computed once: point tests check it first."""

    def __post_init__(self) -> None:
        xs = [x for poly in self.polygons for ring in poly for x, _ in ring]
        ys = [y for poly in self.polygons for ring in poly for _, y in ring]
        object.__setattr__(self, "bbox", (min(xs), min(ys), max(xs), max(ys)))


@dataclass(frozen=True, slots=True)
class Corpus:
    """Everything validated content says. Events are sorted by (start date, id)."""

    events: tuple[Event, ...]
    actors: Mapping[str, Actor]
    regions: Mapping[str, Region]
    sources: Mapping[str, Source]
    briefings: Mapping[str, Briefing]
    events_by_id: Mapping[str, Event]
    shapes: Mapping[str, Shape] = field(default_factory=lambda: MappingProxyType({}))
    file_digests: Mapping[str, tuple[Event, bytes]] = field(default_factory=lambda: MappingProxyType({}),
                                                            compare=False, repr=False)
    """Event id → (the Event validate read, a digest of its file's path and bytes). An Event is made
    from its file alone (other files decide only whether it is valid), so with Sitrep's code the
    digest fixes it: page keys and export caches use it instead of pickling the event."""

    def file_digest(self, event: Event) -> bytes | None:
        """Return the digest of the file `event` was read from; None for an event made any other way
        (dataclasses.replace, tests, importers), which must be pickled to be known."""
        entry = self.file_digests.get(event.id)
        return entry[1] if entry is not None and entry[0] is event else None

    @property
    def public_events(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.is_public)

    def event(self, event_id: str) -> Event | None:
        return self.events_by_id.get(event_id)
