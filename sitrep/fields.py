"""Small typed field readers for validation: each returns a value or None and records a Problem.

Validation never stops at the first problem: every reader records what is wrong, with the
position of the offending key or value, and the caller goes on (pelican's `is_valid` habit).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sitrep.errors import Problem, Severity
from sitrep.load import KeyPath, RawDocument, locate

SAFE_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)
SHA256 = re.compile(r"^[0-9a-f]{64}\Z")
IMPORT_SOURCES = ("ucdp", "acled")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?\Z")  # \Z: "$" also matches before a final newline
RAW_HTML = re.compile(r"<(?!https?://|mailto:)[A-Za-z!/?]|&#|&[a-zA-Z]+;")
MD_LINK = re.compile(r"\]\(\s*<?([^)\s>]*)|^\s*\[[^\]]+\]:\s*<?(\S+)", re.M)
# Control characters (tab and line breaks aside), lone surrogates and non-characters: YAML escapes such
# as "\0" or "\ud800" produce them, and XML feeds, UTF-8 files and terminals cannot carry them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_CONTROL_HINT = "remove it: it is invisible, and feeds and exports cannot hold it"
SAFE_LINK = re.compile(r"^(https?://|mailto:|/|#|\.{0,2}/|[A-Za-z0-9_-]+(?:/|\.|#|$))", re.I)


def control_char(value: str) -> str | None:
    """Return 'U+XXXX' for the first character of `value` no output format can carry, else None."""
    bad = _CONTROL.search(value)
    return f"U+{ord(bad.group()):04X}" if bad else None


def typename(value: Any) -> str:
    """Return how an editor would name the YAML type of `value`."""
    if value is None:
        return "nothing (empty value)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, datetime | date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


MAX_PROBLEMS_PER_FILE = 50
"""Problems beyond this many in one file are counted, not listed: a file of junk (up to 1 MiB of
unknown keys) must not take minutes or bury every other file's messages."""


