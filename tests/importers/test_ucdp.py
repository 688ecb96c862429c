"""UCDP GED import on real rows (tests/fixtures/ucdp, CC BY 4.0): mapping, rejects, re-runs, curated files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sitrep import geo
from sitrep.errors import ContentError
from sitrep.importers import run_import
from sitrep.importers.text import region_keys
from sitrep.importers.yamlfile import split_import
from sitrep.validate import load_corpus

from .conftest import UCDP_CSV, event_files, make_tree, read_fixture, write_csv

HEADER, ROWS = read_fixture(UCDP_CSV)
BY_ID = {r["id"]: r for r in ROWS}


def _country_only(row: dict[str, str]) -> bool:
    return not row["adm_1"] and int(row["where_prec"]) >= 6


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    content = make_tree(tmp_path_factory.mktemp("ucdp"))
    summary = run_import("ucdp", UCDP_CSV, content, progress=False)
    return content, summary, load_corpus(content)


def test_every_real_row_is_accounted_for(imported) -> None:  # type: ignore[no-untyped-def]
    _, summary, corpus = imported
    # The fixture has no multi-line fields, so row i starts on line i + 2.
    expected_rejects = {i + 2 for i, r in enumerate(ROWS) if _country_only(r)}
    assert summary.rows == len(ROWS)
    assert {p.line for p in summary.rejected} == expected_rejects
    assert all("known only to the country" in p.message for p in summary.rejected)
    assert summary.added == len(ROWS) - len(expected_rejects) == len(corpus.events)
    assert summary.updated == summary.matched == 0 and not summary.duplicates
    assert all(e.imported for e in corpus.events)


def test_events_carry_the_rows_figures_dates_and_ids(imported) -> None:  # type: ignore[no-untyped-def]
    _, _, corpus = imported
    for event in corpus.events:
        row = BY_ID[event.external_ids["ucdp_ged"]]
        assert event.id == f"{row['date_start']}-ucdp-{row['id']}"
        assert event.date.start.isoformat() == row["date_start"]
        assert event.date.end.isoformat() == row["date_end"]
        f = event.fatalities
        assert (f.low, f.best, f.high) == (int(row["low"]), int(row["best"]), int(row["high"]))
        assert f.breakdown.total == sum(int(row[c]) for c in ("deaths_a", "deaths_b", "deaths_civilians",
                                                                "deaths_unknown"))
        assert event.ucdp_type_of_violence == int(row["type_of_violence"])


def test_regions_come_from_adm_1_names_or_else_coordinates(imported) -> None:  # type: ignore[no-untyped-def]
    _, _, corpus = imported
    by_coordinates = 0
    for event in corpus.events:
        row = BY_ID[event.external_ids["ucdp_ged"]]
        region = corpus.regions[event.region]
        if row["adm_1"]:
            names = {k for n in (region.name, *region.alt_names) for k in region_keys(n)}
            assert names & set(region_keys(row["adm_1"])), (row["adm_1"], region.id)
        else:
            by_coordinates += 1
            assert geo.near(corpus.shapes[region.id], event.location.lon, event.location.lat)
            assert event.location.geo_precision == 3
    assert by_coordinates == sum(1 for r in ROWS if not r["adm_1"] and not _country_only(r))


def test_violence_types_map_to_acled_types_and_roles(imported) -> None:  # type: ignore[no-untyped-def]
    _, _, corpus = imported
    for event in corpus.events:
        row = BY_ID[event.external_ids["ucdp_ged"]]
        perpetrators = [corpus.actors[a].name for a in event.actors_with_role("perpetrator")]
        targets = [corpus.actors[a] for a in event.actors_with_role("target")]
        if row["type_of_violence"] == "3":
            assert (event.event_type, event.sub_event_type) == ("Violence against civilians", "Attack")
            assert [t.kind for t in targets] == ["civilians"]
        else:
            assert (event.event_type, event.sub_event_type) == ("Battles", "Armed clash")
        # A side naming several groups ("A, B, C") becomes one actor per group, in UCDP's order.
        assert len(perpetrators) == len([n for n in row["side_a"].split(",") if n.strip()])


def test_one_row_in_full(imported) -> None:  # type: ignore[no-untyped-def]
    content, _, corpus = imported
    event = corpus.events_by_id["2018-01-03-ucdp-255551"]
    assert event.region == "SY-ID" and event.location.admin2 == "Maarat al-Numaan district"
    assert (event.location.lat, event.location.lon, event.location.geo_precision) == (35.648379, 36.676019, 1)
    assert event.actors_with_role("perpetrator") == ("government-of-syria",)
    assert event.fatalities.breakdown.unknown == 5
    assert [(s.source, s.published.isoformat()) for s in event.sources] == [
        ("sohr", "2018-01-03"), ("sohr", "2018-01-06")]  # two reports on one day count once
    assert all("fatalities" in s.supports for s in event.sources)
    assert event.sources[0].note.startswith("About 24 hours after targeting the museum")
    text = (content / "events" / "2018" / "2018-01-03-ucdp-255551.yaml").read_text(encoding="utf-8")
    _, digest = split_import(text)
    assert digest and yaml.safe_load(text)["import"] == {
        "source": "ucdp", "sha256": digest, "codes": {"date_prec": 1, "where_prec": 1, "event_clarity": 1}}


def test_precision_codes_are_mapped_and_kept(imported) -> None:  # type: ignore[no-untyped-def]
    content, _, corpus = imported
    files = event_files(content)
    expected_precision = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "month"}
    expected_geo = {"1": 1, "2": 2, "3": 2, "4": 3, "5": 3}
    for event in corpus.events:
        row = BY_ID[event.external_ids["ucdp_ged"]]
        assert event.date.precision == expected_precision[row["date_prec"]]
        assert event.location.geo_precision == expected_geo[row["where_prec"]]
        codes = yaml.load(files[event.id].read_bytes(), Loader=yaml.CSafeLoader)["import"]["codes"]
        assert (codes["date_prec"], codes["where_prec"]) == (int(row["date_prec"]), int(row["where_prec"]))


def test_created_actors_and_sources_are_marked_for_review(imported) -> None:  # type: ignore[no-untyped-def]
    _, summary, corpus = imported
    assert "airwars" in summary.sources_added and "syrian-insurgents" in summary.actors_added
    for ident in summary.actors_added:
        assert corpus.actors[ident].imported
    for ident in summary.sources_added:
        assert corpus.sources[ident].imported
    assert corpus.actors["syrian-insurgents"].kind == "rebel-group"
    assert corpus.actors["government-of-israel"].kind == "state-forces"


def test_rerunning_the_same_import_changes_nothing(tmp_path: Path) -> None:
    content = make_tree(tmp_path)
    first = run_import("ucdp", UCDP_CSV, content, progress=False)
    before = {p: p.read_bytes() for p in content.rglob("*.yaml")}
    again = run_import("ucdp", UCDP_CSV, content, progress=False)
    assert (again.added, again.updated, again.matched) == (0, 0, first.added)
    assert not again.actors_added and not again.sources_added
    assert {p: p.read_bytes() for p in content.rglob("*.yaml")} == before


def test_hand_edited_files_are_never_overwritten_untouched_ones_are_updated(tmp_path: Path) -> None:
    content = make_tree(tmp_path)
    run_import("ucdp", UCDP_CSV, content, progress=False)
    files = event_files(content)
    edited = files["2018-01-03-ucdp-255551"]
    edited.write_text(edited.read_text(encoding="utf-8").replace("status: published", "status: draft"),
                      encoding="utf-8")
    edited_bytes = edited.read_bytes()
    rows = [dict(r) for r in ROWS]
    for r in rows:  # UCDP revises both events' tolls
        if r["id"] in ("255551", "252300"):
            r["best"] = r["high"] = str(int(r["high"]) + 10)
            r["deaths_unknown"] = str(int(r["deaths_unknown"]) + 10)
    revised = write_csv(tmp_path / "revised.csv", HEADER, rows)
    summary = run_import("ucdp", revised, content, progress=False)
    assert (summary.added, summary.updated, summary.edited) == (0, 1, 1)
    assert edited.read_bytes() == edited_bytes
    corpus = load_corpus(content)
    assert corpus.events_by_id["2018-01-01-ucdp-252300"].fatalities.best == int(BY_ID["252300"]["best"]) + 10


def test_curated_file_with_the_same_external_id_is_kept(tmp_path: Path) -> None:
    content = make_tree(tmp_path)
    curated = content / "events" / "2018" / "2018-01-01-harasta-vehicle-base-fighting.yaml"
    curated.parent.mkdir(parents=True)
    curated.write_text(
        "title: Fighting at the army vehicle base in Harasta\nstatus: draft\n"
        "date: 2018-01-01\nevent_type: Battles\nsub_event_type: Armed clash\n"
        "location: {country: SY, region: SY-RD, geo_precision: 3}\nassessment: reported\n"
        "summary: Written by an editor.\nexternal_ids: {ucdp_ged: 252300}\n", encoding="utf-8")
    before = curated.read_bytes()
    summary = run_import("ucdp", UCDP_CSV, content, progress=False)
    assert curated.read_bytes() == before
    assert "2018-01-01-ucdp-252300" not in event_files(content)
    assert summary.matched == summary.edited == 1
    load_corpus(content)


def test_likely_duplicate_of_a_curated_event_is_reported_not_added(tmp_path: Path) -> None:
    content = make_tree(tmp_path)
    (content / "actors").mkdir()
    (content / "actors" / "syrian-army.yaml").write_text(
        "name: Syrian Army\naliases: [Government of Syria]\nkind: state-forces\n", encoding="utf-8")
    curated = content / "events" / "2018" / "2018-01-01-harasta-clashes.yaml"
    curated.parent.mkdir(parents=True)
    curated.write_text(
        "title: Clashes in Harasta\nstatus: draft\ndate: 2018-01-01\nevent_type: Battles\n"
        "sub_event_type: Armed clash\nactors: [{actor: syrian-army, role: perpetrator}]\n"
        "location: {country: SY, region: SY-RD, geo_precision: 3}\nassessment: reported\n"
        "summary: Written by an editor.\n", encoding="utf-8")
    summary = run_import("ucdp", UCDP_CSV, content, progress=False)
    same_day = [i + 2 for i, r in enumerate(ROWS) if r["date_start"] == "2018-01-01"
                and r["adm_1"] == "Rif Dimashq Governorate" and r["side_a"] == "Government of Syria"]
    assert same_day and sorted(p.line for p in summary.duplicates) == same_day
    assert all("2018-01-01-harasta-clashes" in p.message for p in summary.duplicates)
    assert not any(p.name.startswith("2018-01-01-ucdp-") and BY_ID[p.stem.rsplit("-", 1)[1]]["adm_1"]
                   == "Rif Dimashq Governorate" for p in event_files(content).values())
    load_corpus(content)


def test_dry_run_reports_the_same_and_writes_nothing(tmp_path: Path) -> None:
    content = make_tree(tmp_path)
    before = sorted(content.rglob("*"))
    dry = run_import("ucdp", UCDP_CSV, content, progress=False, dry_run=True)
    assert sorted(content.rglob("*")) == before
    real = run_import("ucdp", UCDP_CSV, content, progress=False)
    assert (dry.added, len(dry.rejected), len(dry.actors_added)) == (real.added, len(real.rejected),
                                                                      len(real.actors_added))
    assert "would be created" in dry.totals()


def test_report_lines_name_file_line_and_reason(imported) -> None:  # type: ignore[no-untyped-def]
    _, summary, _ = imported
    lines = summary.report_lines()
    first_reject = min(p.line for p in summary.rejected)
    column = HEADER.index("adm_1") + 1
    assert f"{UCDP_CSV}:{first_reject}:{column}: error: the row names no first-level region" in lines[0]
    assert lines[-1].startswith(f"ucdp: {len(ROWS)} rows: {summary.added} added")


def test_newer_column_names_and_old_estimate_names_are_accepted(tmp_path: Path) -> None:
    renames = {"conflict_new_id": "conflict_dset_id", "dyad_new_id": "dyad_dset_id",
               "side_a_new_id": "side_a_dset_id", "side_b_new_id": "side_b_dset_id", "best": "best_est"}
    header = [renames.get(h, h) for h in HEADER]
    rows = [{renames.get(k, k): v for k, v in r.items()} for r in ROWS[:20]]
    path = write_csv(tmp_path / "ged241.csv", header, rows)
    summary = run_import("ucdp", path, make_tree(tmp_path), progress=False)
    assert summary.added + len(summary.rejected) == 20 and summary.added >= 18


def test_a_file_without_the_required_columns_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "not-ged.csv", ["id", "date_start"],
                     [{"id": "1", "date_start": "2018-01-01"}])
    with pytest.raises(ContentError) as exc:
        run_import("ucdp", path, make_tree(tmp_path), progress=False)
    assert "lacks required column(s): type_of_violence, side_a, side_b, best" in exc.value.format_message()
