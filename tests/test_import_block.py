"""The `import:` block importers leave on events, actors and sources is checked, never trusted blindly."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitrep.load import load
from sitrep.validate import check

GOOD = "import:\n  source: ucdp\n  sha256: " + "a" * 64 + "\n"


def _problems(tree: Path) -> list[str]:
    return [p.format().split(": ", 1)[1] for p in check(load(tree)).problems]


def test_a_well_formed_block_is_accepted_even_when_the_hash_no_longer_matches(minimal_copy: Path) -> None:
    actor = minimal_copy / "actors" / "islamic-state.yaml"
    actor.write_text(actor.read_text(encoding="utf-8") + GOOD, encoding="utf-8")
    assert _problems(minimal_copy) == []


@pytest.mark.parametrize(("block", "message"), [
    ("import:\n  source: gdelt\n  sha256: " + "a" * 64 + "\n", "'source' must be one of the known values"),
    ("import:\n  source: ucdp\n  sha256: ABC\n", "sha256 must be 64 lowercase hexadecimal digits"),
    ("import:\n  source: ucdp\n", "the import block is missing the required field 'sha256'"),
    ("import: yes\n", "import must be a mapping"),
    (GOOD + "  codes: {where_prec: 2}\n", "unknown field 'codes' in the import block"),
])
def test_bad_blocks_are_reported_with_position(minimal_copy: Path, block: str, message: str) -> None:
    actor = minimal_copy / "actors" / "islamic-state.yaml"
    lines = actor.read_text(encoding="utf-8").count("\n")
    actor.write_text(actor.read_text(encoding="utf-8") + block, encoding="utf-8")
    problems = [p for p in check(load(minimal_copy)).problems if p.path == str(actor)]
    assert len(problems) == 1 and message in problems[0].message
    assert problems[0].line > lines  # points into the block, not at the top of the file


def test_events_may_keep_the_source_precision_codes(minimal_copy: Path) -> None:
    event = next(minimal_copy.glob("events/**/*.yaml"))
    event.write_text(event.read_text(encoding="utf-8") + GOOD + "  codes: {date_prec: 1, where_prec: 2}\n",
                     encoding="utf-8")
    assert _problems(minimal_copy) == []
    event.write_text(event.read_text(encoding="utf-8").replace("where_prec: 2", "where_prec: two"),
                     encoding="utf-8")
    assert any("'where_prec' must be a whole number" in p for p in _problems(minimal_copy))