class Reader:
    """Reads fields out of one document, appending problems to a shared list."""

    def __init__(self, doc: RawDocument, problems: list[Problem]) -> None:
        self.doc = doc
        self.problems = problems
        self.failed = False
        self.reported = 0

    @property
    def suppressed(self) -> int:
        """How many problems were counted but not listed (see MAX_PROBLEMS_PER_FILE)."""
        return max(0, self.reported - MAX_PROBLEMS_PER_FILE)

    def report(self, at: KeyPath, message: str, hint: str = "", *, key: bool = False,
               severity: Severity = "error") -> None:
        """Record a problem at the value (or key) found at key path `at`."""
        if severity == "error":
            self.failed = True
        self.reported += 1
        if self.reported > MAX_PROBLEMS_PER_FILE:
            return
        line, col = locate(self.doc.path, at, key)
        self.problems.append(Problem(self.doc.path, line, col, message, hint, severity))

    def mapping(self, value: Any, at: KeyPath, what: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.report(at, f"{what} must be a mapping of 'key: value' fields, got {typename(value)}",
                    "write it as indented 'key: value' lines or {key: value}")
        return None

    def only_keys(self, m: Mapping[Any, Any], at: KeyPath, allowed: Collection[str], what: str) -> None:
        """Report keys that are not in `allowed`, suggesting the nearest known key."""
        for k in m:
            if isinstance(k, str) and k in allowed:
                continue
            close = (difflib.get_close_matches(str(k)[:200], list(allowed), n=1)
                     if self.reported < MAX_PROBLEMS_PER_FILE else None)  # difflib is slow; skip unseen
            hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(sorted(allowed))}"
            self.report((*at, str(k)), f"unknown field '{k}' in {what}", hint, key=True)

    def _missing(self, at: KeyPath, key: str, what: str, hint: str) -> None:
        self.report(at, f"{what} is missing the required field '{key}'", hint or f"add '{key}: ...'")

    def text(self, m: Mapping[str, Any], at: KeyPath, key: str, *, required: bool = False,
             what: str = "document", max_len: int = 10_000, single_line: bool = False,
             hint: str = "") -> str | None:
        value = m.get(key)
        if value is None:
            if required:
                self._missing(at, key, what, hint)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.report((*at, key), f"'{key}' must be text, got {typename(value)}",
                        "write it as plain text (quote it if it contains ': ' or starts with a symbol)")
            return None
        value = str(value).strip()
        if bad := _CONTROL.search(value):
            self.report((*at, key), f"'{key}' contains the control character U+{ord(bad.group()):04X}",
                        _CONTROL_HINT)
            return None
        if required and not value:
            self.report((*at, key), f"'{key}' is empty", hint or f"write the {key}")
            return None
        if len(value) > max_len:
            self.report((*at, key), f"'{key}' is {len(value)} characters long, more than {max_len}",
                        "shorten it")
            return None
        if single_line and ("\n" in value or "\r" in value):
            self.report((*at, key), f"'{key}' must be a single line", "remove the line breaks")
            return None
        return value

    def integer(self, m: Mapping[str, Any], at: KeyPath, key: str, *, required: bool = False,
                what: str = "document", minimum: int | None = 0) -> int | None:
        value = m.get(key)
        if value is None:
            if required:
                self._missing(at, key, what, "")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.report((*at, key), f"'{key}' must be a whole number, got {typename(value)}",
                        "write digits only, e.g. 13")
            return None
        if minimum is not None and value < minimum:
            self.report((*at, key), f"'{key}' must be at least {minimum}, got {value}", "fix the number")
            return None
        return value

    def number(self, m: Mapping[str, Any], at: KeyPath, key: str, *, required: bool = False,
               what: str = "document", low: float | None = None, high: float | None = None) -> float | None:
        value = m.get(key)
        if value is None:
            if required:
                self._missing(at, key, what, "")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            self.report((*at, key), f"'{key}' must be a number, got {typename(value)}", "e.g. 36.2")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.report((*at, key), f"'{key}' must be between {low} and {high}, got {value}",
                        "check the sign and the order of latitude and longitude")
            return None
        return float(value)

    def choice(self, m: Mapping[str, Any], at: KeyPath, key: str, choices: Collection[Any], *,
               required: bool = False, what: str = "document", default: Any = None) -> Any:
        value = m.get(key)
        if value is None:
            if required:
                self._missing(at, key, what, f"one of: {', '.join(map(str, choices))}")
            return default
        if value not in choices or isinstance(value, bool):
            close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(map(str, choices))}"
            self.report((*at, key), f"'{key}' must be one of the known values, got {value!r}", hint)
            return default
        return value

    def day(self, m: Mapping[str, Any], at: KeyPath, key: str, *, required: bool = False,
            what: str = "document") -> date | None:
        value = m.get(key)
        if value is None:
            if required:
                self._missing(at, key, what, "write it as YYYY-MM-DD")
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.report((*at, key), f"'{key}' must be a date, got {typename(value)}",
                    "write it as YYYY-MM-DD, e.g. 2019-04-13")
        return None

    def flag(self, m: Mapping[str, Any], at: KeyPath, key: str) -> bool:
        value = m.get(key, False)
        if isinstance(value, bool):
            return value
        self.report((*at, key), f"'{key}' must be true or false, got {typename(value)}",
                    "write true or false")
        return False

    def items(self, m: Mapping[str, Any], at: KeyPath, key: str) -> Iterator[tuple[KeyPath, Any]]:
        """Yield (key path, item) for each item of a list field; report a non-list."""
        value = m.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            self.report((*at, key), f"'{key}' must be a list, got {typename(value)}",
                        "write one '- item' per line, or [a, b]")
            return
        for i, item in enumerate(value):
            yield (*at, key, i), item

    def entries(self, m: Mapping[str, Any], at: KeyPath, key: str, allowed: Collection[str],
                what: str) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
        """Yield (key path, mapping) for each item of a list of records, reporting items that are not
        mappings and fields not in `allowed`; the caller reads each record's fields."""
        for where, item in self.items(m, at, key):
            record = self.mapping(item, where, what)
            if record is not None:
                self.only_keys(record, where, allowed, what)
                yield where, record

    def texts(self, m: Mapping[str, Any], at: KeyPath, key: str, *, slug: bool = False) -> tuple[str, ...]:
        """Return a list field of short texts (or slugs), reporting bad items."""
        out: list[str] = []
        for where, item in self.items(m, at, key):
            if isinstance(item, bool) or not isinstance(item, str | int | float) or not str(item).strip():
                self.report(where, f"items of '{key}' must be text, got {typename(item)}", "write text items")
            elif bad := control_char(str(item)):
                self.report(where, f"an item of '{key}' contains the control character {bad}", _CONTROL_HINT)
            elif slug and not SLUG.match(str(item)):
                self.report(where, f"{item!r} in '{key}' is not a valid id",
                            "use lowercase letters, digits and hyphens, e.g. checkpoint-attack")
            else:
                out.append(str(item).strip())
        return tuple(out)

    def import_block(self, m: Mapping[str, Any], *, codes_allowed: bool) -> None:
        """Check the block an importer leaves (which importer, hash of what it wrote, source codes).

        A hash that no longer matches the file is not an error: it is how a hand edit is recognised.
        """
        raw = m.get("import")
        if raw is None:
            return
        at: KeyPath = ("import",)
        block = self.mapping(raw, at, "import")
        if block is None:
            return
        allowed = ("source", "sha256", "codes") if codes_allowed else ("source", "sha256")
        self.only_keys(block, at, allowed, "the import block")
        self.choice(block, at, "source", IMPORT_SOURCES, required=True, what="the import block")
        digest = self.text(block, at, "sha256", required=True, what="the import block", single_line=True)
        if digest is not None and not SHA256.match(digest):
            self.report((*at, "sha256"), "sha256 must be 64 lowercase hexadecimal digits",
                        "leave the import block as the importer wrote it, or delete the whole block")
        codes = block.get("codes")
        if codes is not None and codes_allowed and (m2 := self.mapping(codes, (*at, "codes"), "codes")):
            for name in m2:
                self.integer(m2, (*at, "codes"), str(name), minimum=None)

    def url(self, m: Mapping[str, Any], at: KeyPath, key: str) -> str | None:
        value = self.text(m, at, key, max_len=2000, single_line=True)
        if value is not None and not SAFE_URL.match(value):
            self.report((*at, key), f"'{key}' must be an http:// or https:// address, got {value[:60]!r}",
                        "only web links are allowed; copy the address from the browser")
            return None
        return value

    def markdown(self, m: Mapping[str, Any], at: KeyPath, key: str, *, required: bool = False,
                 what: str = "document") -> str | None:
        value = self.text(m, at, key, required=required, what=what, max_len=50_000)
        return value if value is None else self.check_markdown(value, (*at, key), key)

    def check_markdown(self, value: str, at: KeyPath, key: str, line_base: int | None = None) -> str | None:
        """Return the Markdown if it has no raw HTML and no unsafe link targets, else report it."""
        ok = True
        if bad := _CONTROL.search(value):
            self._report_in_text(at, value, bad.start(), line_base,
                                 f"'{key}' contains the control character U+{ord(bad.group()):04X}",
                                 _CONTROL_HINT)
            ok = False
        if match := RAW_HTML.search(value):
            snippet = value[match.start():match.start() + 20]
            self._report_in_text(at, value, match.start(), line_base,
                                 f"raw HTML is not allowed in '{key}' (found {snippet!r})",
                                 "use Markdown: **bold**, [text](https://...); write < as 'less than'")
            ok = False
        for match in MD_LINK.finditer(value):
            target = match.group(1) or match.group(2) or ""
            if target and not SAFE_LINK.match(target):
                where = match.start(1) if match.group(1) else match.start(2)
                self._report_in_text(at, value, where, line_base,
                                     f"link target {target[:40]!r} in '{key}' is not allowed",
                                     "links must be http(s):// or mailto: addresses")
                ok = False
        return value if ok else None

    def _report_in_text(self, at: KeyPath, text: str, offset: int, line_base: int | None,
                        message: str, hint: str) -> None:
        if line_base is None:  # inside a YAML scalar: point at the scalar itself
            self.report(at, message, hint)
            return
        line = line_base + text.count("\n", 0, offset)
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        self.problems.append(Problem(self.doc.path, line, col, message, hint))
        self.failed = True
