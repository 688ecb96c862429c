"""The CLI contract the README documents: commands, options, exit codes, no tracebacks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sitrep.cli import main
from sitrep.load import load
from sitrep.validate import check
from tests.conftest import MINIMAL, ROOT

COMMANDS = ["build", "check", "serve", "new", "import", "brief", "synth"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    code, out = run(command, "--help")
    assert code == 0
    assert "Usage:" in out


def test_group_help_lists_all_commands() -> None:
    code, out = run("--help")
    assert code == 0
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s", out, re.M), command


def test_check_clean_tree_prints_nothing() -> None:
    code, out = run("check", "--content", str(MINIMAL))
    assert (code, out) == (0, "")


def test_check_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    code, out = run("check", "--content", str(tmp_path / "nope"))
    assert code == 1
    assert "content folder" in out and "does not exist" in out
    assert "Traceback" not in out


def test_check_reports_errors_with_positions_and_exit_1(minimal_copy: Path) -> None:
    region = minimal_copy / "regions" / "SY-HL.yaml"
    region.write_text(region.read_text(encoding="utf-8").replace("country: SY", "country: Syria"),
                      encoding="utf-8")
    code, out = run("check", "--content", str(minimal_copy))
    assert code == 1
    line = next(ln for ln in out.splitlines() if "SY-HL.yaml" in ln)
    assert re.match(rf"{re.escape(str(region))}:\d+:\d+: error: country must be a two-letter", line)
    assert out.rstrip().endswith("warning(s)")


def test_build_py_is_a_thin_entry_point() -> None:
    proc = subprocess.run([sys.executable, "build.py", "check", "--content", str(MINIMAL)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert len((ROOT / "build.py").read_text(encoding="utf-8").splitlines()) < 10


def test_new_event_writes_a_valid_draft(minimal_copy: Path) -> None:
    code, out = run("new", "event", "--content", str(minimal_copy), "--title", "Shelling of Al-Bab market",
                    "--date", "2019-04-20", "--region", "SY-HL", "--type", "Explosions/Remote violence",
                    "--sub-type", "Shelling/artillery/missile attack")
    assert code == 0, out
    path = minimal_copy / "events" / "2019" / "2019-04-20-shelling-of-al-bab-market.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["status"] == "draft" and data["location"]["region"] == "SY-HL"
    checked = check(load(minimal_copy))
    assert checked.errors == ()
    assert "2019-04-20-shelling-of-al-bab-market" in checked.corpus.events_by_id
    # Running it again must not overwrite what the editor has since written.
    path.write_text(path.read_text(encoding="utf-8") + "tags: [market]\n", encoding="utf-8")
    code, out = run("new", "event", "--content", str(minimal_copy), "--title", "Shelling of Al-Bab market",
                    "--date", "2019-04-20", "--region", "SY-HL")
    assert code == 1 and "already exists" in out
    assert "tags: [market]" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "SY-ZZ"], "no region file"),
    (["--type", "Battles", "--sub-type", "Grenade"], "is not a sub-type of 'Battles'"),
    (["--type", "Skirmish"], "unknown event type"),
    (["--id", "Bad Id"], "lowercase letters"),
])
def test_new_event_refuses_bad_options(minimal_copy: Path, args: list[str], message: str) -> None:
    base = ["new", "event", "--content", str(minimal_copy), "--title", "X", "--date", "2019-04-20",
            "--region", "SY-HL"]
    code, out = run(*base, *args)
    assert code == 2 and message in out
    assert "Traceback" not in out


def test_build_says_when_its_config_file_is_missing(tmp_path: Path) -> None:
    # Run from another folder, the relative default mkdocs.yml is not there: the build still works,
    # with default settings, and says so (else every page quietly changes its site name and URL).
    missing = tmp_path / "mkdocs.yml"
    code, out = run("build", "--content", str(MINIMAL), "--out", str(tmp_path / "site"),
                    "--config", str(missing))
    assert code == 0, out
    assert out.splitlines()[-1].startswith(f"warning: {missing} not found; built with the default settings")
    code, out = run("build", "--content", str(MINIMAL), "--out", str(tmp_path / "site"),
                    "--config", str(ROOT / "mkdocs.yml"))
    assert code == 0 and "not found" not in out


def test_serve_says_when_its_config_file_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the warning is under test here: the preview server itself is tested in test_serve.
    import sitrep.serve

    served: list[Path] = []
    monkeypatch.setattr(sitrep.serve, "serve", lambda content, out, config, **kw: served.append(config))
    missing = tmp_path / "mkdocs.yml"
    result = CliRunner().invoke(main, ["serve", "--content", str(MINIMAL), "--out", str(tmp_path / "site"),
                                       "--config", str(missing)])
    assert result.exit_code == 0, result.output
    assert f"warning: {missing} not found; serving with the default settings" in result.output
    assert served == [missing]
