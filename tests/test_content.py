"""The bundled content and the fixture tree are valid, and the seed article's facts are all there."""

from __future__ import annotations

from datetime import date

import pytest

from sitrep.load import load
from sitrep.validate import check, load_corpus
from tests.conftest import BUNDLED, MINIMAL


@pytest.mark.parametrize("tree", [BUNDLED, MINIMAL], ids=["bundled", "minimal"])
def test_tree_has_no_problems_at_all(tree) -> None:
    checked = check(load(tree))
    assert [p.format() for p in checked.problems] == []
    assert checked.corpus is not None and checked.corpus.events


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(BUNDLED)


# (event id, start, end, region, (low, best, high) or None) as resolved from the dateline,
# Saturday 13 April 2019: "Thursday" is 11 April, "Friday" 12 April.
SEED_EVENTS = [
    ("2019-04-11-homs-eastern-desert-attacks", date(2019, 4, 11), date(2019, 4, 13), "SY-HI", (27, 27, 27)),
    ("2019-04-11-mayadeen-desert-village-attack", date(2019, 4, 11), date(2019, 4, 11), "SY-DY", (8, 8, 8)),
    ("2019-04-13-aleppo-western-checkpoints-attack", date(2019, 4, 13), date(2019, 4, 13), "SY-HL",
     (13, 13, 13)),
    ("2019-04-12-idlib-overnight-bombardment", date(2019, 4, 12), date(2019, 4, 13), "SY-ID", None),
    ("2019-04-12-assad-lavrentiev-damascus-meeting", date(2019, 4, 12), date(2019, 4, 12), "SY-DI", None),
    ("2019-04-13-borisov-assad-meeting-announced", date(2019, 4, 13), date(2019, 4, 13), "SY-DI", None),
    ("2019-04-13-un-idlib-warning", date(2019, 4, 13), date(2019, 4, 13), "SY-ID", None),
    ("2019-04-12-saudi-initiative-reported", date(2019, 4, 12), date(2019, 4, 12), "SY-DI", None),
    ("2019-04-12-kazakhstan-talks-scheduled", date(2019, 4, 12), date(2019, 4, 12), "SY-DI", None),
]


@pytest.mark.parametrize(("eid", "start", "end", "region", "toll"), SEED_EVENTS,
                         ids=[e[0] for e in SEED_EVENTS])
def test_seed_event_facts(corpus, eid, start, end, region, toll) -> None:
    event = corpus.event(eid)
    assert event is not None, eid
    assert (event.date.start, event.date.end, event.region, event.status) == (start, end, region, "published")
    assert event.sources, "every published event cites a source"
    got = event.fatalities and (event.fatalities.low, event.fatalities.best, event.fatalities.high)
    assert got == toll
    if toll:
        assert any("fatalities" in s.supports for s in event.sources)


def test_all_fourteen_governorates_with_shapes(corpus) -> None:
    expected = {"SY-DI", "SY-DR", "SY-DY", "SY-HA", "SY-HI", "SY-HL", "SY-HM", "SY-ID", "SY-LA", "SY-QU",
                "SY-RA", "SY-RD", "SY-SU", "SY-TA"}
    assert set(corpus.regions) == expected
    assert set(corpus.shapes) == expected
    assert "Halab" in corpus.regions["SY-HL"].alt_names


def test_islamic_state_claim_is_a_claim_not_a_confirmation(corpus) -> None:
    event = corpus.event("2019-04-11-homs-eastern-desert-attacks")
    assert [c.by for c in event.claims] == ["islamic-state"]
    assert event.assessment != "confirmed"
    assert {"Daesh", "ISIS"} <= set(corpus.actors["islamic-state"].aliases)


def test_hts_link_and_un_figures(corpus) -> None:
    aleppo = corpus.event("2019-04-13-aleppo-western-checkpoints-attack")
    assert "abu-bakr-al-sadeeq-army" in aleppo.actors_with_role("perpetrator")
    assert "hts" in corpus.actors["abu-bakr-al-sadeeq-army"].affiliations
    un = corpus.event("2019-04-13-un-idlib-warning")
    values = {f.value for f in un.figures}
    assert {2_700_000, 86_500} <= values
    assert all(f.source in {s.source for s in un.sources} for f in un.figures)


def test_sources_named_in_the_article_exist(corpus) -> None:
    kinds = {s.kind for s in corpus.sources.values()}
    assert {"monitor", "news-agency", "newspaper", "government", "un-agency"} <= kinds
    named = {"sohr", "interfax", "al-watan", "syrian-presidency", "russian-foreign-ministry"}
    assert named <= set(corpus.sources)
