"""The one error type: every problem an editor can cause carries a file, line and column."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import click

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about content: where it is, what is wrong and how to fix it."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""
    severity: Severity = "error"

    def format(self) -> str:
        """Return the `path:line:col: error: message (hint)` form editors and editors' tools read."""
        text = f"{_printable(self.path)}:{self.line}:{self.col}: {self.severity}: {_printable(self.message)}"
        return f"{text} ({_printable(self.hint)})" if self.hint else text

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.message)


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 127)}


def _printable(text: str) -> str:
    """Return `text` with control characters escaped: a file name or value holding a newline or a
    terminal escape must not break the one-line-per-problem output or the editor's terminal."""
    return text.translate(_CONTROL)


class ContentError(click.ClickException):
    """Raised when content cannot be built; shows every problem at once and exits 1, no traceback."""

    exit_code = 1

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems), key=lambda p: p.sort_key))
        super().__init__(self.format_message())

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    def format_message(self) -> str:
        lines = [p.format() for p in self.problems]
        n_err = len(self.errors)
        n_warn = len(self.problems) - n_err
        lines.append(f"{n_err} error(s), {n_warn} warning(s)")
        return "\n".join(lines)

    def show(self, file: object = None) -> None:
        # click would prefix "Error: "; each of our lines already says error or warning
        click.echo(self.format_message(), err=True)


def problem_at(path: str, pos: tuple[int, int] | None, message: str, hint: str = "",
               severity: Severity = "error") -> Problem:
    """Return a Problem at a (line, col) position, or at 1:1 when the position is unknown."""
    line, col = pos if pos else (1, 1)
    return Problem(path, line, col, message, hint, severity)
