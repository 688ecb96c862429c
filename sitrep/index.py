"""Index stage: pure, linear-time lookups over a Corpus, computed once per build.

Every page, export, feed and briefing reads these instead of scanning the corpus again. Two sets of
events matter and are kept apart on purpose:

- *listed* events are every public event (published, superseded, retracted; never drafts). Lists
  and archives show them all, marked, so a reader following an old link still finds the event.
- *counted* events are the published ones only. Totals, monthly series and rankings use them, so a
  retracted event or one replaced by its successor is never counted twice or counted at all.

All event tuples are in corpus order (oldest first, by (start date, id)); pages that list newest first
reverse them. Nothing here knows which country the corpus covers.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from sitrep.model import Corpus, Event
from sitrep.vocab import ROLES

Month = tuple[int, int]
"""(year, month), e.g. (2019, 4)."""


@dataclass(frozen=True, slots=True)
class Summary:
    """How many counted events a set holds and the fatality range they add up to."""

    events: int = 0
    fatalities_low: int = 0
    fatalities_high: int = 0
    fatalities_best: int = 0

    @property
    def is_range(self) -> bool:
        return self.fatalities_low != self.fatalities_high


@dataclass(frozen=True, slots=True)
class MonthPoint:
    """One month of a series: counted events starting that month and their fatality range."""

    year: int
    month: int
    events: int
    fatalities_low: int
    fatalities_high: int

    @property
    def key(self) -> Month:
        return (self.year, self.month)


@dataclass(frozen=True, slots=True)
class Neighbours:
    """The listed events just before and after one event in the same region (ids), if any."""

    previous: str | None
    next: str | None


@dataclass(frozen=True, slots=True)
class Indexes:
    """Read-only lookups over one Corpus. Build with `build_indexes`; never mutate."""

    listed: tuple[Event, ...]
    """Every public event (not drafts), oldest first."""
    counted: tuple[Event, ...]
    """Published events only: what totals, series and rankings count."""
    by_region: Mapping[str, tuple[Event, ...]]
    """Region id → listed events located there."""
    by_actor: Mapping[str, tuple[Event, ...]]
    """Actor id → listed events the actor takes part in under any role or claims."""
    by_actor_role: Mapping[str, Mapping[str, tuple[Event, ...]]]
    """Actor id → role (perpetrator, target, claimant, associated) → listed events. A claim
    (Event.claims[].by) counts as the role 'claimant' even if the actor is not in Event.actors."""
    by_source: Mapping[str, tuple[Event, ...]]
    """Source id → listed events it backs, directly, as the outlet that carried a report (`via`),
    or as the carrier of a claim."""
    by_type: Mapping[str, tuple[Event, ...]]
    """ACLED event type → listed events."""
    by_month: Mapping[Month, tuple[Event, ...]]
    """(year, month) of the start date → listed events, months in order."""
    totals: Summary
    """Counted events across the whole corpus."""
    region_totals: Mapping[str, Summary]
    actor_totals: Mapping[str, Summary]
    region_monthly: Mapping[str, tuple[MonthPoint, ...]]
    """Region id → one point per month from its first to its last counted event, gaps filled with 0."""
    actor_monthly: Mapping[str, tuple[MonthPoint, ...]]
    region_actors: Mapping[str, tuple[tuple[str, int], ...]]
    """Region id → (actor id, counted events) most active first."""
    actor_regions: Mapping[str, tuple[tuple[str, int], ...]]
    """Actor id → (region id, counted events) most active first."""
    neighbours: Mapping[str, Neighbours]
    """Event id → previous/next listed event in the same region, by (start date, id)."""
    successors: Mapping[str, str]
    """Event id → id of the listed event that supersedes it."""
    predecessors: Mapping[str, tuple[str, ...]]
    """Event id → ids of the events it supersedes."""
    redirects: Mapping[str, str]
    """Former event id (Event.redirect_from) → the current id."""


def _freeze(groups: Mapping[str, list[Event]] | Mapping[Month, list[Event]]) -> Mapping:
    return MappingProxyType({k: tuple(v) for k, v in groups.items()})


def month_of(d: date) -> Month:
    """Return the (year, month) key of a date."""
    return (d.year, d.month)


def next_month(m: Month) -> Month:
    """Return the month after `m`."""
    return (m[0] + 1, 1) if m[1] == 12 else (m[0], m[1] + 1)


def summarise(events: Iterable[Event]) -> Summary:
    """Return the Summary of `events` (callers pass counted events). Unknown tolls add nothing."""
    n = low = high = best = 0
    for e in events:
        n += 1
        if e.fatalities is not None:
            low += e.fatalities.low
            high += e.fatalities.high
            best += e.fatalities.best
    return Summary(n, low, high, best)


def monthly_series(events: Sequence[Event]) -> tuple[MonthPoint, ...]:
    """Return one MonthPoint per month from the first to the last of `events` (oldest first)."""
    if not events:
        return ()
    counts: dict[Month, list[int]] = defaultdict(lambda: [0, 0, 0])
    for e in events:
        c = counts[month_of(e.date.start)]
        c[0] += 1
        if e.fatalities is not None:
            c[1] += e.fatalities.low
            c[2] += e.fatalities.high
    first, last = min(counts), max(counts)
    points, m = [], first
    while m <= last:
        n, low, high = counts.get(m, (0, 0, 0))
        points.append(MonthPoint(m[0], m[1], n, low, high))
        m = next_month(m)
    return tuple(points)


def between(events: Sequence[Event], first: date, last: date) -> tuple[Event, ...]:
    """Return the events (oldest first, as in every index) starting from `first` to `last` inclusive."""
    lo = bisect_left(events, first, key=lambda e: e.date.start)
    hi = bisect_right(events, last, key=lambda e: e.date.start)
    return tuple(events[lo:hi])


def latest_period(events: Sequence[Event], days: int) -> tuple[date, date] | None:
    """Return the `days`-day period ending on the newest start date of `events`, or None if empty."""
    if not events:
        return None
    last = events[-1].date.start
    return (last - timedelta(days=max(days, 1) - 1), last)


def ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    """Return (key, count) pairs, most first, ties by key so the order is stable across builds."""
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def event_actor_roles(event: Event) -> dict[str, set[str]]:
    """Return actor id → roles in `event`, claims included as 'claimant'."""
    roles: dict[str, set[str]] = defaultdict(set)
    for ref in event.actors:
        roles[ref.actor].add(ref.role)
    for claim in event.claims:
        roles[claim.by].add("claimant")
    return roles


def event_actor_ids(event: Event) -> set[str]:
    """Return the ids of every actor `event` names, claimants included (event_actor_roles' keys)."""
    return {ref.actor for ref in event.actors}.union(claim.by for claim in event.claims)


def event_source_ids(event: Event) -> set[str]:
    """Return every source id `event` names: direct sources, carriers (`via`), claim carriers."""
    ids = {ref.source for ref in event.sources}
    ids.update(ref.via for ref in event.sources if ref.via)
    ids.update(c.source for c in event.claims if c.source)
    return ids


def _neighbours(by_region: Mapping[str, tuple[Event, ...]]) -> Mapping[str, Neighbours]:
    out: dict[str, Neighbours] = {}
    for events in by_region.values():
        for i, e in enumerate(events):
            prev = events[i - 1].id if i > 0 else None
            nxt = events[i + 1].id if i + 1 < len(events) else None
            out[e.id] = Neighbours(prev, nxt)
    return MappingProxyType(out)


def _lists() -> defaultdict[str, list[Event]]:
    return defaultdict(list)


@dataclass(slots=True)
class _Groups:
    """Mutable accumulators used only while building; frozen into Indexes at the end."""

    by_region: defaultdict[str, list[Event]] = field(default_factory=_lists)
    by_actor: defaultdict[str, list[Event]] = field(default_factory=_lists)
    by_role: defaultdict[str, defaultdict[str, list[Event]]] = field(
        default_factory=lambda: defaultdict(_lists))
    by_source: defaultdict[str, list[Event]] = field(default_factory=_lists)
    by_type: defaultdict[str, list[Event]] = field(default_factory=_lists)
    by_month: defaultdict[Month, list[Event]] = field(default_factory=lambda: defaultdict(list))
    counted_region: defaultdict[str, list[Event]] = field(default_factory=_lists)
    counted_actor: defaultdict[str, list[Event]] = field(default_factory=_lists)
    region_actor: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    actor_region: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def _group(listed: Sequence[Event]) -> _Groups:
    g = _Groups()
    for e in listed:
        counted = e.status == "published"
        g.by_region[e.region].append(e)
        g.by_type[e.event_type].append(e)
        g.by_month[month_of(e.date.start)].append(e)
        for sid in sorted(event_source_ids(e)):
            g.by_source[sid].append(e)
        if counted:
            g.counted_region[e.region].append(e)
        for actor, roles in sorted(event_actor_roles(e).items()):
            g.by_actor[actor].append(e)
            for role in roles:
                g.by_role[actor][role].append(e)
            if counted:
                g.counted_actor[actor].append(e)
                g.region_actor[e.region][actor] += 1
                g.actor_region[actor][e.region] += 1
    return g


RoleMap = Mapping[str, Mapping[str, tuple[Event, ...]]]


def _role_maps(by_role: Mapping[str, Mapping[str, list[Event]]]) -> RoleMap:
    return MappingProxyType({
        actor: MappingProxyType({r: tuple(roles[r]) for r in ROLES if r in roles})
        for actor, roles in by_role.items()
    })


def build_indexes(corpus: Corpus) -> Indexes:
    """Return every index over `corpus` in one pass (plus per-group passes), without changing it."""
    listed = tuple(e for e in corpus.events if e.is_public)
    counted = tuple(e for e in listed if e.status == "published")
    g = _group(listed)
    by_region = _freeze(g.by_region)
    listed_ids = {e.id for e in listed}
    successors = {e.id: e.superseded_by for e in listed if e.superseded_by and e.superseded_by in listed_ids}
    predecessors: dict[str, list[str]] = defaultdict(list)
    for old, new in successors.items():
        predecessors[new].append(old)
    return Indexes(
        listed=listed,
        counted=counted,
        by_region=by_region,
        by_actor=_freeze(g.by_actor),
        by_actor_role=_role_maps(g.by_role),
        by_source=_freeze(g.by_source),
        by_type=_freeze(g.by_type),
        by_month=MappingProxyType({m: tuple(g.by_month[m]) for m in sorted(g.by_month)}),
        totals=summarise(counted),
        region_totals=MappingProxyType({r: summarise(v) for r, v in g.counted_region.items()}),
        actor_totals=MappingProxyType({a: summarise(v) for a, v in g.counted_actor.items()}),
        region_monthly=MappingProxyType({r: monthly_series(v) for r, v in g.counted_region.items()}),
        actor_monthly=MappingProxyType({a: monthly_series(v) for a, v in g.counted_actor.items()}),
        region_actors=MappingProxyType({r: ranked(c) for r, c in g.region_actor.items()}),
        actor_regions=MappingProxyType({a: ranked(c) for a, c in g.actor_region.items()}),
        neighbours=_neighbours(by_region),
        successors=MappingProxyType(successors),
        predecessors=MappingProxyType({k: tuple(v) for k, v in predecessors.items()}),
        redirects=MappingProxyType({old: e.id for e in listed for old in e.redirect_from}),
    )
