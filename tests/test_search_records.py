"""Search records: what Pagefind indexes for each public event, actor, region, source and briefing."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

from sitrep.config import SiteConfig
from sitrep.index import Indexes, build_indexes
from sitrep.model import Corpus
from sitrep.pagefind_client import Record
from sitrep.search_records import count_records, dated_records, filter_counts, iter_records, plain
from sitrep.synth import synth
from sitrep.validate import load_corpus

MINIMAL = Path(__file__).resolve().parent / "fixtures" / "minimal" / "content"
HOMS = "2019-04-11-homs-eastern-desert-attacks"
CHECKPOINTS = "2019-04-13-aleppo-western-checkpoints-attack"
SHELLING = "2019-04-12-aleppo-overnight-shelling"


@pytest.fixture(scope="module")
def minimal() -> tuple[Corpus, Indexes]:
    corpus = load_corpus(MINIMAL)
    return corpus, build_indexes(corpus)


@pytest.fixture(scope="module")
def records(minimal: tuple[Corpus, Indexes]) -> dict[str, Record]:
    corpus, indexes = minimal
    return {r.url: r for r in iter_records(corpus, indexes, SiteConfig())}


def test_every_public_thing_gets_one_record(minimal: tuple[Corpus, Indexes],
                                            records: dict[str, Record]) -> None:
    corpus, indexes = minimal
    expected = {f"/events/{e.id}/" for e in indexes.listed} | {f"/actors/{a}/" for a in corpus.actors} \
        | {f"/regions/{r.lower()}/" for r in corpus.regions} | {f"/sources/{s}/" for s in corpus.sources} \
        | {f"/briefings/{b.id}/" for b in corpus.briefings.values() if b.status == "published"}
    assert set(records) == expected
    kinds = sorted(r.filters["kind"][0] for r in records.values())
    assert kinds.count("Event") == len(indexes.listed) == 3


def test_event_record_has_filters_sort_and_result_facts(records: dict[str, Record]) -> None:
    rec = records[f"/events/{HOMS}/"]
    assert rec.filters == {"kind": ["Event"], "region": ["Homs"],
                           "actor": ["Islamic State", "Syrian government forces"], "type": ["Battles"],
                           "sub_type": ["Armed clash"], "assessment": ["reported"], "year": ["2019"],
                           "month": ["04"]}
    assert rec.sort == {"date": "2019-04-11"}
    assert rec.meta["title"].startswith("Islamic State attacks")
    assert rec.meta["date"] == "11–13 Apr 2019"
    assert rec.meta["fatalities"] == "27"
    assert rec.meta["type"] == "Battles: Armed clash"
    assert rec.meta["place"] == "desert east of Homs province, Homs"


def test_disagreeing_tolls_show_as_a_range(records: dict[str, Record]) -> None:
    assert records[f"/events/{CHECKPOINTS}/"].meta["fatalities"] == "11–13"


def test_aliases_and_alternative_names_are_searchable_words(records: dict[str, Record]) -> None:
    actor = records["/actors/islamic-state/"]
    for word in ("Islamic State", "Daesh", "ISIS", "ISIL", "داعش", "الدولة الإسلامية"):
        assert word in actor.content
    assert actor.meta["aliases"].startswith("Daesh, ISIS")
    region = records["/regions/sy-hl/"]
    assert {"Aleppo", "Halab", "Alep", "حلب"} <= set(region.content.split("\n"))
    # An event finds its actors' aliases and its region's other names too (a searched meta field).
    assert "Daesh" in records[f"/events/{HOMS}/"].meta["related"]
    assert "Halab" in records[f"/events/{CHECKPOINTS}/"].meta["related"]
    assert "Halab" in records["/regions/sy-hl/"].meta["names"].split("; ")
    assert "Daesh" not in records[f"/events/{HOMS}/"].content


def test_briefing_record_cites_events_by_title(records: dict[str, Record]) -> None:
    rec = records["/briefings/2019-04-week-15/"]
    assert "[[" not in rec.content
    assert "Islamic State attacks on government forces in the desert east of Homs" in rec.content
    assert rec.filters["region"] == ["Homs", "Aleppo"]
    assert rec.sort == {"date": "2019-04-07"}


def test_drafts_are_not_indexed(minimal_copy: Path) -> None:
    events = minimal_copy / "events" / "2019"
    draft = (events / f"{SHELLING}.yaml").read_text().replace("status: published", "status: draft")
    (events / "2019-04-12-unreviewed-report.yaml").write_text(draft)
    corpus = load_corpus(minimal_copy)
    urls = {r.url for r in iter_records(corpus, build_indexes(corpus), SiteConfig())}
    assert "/events/2019-04-12-unreviewed-report/" not in urls
    assert f"/events/{SHELLING}/" in urls


@pytest.mark.parametrize(("markdown", "text"), [
    ("A **bold** and *soft* claim", "A bold and soft claim"),
    ("see [the report](https://example.org/r) and ![map](m.png)", "see the report and map"),
    ("cited [[2019-04-11-x]] here", "cited 2019-04-11-x here"),
    ("# Heading\n\n> quote `code`", "Heading quote code"),
    ("", ""),
])
def test_plain_keeps_words_and_drops_markup(markdown: str, text: str) -> None:
    assert plain(markdown) == text


def test_dated_records_come_oldest_first_and_are_counted(minimal: tuple[Corpus, Indexes],
                                                         records: dict[str, Record]) -> None:
    corpus, indexes = minimal
    dates = [r.sort["date"] for r in dated_records(corpus, indexes, SiteConfig())]
    assert dates == sorted(dates)
    assert dates[0] == "2019-04-07"  # the briefing's period starts before the first event
    dated, undated = count_records(corpus, indexes)
    assert (dated, undated) == (len(dates), len(records) - len(dates))


def _counted(records: Iterable[Record]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        for key, values in record.filters.items():
            counts[key].update(set(values))
    return {key: dict(values) for key, values in counts.items()}


def test_filter_counts_are_the_records_counts_by_filter_value(
        minimal: tuple[Corpus, Indexes], records: dict[str, Record], tmp_path: Path) -> None:
    # The search page's filter options: how many records hold each value, counted without making
    # the records (the browser test checks them against Pagefind's own filters()).
    corpus, indexes = minimal
    assert filter_counts(corpus, indexes) == _counted(records.values())
    assert filter_counts(corpus, indexes)["kind"]["Event"] == len(indexes.listed)
    synth(120, tmp_path / "content", seed=3)  # drafts, briefings, many actors to an event
    corpus = load_corpus(tmp_path / "content")
    indexes = build_indexes(corpus)
    counts = filter_counts(corpus, indexes)
    assert counts == _counted(iter_records(corpus, indexes, SiteConfig()))
    assert {"Event", "Briefing", "Actor", "Region", "Source"} <= set(counts["kind"])
