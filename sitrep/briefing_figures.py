"""The computed sections of a briefing: key figures, a day-by-day series, the numbered event and
source references. Pure functions over events already selected for a scope."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sitrep.index import event_actor_roles
from sitrep.model import Corpus, Event, Source, SourceRef
from sitrep.render_text import toll

TOP_ACTORS = 12
TOP_REGIONS = 20


@dataclass(frozen=True, slots=True)
class Tally:
    """Events and summed fatality estimates for one region, actor or event type."""

    key: str
    label: str
    native: str | None
    events: int
    low: int
    best: int
    high: int
    with_toll: int  # events that have a fatality figure; 0 means "no toll reported", not "no deaths"

    @property
    def deaths(self) -> str:
        """Return the summed toll as text: '27', '11–13', or '–' when no event reported one."""
        return toll(self.low, self.high) if self.with_toll else "–"


@dataclass(frozen=True, slots=True)
class Bucket:
    """Events starting (or first in scope) in [start, start + days) and their summed fatality range."""

    start: date
    days: int
    events: int
    low: int
    high: int

    @property
    def end(self) -> date:
        """Return the bucket's last day."""
        return self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True, slots=True)
class KeyFigures:
    """The key figures of a scope's published events: totals, tallies and the time series."""

    events: int
    low: int
    best: int
    high: int
    no_toll: int  # events with no fatality figure at all
    by_region: tuple[Tally, ...]
    by_actor: tuple[Tally, ...]
    more_actors: int  # actors involved but not listed in by_actor
    by_type: tuple[Tally, ...]
    series: tuple[Bucket, ...]

    @property
    def bucket_days(self) -> int:
        """Return how many days one bar of the series covers."""
        return self.series[0].days if self.series else 1


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One numbered source reference: who reported, through whom, where and when."""

    number: int
    source: Source | None
    ref: SourceRef
    via: Source | None

    @property
    def name(self) -> str:
        """Return the source's name, or its id when the source is unknown."""
        return self.source.name if self.source else self.ref.source


@dataclass(frozen=True, slots=True)
class EventRow:
    """One numbered event reference: the event, its source reference numbers, whether it is in scope."""

    number: int
    event: Event
    sources: tuple[int, ...]
    in_scope: bool = True


def _sums(events: Iterable[Event]) -> tuple[int, int, int, int]:
    n = low = best = high = 0
    for e in events:
        n += 1
        if e.fatalities:
            low += e.fatalities.low
            best += e.fatalities.best
            high += e.fatalities.high
    return n, low, best, high


def _tallies(groups: Mapping[str, list[Event]], labels: Mapping[str, tuple[str, str | None]]) -> list[Tally]:
    out = []
    for key, events in groups.items():
        n, low, best, high = _sums(events)
        label, native = labels.get(key, (key, None))
        out.append(Tally(key, label, native, n, low, best, high, sum(1 for e in events if e.fatalities)))
    return sorted(out, key=lambda t: (-t.events, -t.best, t.label.lower()))


def bucket_size(first: date, last: date) -> int:
    """Return days per bar: daily up to a quarter, weekly up to two years, then 30-day blocks."""
    days = (last - first).days + 1
    return 1 if days <= 92 else 7 if days <= 731 else 30


def series(events: Sequence[Event], first: date, last: date) -> tuple[Bucket, ...]:
    """Return events and the fatality range per bucket over [first, last], zero buckets included.

    An event spanning several days counts once, on its first day inside the period, so the bars add
    up to the key figures."""
    size = bucket_size(first, last)
    n_buckets = (last - first).days // size + 1
    counts, lows, highs = Counter[int](), Counter[int](), Counter[int]()
    for e in events:
        i = (max(e.date.start, first) - first).days // size
        counts[i] += 1
        if e.fatalities:
            lows[i] += e.fatalities.low
            highs[i] += e.fatalities.high
    return tuple(Bucket(first + timedelta(days=i * size), size, counts[i], lows[i], highs[i])
                 for i in range(n_buckets))


def key_figures(corpus: Corpus, events: Sequence[Event], first: date, last: date) -> KeyFigures:
    """Return the key figures of the events in a scope: totals and tallies by region, actor, type."""
    by_region: dict[str, list[Event]] = defaultdict(list)
    by_actor: dict[str, list[Event]] = defaultdict(list)
    by_type: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        by_region[e.region].append(e)
        by_type[e.event_type].append(e)
        for actor_id in event_actor_roles(e):
            by_actor[actor_id].append(e)
    region_labels = {k: (r.name, r.native_name) for k, r in corpus.regions.items()}
    actor_labels = {k: (a.name, a.native_name) for k, a in corpus.actors.items()}
    actors = _tallies(by_actor, actor_labels)
    n, low, best, high = _sums(events)
    return KeyFigures(
        events=n, low=low, best=best, high=high,
        no_toll=sum(1 for e in events if e.fatalities is None),
        by_region=tuple(_tallies(by_region, region_labels)[:TOP_REGIONS]),
        by_actor=tuple(actors[:TOP_ACTORS]), more_actors=max(0, len(actors) - TOP_ACTORS),
        by_type=tuple(_tallies(by_type, {})),
        series=series(events, first, last),
    )


def _source_key(ref: SourceRef) -> tuple[str, str, str]:
    return (ref.source, ref.via or "", ref.url or "")


def references(corpus: Corpus, events: Sequence[Event], cited: Sequence[str]) -> tuple[
        tuple[EventRow, ...], tuple[SourceEntry, ...]]:
    """Return numbered event rows (scope events in date order, then events cited from outside the
    scope) and the numbered sources they rest on, each distinct report listed once."""
    in_scope = {e.id for e in events}
    extra = [corpus.events_by_id[i] for i in dict.fromkeys(cited)
             if i not in in_scope and i in corpus.events_by_id and corpus.events_by_id[i].is_public]
    numbers: dict[tuple[str, str, str], int] = {}
    entries: list[SourceEntry] = []
    rows: list[EventRow] = []
    for n, event in enumerate([*events, *extra], 1):
        refs = []
        for ref in event.sources:
            key = _source_key(ref)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                entries.append(SourceEntry(numbers[key], corpus.sources.get(ref.source), ref,
                                           corpus.sources.get(ref.via) if ref.via else None))
            refs.append(numbers[key])
        rows.append(EventRow(n, event, tuple(dict.fromkeys(refs)), event.id in in_scope))
    return tuple(rows), tuple(entries)
