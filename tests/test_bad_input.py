"""Issue 3: broken content is reported by `build.py check` with the exact file, line, column and message.

Each folder under tests/fixtures/invalid/ holds only the files that differ from the minimal fixture
(overlaid on a copy of it) and expected.txt, the exact lines `check` must print. Cases whose input
cannot live in git (a 1 MiB file, a symlink, a pipe) are generated here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sitrep.cli import main
from sitrep.load import MAX_FILE_BYTES

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL = FIXTURES / "minimal" / "content"
INVALID = FIXTURES / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if (p / "expected.txt").is_file())
EVENT = "events/2019/2019-04-10-test-clash.yaml"


def _overlay(case: Path, content: Path) -> None:
    """Copy the minimal fixture to `content`, then the case's files over it."""
    shutil.copytree(MINIMAL, content)
    for src in sorted(case.rglob("*")):
        if src.is_file() and src != case / "expected.txt":
            dst = content / src.relative_to(case)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


def _check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """Run `check --content content` from tmp_path, so messages name paths as an editor typed them."""
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, ["check", "--content", "content", *args])


def _assert_exact(result: Result, expected: list[str]) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.output.splitlines() == expected
    has_errors = any(": error: " in line for line in expected)
    assert result.exit_code == (1 if has_errors else 0), result.output


def test_there_are_at_least_30_distinct_cases() -> None:
    """The suite covers at least 30 broken inputs, each with its own expected output."""
    assert len(CASES) >= 30
    outputs = {(INVALID / c / "expected.txt").read_text(encoding="utf-8") for c in CASES}
    assert len(outputs) >= 30


def test_minimal_fixture_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The base every case is overlaid on passes `check` with no output, so each case's lines are its own."""
    shutil.copytree(MINIMAL, tmp_path / "content")
    _assert_exact(_check(tmp_path, monkeypatch), [])


@pytest.mark.parametrize("case", CASES)
def test_invalid_case(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`check` prints exactly the expected path:line:col lines; exit 1 on errors, no traceback."""
    _overlay(INVALID / case, tmp_path / "content")
    expected = (INVALID / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    _assert_exact(_check(tmp_path, monkeypatch), expected)


@pytest.mark.parametrize("case", ["coordinates-swapped-outside-region", "stray-top-level-folder"])
def test_warnings_fail_only_with_strict(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warning alone exits 0; with --strict the same lines plus the tally, and exit 1."""
    _overlay(INVALID / case, tmp_path / "content")
    expected = (INVALID / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    result = _check(tmp_path, monkeypatch, "--strict")
    assert result.output.splitlines() == [*expected, "0 error(s), 1 warning(s)"]
    assert result.exit_code == 1


def _minimal(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MINIMAL, tmp_path / "content"))


def test_huge_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over 1 MiB is refused before parsing, with its size."""
    content = _minimal(tmp_path)
    data = b"title: " + b"x" * MAX_FILE_BYTES + b"\n"
    (content / EVENT).write_bytes(data)
    _assert_exact(_check(tmp_path, monkeypatch), [
        f"content/{EVENT}:1:1: error: file is {len(data)} bytes, more than the {MAX_FILE_BYTES} allowed "
        "(split it; one event, actor, region or source per file)",
        "1 error(s), 0 warning(s)",
    ])


def test_symlink_to_a_file_outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A content file that is a link (here to a file outside the tree) is refused, not read."""
    content = _minimal(tmp_path)
    secret = tmp_path / "secret.yaml"
    secret.write_text("title: not for publication\n", encoding="utf-8")
    (content / EVENT).symlink_to(secret)
    _assert_exact(_check(tmp_path, monkeypatch), [
        f"content/{EVENT}:1:1: error: content files must be regular files, not symbolic links "
        "(replace the link with a copy of the file)",
        "1 error(s), 0 warning(s)",
    ])


@pytest.mark.timeout(20)
def test_named_pipe_does_not_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FIFO named like a content file is refused at once; reading it would block forever."""
    content = _minimal(tmp_path)
    os.mkfifo(content / EVENT)
    _assert_exact(_check(tmp_path, monkeypatch), [
        f"content/{EVENT}:1:1: error: expected a regular file, found a pipe, socket or device "
        "(replace it with a text file)",
        "1 error(s), 0 warning(s)",
    ])


@pytest.mark.parametrize("name", ["con", "aux", "lpt1"])
def test_reserved_device_name(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file named like a Windows device is refused as an id (made here: Windows cannot check it out)."""
    content = _minimal(tmp_path)
    (content / "actors" / f"{name}.yaml").write_text("name: X\nkind: rebel-group\n", encoding="utf-8")
    _assert_exact(_check(tmp_path, monkeypatch), [
        f"content/actors/{name}.yaml:1:1: error: file name '{name}' is reserved on Windows and cannot be "
        "an id (rename the file)",
        "1 error(s), 0 warning(s)",
    ])


def test_missing_content_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A content folder that does not exist is one clear line and a non-zero exit."""
    result = _check(tmp_path, monkeypatch)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines() == [
        "Error: content folder 'content' does not exist; pass --content DIR"]


def test_every_problem_in_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Problems in many files are all reported in one run, sorted by path, line and column."""
    content = _minimal(tmp_path)
    picks = ["unknown-actor", "url-ftp", "raw-html-in-briefing-body", "invalid-region-file-name"]
    expected: list[str] = []
    for case in picks:
        for src in (INVALID / case).rglob("*"):
            if src.is_file() and src != INVALID / case / "expected.txt":
                dst = content / src.relative_to(INVALID / case)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
        expected += (INVALID / case / "expected.txt").read_text(encoding="utf-8").splitlines()[:-1]
    result = _check(tmp_path, monkeypatch)
    assert result.exit_code == 1
    tally = f"{len(picks)} error(s), 0 warning(s)"
    assert result.output.splitlines() == [*sorted(expected, key=_sort_key), tally]


def _sort_key(line: str) -> tuple[str, int, int]:
    path, ln, col, _ = line.split(":", 3)
    return path, int(ln), int(col)


def test_build_reports_the_same_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`build` stops on the same errors as `check`, exit 1, and writes no site."""
    _overlay(INVALID / "unknown-region", tmp_path / "content")
    expected = (INVALID / "unknown-region" / "expected.txt").read_text(encoding="utf-8").splitlines()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--content", "content", "--out", "site"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines() == expected
    assert not (tmp_path / "site").exists()
