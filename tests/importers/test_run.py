"""`build.py import` end to end: the report an editor reads, exit codes, unknown formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sitrep.cli import main
from sitrep.importers import IMPORTERS, run_import

from .conftest import ACLED_CSV, make_tree


def test_cli_reports_each_rejected_row_then_totals(tmp_path: Path) -> None:
    content = make_tree(tmp_path)
    result = CliRunner().invoke(main, ["import", "acled", str(ACLED_CSV), "--content", str(content)])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1  # some rows were rejected
    # path:line:col, col being the field at fault (event_type is the file's 6th column, event_date
    # its 2nd), or 1 when the whole row is.
    assert lines[0].startswith(f"{ACLED_CSV}:11:6: error: unknown event_type 'Remote violence' (use one of")
    assert lines[1].startswith(f"{ACLED_CSV}:12:2: error: 'event_date' '04/05/2019' could be day/month")
    assert lines[3].startswith(f"{ACLED_CSV}:15:1: warning: repeats the event of line 2 (acled SYR1001)")
    assert lines[-1].startswith("acled: 15 rows: 11 added, 0 updated, 0 matched")
    assert CliRunner().invoke(main, ["check", "--content", str(content)]).exit_code == 0


def test_cli_dry_run_writes_nothing(tmp_path: Path) -> None:
    content = make_tree(tmp_path)
    args = ["import", "acled", str(ACLED_CSV), "--content", str(content), "--dry-run"]
    result = CliRunner().invoke(main, args)
    assert "11 added" in result.output and "would be created" in result.output
    assert not (content / "events").exists()


def test_registry_and_unknown_format() -> None:
    assert set(IMPORTERS) == {"ucdp", "acled"}
    with pytest.raises(ValueError, match="unknown import format 'gdelt'"):
        run_import("gdelt", ACLED_CSV, Path("unused"))
