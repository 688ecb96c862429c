"""Stream a messy CSV file as (line, row) pairs: BOMs, UTF-16, `;` or tab separators, quoted
multi-line fields, bad bytes and ragged rows are handled or reported per row, never silently.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from sitrep.errors import ContentError, Problem
from sitrep.importers.model import RowError

FIELD_LIMIT = 1 << 20
"""Largest field accepted (1 MiB): a stray quote that swallows the rest of a file stops here."""
_BAD_BYTE = re.compile(r"[\udc80-\udcff]")
_PROGRESS_EVERY = 512

Row = dict[str, str]


class _Counting(io.RawIOBase):
    """A raw binary stream that counts the bytes read through it, for a byte-based progress bar."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


def _encoding(head: bytes) -> str:
    """Return the codec named by the file's byte-order mark; UTF-8 when it has none."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _delimiter(header: str) -> str:
    """Return the separator the header line uses most: ',', ';' or tab."""
    return max(",;\t", key=lambda sep: (header.count(sep), sep == ","))


def normalise_header(name: str) -> str:
    """Return a column name as the adapters spell it: lowercase, trimmed, spaces as underscores."""
    return re.sub(r"\s+", "_", name.replace("\ufeff", "").strip().lower())


def _header_problem(path: Path, message: str, hint: str) -> ContentError:
    return ContentError([Problem(str(path), 1, 1, message, hint)])


def read_rows(path: Path, required: Collection[str], aliases: Mapping[str, str] | None = None, *,
              progress: bool = False) -> Iterator[tuple[int, Row | RowError]]:
    """Yield (line where the row starts, row mapping or RowError) for every data row of `path`.

    Raises ContentError before the first row when the header lacks a `required` column.
    """
    csv.field_size_limit(FIELD_LIMIT)
    aliases = aliases or {}
    with path.open("rb") as fh:
        encoding = _encoding(fh.peek(4)[:4] if hasattr(fh, "peek") else b"")
        counter = _Counting(fh)
        text = io.TextIOWrapper(io.BufferedReader(counter), encoding=encoding, errors="surrogateescape",
                                newline="")
        header_line = text.readline()
        if not header_line.strip():
            raise _header_problem(path, "the file is empty or has no header line",
                                  "the first line must name the columns")
        reader = csv.reader(text, delimiter=_delimiter(header_line))
        header = _read_header(path, header_line, reader.dialect, required, aliases)
        # disable=None: tqdm draws only on a terminal, so logs and CI output stay clean.
        bar = tqdm(total=path.stat().st_size, unit="B", unit_scale=True, disable=None if progress else True,
                   desc=path.name, leave=False)
        try:
            yield from _rows(reader, header, bar, counter)
        finally:
            bar.close()


def _read_header(path: Path, line: str, dialect: type[csv.Dialect] | csv.Dialect | str,
                 required: Collection[str], aliases: Mapping[str, str]) -> list[str]:
    names = [normalise_header(n) for n in next(csv.reader([line], dialect=dialect))]
    names = [aliases.get(n, n) for n in names]
    if _BAD_BYTE.search("".join(names)):
        raise _header_problem(path, "the header is not valid UTF-8", "save the file as UTF-8 (or UTF-16)")
    seen = [n for i, n in enumerate(names) if n and n in names[:i]]
    if seen:
        raise _header_problem(path, f"column '{seen[0]}' appears twice in the header",
                              "rename or remove one of them")
    missing = [c for c in required if c not in names]
    if missing:
        raise _header_problem(path, f"the header lacks required column(s): {', '.join(missing)}",
                              f"is this the right format? columns found: {', '.join(names[:12])}…")
    return names


def _rows(reader: csv.Reader, header: list[str], bar: tqdm, counter: _Counting,  # type: ignore[name-defined]
          ) -> Iterator[tuple[int, Row | RowError]]:
    last_line = 1  # the header was read before the csv reader started counting
    n = 0
    while True:
        start = last_line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            last_line = reader.line_num + 1
            yield start, RowError(f"unreadable CSV: {exc}", "check the quoting around this line")
            continue
        last_line = reader.line_num + 1
        n += 1
        if n % _PROGRESS_EVERY == 0:
            bar.update(counter.count - bar.n)
        if not values or all(not v.strip() for v in values):
            continue
        yield start, _row(values, header)
    bar.update(counter.count - bar.n)


def _row(values: list[str], header: list[str]) -> Row | RowError:
    if len(values) > len(header):
        return RowError(f"row has {len(values)} fields but the header names {len(header)}",
                        "a quote is probably missing or a separator is not quoted")
    joined = "\x1f".join(values)
    if m := _BAD_BYTE.search(joined):
        byte = ord(m.group()) - 0xDC00
        return RowError(f"row is not valid UTF-8 (byte 0x{byte:02x})", "save the file as UTF-8")
    row = dict(zip(header, values, strict=False))
    for name in header[len(values):]:
        row[name] = ""
    return row
