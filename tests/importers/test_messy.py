"""Real files are messy: the UCDP fixture's rows with one quirk added each, imported end to end."""

from __future__ import annotations

from pathlib import Path

from sitrep.importers import run_import
from sitrep.validate import load_corpus

from .conftest import UCDP_CSV, make_tree, read_fixture, write_csv

HEADER, ROWS = read_fixture(UCDP_CSV)


def _rows(n: int) -> list[dict[str, str]]:
    return [dict(r) for r in ROWS if r["adm_1"]][:n]


def test_quirks_are_mapped_and_bad_rows_reported_with_their_own_line(tmp_path: Path) -> None:
    rows = _rows(10)
    rows[0]["source_article"] = '"SOHR,2018-01-01,First line\nsecond line\nthird line"'  # spans 3 lines
    rows[1]["adm_1"] = "Idleb"
    rows[2]["adm_1"] = "ALEPPO governorate"
    rows[3]["adm_1"], rows[3]["latitude"], rows[3]["longitude"] = "Ḩamāh", "", ""
    rows[4]["date_start"] = rows[4]["date_end"] = "2018-01-01 00:00:00.000"
    rows[5]["date_start"] = rows[5]["date_end"] = "01 January 2018"
    rows[6]["low"], rows[6]["best"] = "9", "2"  # low > best: a shifted or mistyped row
    rows[7]["adm_1"], rows[7]["latitude"], rows[7]["longitude"] = "Atlantis", "", ""
    rows[8]["type_of_violence"] = "4"
    rows[9]["date_start"] = "not a date"
    path = write_csv(tmp_path / "messy.csv", HEADER, rows, encoding="utf-8-sig", newline="\r\n")
    content = make_tree(tmp_path)
    summary = run_import("ucdp", path, content, progress=False)
    # Row 0 starts on line 2 and spans 3 lines, so row i >= 1 starts on line i + 4.
    rejected = {p.line: p.message for p in summary.rejected}
    expected = {10: "low <= best <= high", 11: "'Atlantis' matches no region",
                12: "'type_of_violence' is 4", 13: "'date_start' 'not a date' is not a date"}
    assert sorted(rejected) == sorted(expected)
    for line, fragment in expected.items():
        assert fragment in rejected[line], (line, rejected[line])
    # Each error names the field at fault by its position in the header, as a spreadsheet shows it
    # (a region that matches nothing: the region's column).
    columns = {p.line: p.col for p in summary.rejected}
    assert columns == {10: HEADER.index("best") + 1, 11: HEADER.index("adm_1") + 1,
                       12: HEADER.index("type_of_violence") + 1, 13: HEADER.index("date_start") + 1}
    assert summary.added == 6
    corpus = load_corpus(content)
    by_ged = {e.external_ids["ucdp_ged"]: e for e in corpus.events}
    assert by_ged[rows[1]["id"]].region == "SY-ID"
    assert by_ged[rows[2]["id"]].region == "SY-HL"
    hama = by_ged[rows[3]["id"]]
    assert hama.region == "SY-HM" and hama.location.lat is None and hama.location.geo_precision == 3
    assert by_ged[rows[4]["id"]].date.start.isoformat() == "2018-01-01"
    assert by_ged[rows[5]["id"]].date.start.isoformat() == "2018-01-01"
    assert by_ged[rows[0]["id"]].sources[0].note == "First line second line third line"


def test_bad_bytes_and_ragged_rows_are_rejected_not_dropped(tmp_path: Path) -> None:
    rows = _rows(3)
    path = write_csv(tmp_path / "bytes.csv", HEADER, rows)
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"Syria", "Syrie é".encode("latin-1"), 1)  # a Latin-1 byte in UTF-8
    lines[3] = lines[3] + b",extra,fields"
    path.write_bytes(b"\n".join(lines))
    summary = run_import("ucdp", path, make_tree(tmp_path), progress=False)
    rejected = {p.line: p.message for p in summary.rejected}
    assert rejected[3] == "row is not valid UTF-8 (byte 0xe9)"
    assert rejected[4].startswith("row has") and "fields but the header names" in rejected[4]
    assert summary.added == 1 and summary.rows == 3


def test_utf16_tab_separated_export_imports_like_the_original(tmp_path: Path) -> None:
    rows = _rows(12)
    path = write_csv(tmp_path / "excel.txt", HEADER, rows, encoding="utf-16", delimiter="\t")
    summary = run_import("ucdp", path, make_tree(tmp_path), progress=False)
    assert (summary.added, summary.rejected) == (12, [])
