"""Indexes: grouping, the listed/counted split, series, neighbours, successors, redirects."""

from __future__ import annotations

import time
from datetime import date, timedelta
from types import MappingProxyType

import pytest

from sitrep.index import (
    MonthPoint,
    Summary,
    between,
    build_indexes,
    latest_period,
    monthly_series,
    ranked,
)
from sitrep.model import ActorRef, Claim, Corpus, DateRange, Event, Fatalities, Location, Pos, SourceRef
from sitrep.validate import load_corpus
from tests.conftest import MINIMAL


def make_event(eid: str, day: date, region: str = "ZZ-A", *, status: str = "published",
               low: int | None = None, high: int | None = None, actors: tuple[ActorRef, ...] = (),
               claims: tuple[Claim, ...] = (), sources: tuple[SourceRef, ...] = (SourceRef("src"),),
               superseded_by: str | None = None, redirect_from: tuple[str, ...] = (),
               event_type: str = "Battles") -> Event:
    """Return a minimal valid Event for index tests."""
    fat = Fatalities(low, low, high if high is not None else low) if low is not None else None
    return Event(id=eid, title=f"Event {eid}", status=status, date=DateRange(day, day), event_type=event_type,
                 sub_event_type="Armed clash", location=Location("ZZ", region), assessment="reported",
                 summary="", pos=Pos(f"{eid}.yaml"), actors=actors, fatalities=fat, claims=claims,
                 sources=sources, superseded_by=superseded_by, redirect_from=redirect_from)


def make_corpus(events: list[Event]) -> Corpus:
    events = sorted(events, key=lambda e: (e.date.start, e.id))
    return Corpus(tuple(events), MappingProxyType({}), MappingProxyType({}), MappingProxyType({}),
                  MappingProxyType({}), MappingProxyType({e.id: e for e in events}))


@pytest.fixture(scope="module")
def minimal():
    corpus = load_corpus(MINIMAL)
    return corpus, build_indexes(corpus)


def ids(events) -> list[str]:
    return [e.id for e in events]


def test_fixture_groups_by_region_type_and_month(minimal) -> None:
    _, ix = minimal
    assert ids(ix.by_region["SY-HL"]) == ["2019-04-12-aleppo-overnight-shelling",
                                          "2019-04-13-aleppo-western-checkpoints-attack"]
    assert ids(ix.by_region["SY-HI"]) == ["2019-04-11-homs-eastern-desert-attacks"]
    assert {t: len(v) for t, v in ix.by_type.items()} == {"Battles": 2, "Explosions/Remote violence": 1}
    assert list(ix.by_month) == [(2019, 4)] and len(ix.by_month[(2019, 4)]) == 3


def test_fixture_totals_sum_ranges_without_averaging(minimal) -> None:
    _, ix = minimal
    # Homs 27 and Aleppo checkpoints 11–13; the shelling has no toll and adds nothing.
    assert ix.totals == Summary(events=3, fatalities_low=38, fatalities_high=40, fatalities_best=40)
    assert ix.region_totals["SY-HL"].fatalities_low == 11 and ix.region_totals["SY-HL"].is_range


def test_fixture_actor_roles_include_claims(minimal) -> None:
    _, ix = minimal
    roles = ix.by_actor_role["islamic-state"]
    assert set(roles) == {"perpetrator", "claimant"}
    assert ids(roles["claimant"]) == ["2019-04-11-homs-eastern-desert-attacks"]
    assert len(ix.by_actor["syrian-government-forces"]) == 3
    assert ix.actor_regions["syrian-government-forces"] == (("SY-HL", 2), ("SY-HI", 1))


def test_fixture_sources_include_carriers(minimal) -> None:
    _, ix = minimal
    # 'agencies' carried every SOHR report (via) and gave one toll itself.
    assert len(ix.by_source["agencies"]) == 3
    assert len(ix.by_source["sohr"]) == 3


def test_fixture_neighbours_stay_in_region(minimal) -> None:
    _, ix = minimal
    n = ix.neighbours["2019-04-13-aleppo-western-checkpoints-attack"]
    assert (n.previous, n.next) == ("2019-04-12-aleppo-overnight-shelling", None)
    homs = ix.neighbours["2019-04-11-homs-eastern-desert-attacks"]
    assert (homs.previous, homs.next) == (None, None)


def test_drafts_hidden_retracted_listed_but_not_counted() -> None:
    d = date(2020, 1, 1)
    ix = build_indexes(make_corpus([
        make_event("a", d, low=5), make_event("b", d, low=7, status="retracted"),
        make_event("c", d, low=100, status="draft"),
    ]))
    assert ids(ix.listed) == ["a", "b"]
    assert ids(ix.counted) == ["a"]
    assert ix.totals.fatalities_high == 5
    assert ids(ix.by_region["ZZ-A"]) == ["a", "b"]
    assert "c" not in ix.neighbours


def test_superseded_links_both_ways_and_redirects() -> None:
    d = date(2020, 1, 1)
    ix = build_indexes(make_corpus([
        make_event("old", d, low=3, status="superseded", superseded_by="new"),
        make_event("new", d + timedelta(days=1), low=4, redirect_from=("renamed",)),
    ]))
    assert ix.successors == {"old": "new"}
    assert ix.predecessors == {"new": ("old",)}
    assert ix.redirects == {"renamed": "new"}
    assert ix.totals == Summary(1, 4, 4, 4)


def test_monthly_series_fills_gaps_across_years() -> None:
    events = [make_event("a", date(2019, 11, 5), low=2, high=3), make_event("b", date(2020, 2, 1), low=1)]
    series = monthly_series(events)
    assert [p.key for p in series] == [(2019, 11), (2019, 12), (2020, 1), (2020, 2)]
    assert series[0] == MonthPoint(2019, 11, 1, 2, 3)
    assert series[1].events == 0 and series[3].fatalities_high == 1
    assert monthly_series([]) == ()


def test_between_and_latest_period() -> None:
    events = [make_event(f"e{i}", date(2020, 1, 1) + timedelta(days=i)) for i in range(60)]
    period = latest_period(events, 30)
    assert period == (date(2020, 1, 31), date(2020, 2, 29))
    assert len(between(events, *period)) == 30
    assert latest_period([], 30) is None


def test_ranked_breaks_ties_by_key() -> None:
    from collections import Counter

    assert ranked(Counter({"b": 2, "a": 2, "c": 5})) == (("c", 5), ("a", 2), ("b", 2))


def test_indexes_are_read_only(minimal) -> None:
    _, ix = minimal
    with pytest.raises(TypeError):
        ix.by_region["SY-HL"] = ()  # type: ignore[index]
    with pytest.raises(AttributeError):
        ix.totals = Summary()  # type: ignore[misc]


def test_build_is_linear_enough() -> None:
    """20k events index in well under the time a quadratic pass would take (~minutes)."""
    start = date(2015, 1, 1)
    events = [make_event(f"e{i:05d}", start + timedelta(days=i // 8), f"ZZ-{'ABCDE'[i % 5]}", low=i % 7,
                         actors=(ActorRef(f"actor-{i % 40}", "perpetrator"), ActorRef("army", "target")))
              for i in range(20_000)]
    corpus = make_corpus(events)
    t0 = time.perf_counter()
    ix = build_indexes(corpus)
    elapsed = time.perf_counter() - t0
    assert len(ix.by_actor["army"]) == 20_000
    assert sum(len(v) for v in ix.by_region.values()) == 20_000
    assert elapsed < 5.0, f"indexing 20k events took {elapsed:.1f} s"
