"""ACLED import on the hand-written ACLED-format fixture (see tests/fixtures/acled/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitrep import geo
from sitrep.fields import RAW_HTML
from sitrep.importers import run_import
from sitrep.validate import load_corpus

from .conftest import ACLED_CSV, make_tree, read_fixture, write_csv

HEADER, ROWS = read_fixture(ACLED_CSV)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    content = make_tree(tmp_path_factory.mktemp("acled"))
    summary = run_import("acled", ACLED_CSV, content, progress=False)
    return content, summary, load_corpus(content)


def _event(corpus, acled_id: str):  # type: ignore[no-untyped-def]
    return next(e for e in corpus.events if e.external_ids.get("acled") == acled_id)


def test_every_row_is_added_rejected_or_reported(imported) -> None:  # type: ignore[no-untyped-def]
    _, summary, corpus = imported
    assert summary.rows == len(ROWS) == 15
    rejected = {p.line: p.message for p in summary.rejected}
    assert sorted(rejected) == [11, 12, 13]
    assert "unknown event_type 'Remote violence'" in rejected[11]
    assert "could be day/month or month/day" in rejected[12]
    assert "'Baghdad' matches no region" in rejected[13]
    assert [(p.line, "line 2" in p.message) for p in summary.duplicates] == [(15, True)]
    assert summary.added == len(corpus.events) == 11


def test_codes_and_columns_map_to_the_event(imported) -> None:  # type: ignore[no-untyped-def]
    _, _, corpus = imported
    first = _event(corpus, "SYR1001")
    assert (first.event_type, first.sub_event_type, first.date.start.isoformat()) == (
        "Battles", "Armed clash", "2019-04-13")
    assert [corpus.actors[a].name for a in first.actors_with_role("perpetrator")] == [
        "HTS: Hayat Tahrir al Sham", "Abu Bakr al-Sadeeq Army"]
    assert corpus.actors[first.actors_with_role("target")[0]].kind == "state-forces"  # inter2 = 1
    assert (first.fatalities.low, first.fatalities.best, first.fatalities.high) == (13, 13, 13)
    assert first.location.geo_precision == 2 and first.region == "SY-HL"
    assert [r.date.isoformat() for r in first.revisions] == ["2019-04-23"]  # from the Unix timestamp
    assert _event(corpus, "SYR1003").date.precision == "week"
    assert _event(corpus, "SYR1014").date.precision == "month"
    russia = _event(corpus, "SYR1006").actors_with_role("perpetrator")[0]
    assert corpus.actors[russia].kind == "external-other"
    shelling = _event(corpus, "SYR1002")
    assert shelling.date.start.isoformat() == "2019-04-12"  # written "12 April 2019"
    assert [corpus.sources[s.source].name for s in shelling.sources] == ["SOHR", "Shaam Network"]


def test_region_names_spelled_several_ways_or_missing(imported) -> None:  # type: ignore[no-untyped-def]
    _, _, corpus = imported
    assert _event(corpus, "SYR1002").region == "SY-ID"  # "Idleb"
    assert _event(corpus, "SYR1004").region == "SY-DY"  # "Deir ez Zor governorate"
    assert _event(corpus, "SYR1013").region == "SY-LA"  # "Lattakia"
    no_point = _event(corpus, "SYR1007")  # "Rural Damascus", no coordinates
    assert no_point.region == "SY-RD" and no_point.location.lat is None
    assert no_point.location.geo_precision == 3
    by_point = _event(corpus, "SYR1008")  # empty admin1
    assert by_point.region == "SY-RA"
    assert geo.contains(corpus.shapes["SY-RA"], by_point.location.lon, by_point.location.lat)
    assert by_point.summary == ("An IED exploded near an SDF patrol in Raqqa city.\n"
                                "Two SDF fighters were killed.")


def test_inter_codes_written_as_words(imported) -> None:  # type: ignore[no-untyped-def]
    _, _, corpus = imported
    event = _event(corpus, "SYR1012")
    kinds = [corpus.actors[a.actor].kind for a in event.actors]
    assert kinds == ["state-forces", "civilians"]


def test_hostile_text_is_defused_and_still_readable(imported) -> None:  # type: ignore[no-untyped-def]
    _, _, corpus = imported
    event = _event(corpus, "SYR1013")
    assert not RAW_HTML.search(event.summary)
    assert "Rioters" in event.summary and "javascript" in event.summary and "](" not in event.summary
    assert event.tags == ("cmd-c-calc-a0",)


def test_rerun_adds_nothing_and_keeps_reporting_the_same_rows(tmp_path: Path) -> None:
    content = make_tree(tmp_path)
    first = run_import("acled", ACLED_CSV, content, progress=False)
    again = run_import("acled", ACLED_CSV, content, progress=False)
    assert (again.added, again.updated, again.matched) == (0, 0, first.added)
    assert again.rejected == first.rejected and again.duplicates == first.duplicates


def test_acled_update_replaces_an_untouched_import(tmp_path: Path) -> None:
    content = make_tree(tmp_path)
    run_import("acled", ACLED_CSV, content, progress=False)
    rows = [dict(r) for r in ROWS]
    rows[0]["fatalities"] = "15"
    summary = run_import("acled", write_csv(tmp_path / "v2.csv", HEADER, rows), content, progress=False)
    assert (summary.added, summary.updated) == (0, 1)
    assert _event(load_corpus(content), "SYR1001").fatalities.best == 15


def test_semicolon_separated_file_with_bom(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "excel.csv", HEADER, ROWS, encoding="utf-8-sig", delimiter=";",
                     newline="\r\n")
    summary = run_import("acled", path, make_tree(tmp_path), progress=False)
    assert summary.added == 11 and sorted(p.line for p in summary.rejected) == [11, 12, 13]
