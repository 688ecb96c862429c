"""Small text helpers shared by the importers: name folding, slugs, dates, numbers, safe Markdown."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

from sitrep.fields import MD_LINK, SAFE_LINK  # the validator's own link rules
from sitrep.importers.model import RowError

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ARTICLE = re.compile(r"^(?:al|el|ar|as|ad|ash|at|az|an|ad|ed|es|ez)[ -]")
# Words that name the kind of first-level division rather than the division itself.
_REGION_SUFFIX = re.compile(
    r"\b(?:governorate|province|region|muhafazat|muhafazah|wilayat|wilaya|oblast|prefecture|department)\b")
_RAW_TAG = re.compile(r"<(?!https?://|mailto:)(?=[A-Za-z!/?])")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_LEFT_ENTITY = re.compile(r"&(?=#|[A-Za-z]+;)")
_BREAKS = re.compile(r"\s*[\r\n\t\v\f]+\s*")


def strip_marks(text: str) -> str:
    """Return `text` without diacritics (Ḩalab → Halab), apostrophes and ayn signs dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"['`’‘ʿʾ]", "", kept)


@lru_cache(maxsize=1 << 16)  # names repeat on most rows of a file
def fold(name: str) -> str:
    """Return the comparison key of a name: lowercase ASCII letters and digits only, no spaces."""
    return _NON_ALNUM.sub("", strip_marks(name).lower())


@lru_cache(maxsize=1 << 14)
def region_keys(name: str) -> tuple[str, ...]:
    """Return the keys a region name matches under: folded, without its kind word, without 'al-'."""
    plain = _NON_ALNUM.sub(" ", strip_marks(name).lower()).strip()
    bare = _REGION_SUFFIX.sub(" ", plain).strip() or plain
    keys = [plain, bare, _ARTICLE.sub("", bare)]
    return tuple(dict.fromkeys(k.replace(" ", "") for k in keys if k))


@lru_cache(maxsize=1 << 16)
def slug(text: str, max_len: int = 100) -> str:
    """Return a valid id made from `text`: lowercase ASCII, digits and single hyphens."""
    value = _NON_ALNUM.sub("-", strip_marks(text).lower()).strip("-")
    return value[:max_len].rstrip("-")


def one_line(text: str | None, max_len: int) -> str | None:
    """Return `text` on one line (line breaks and tabs become one space), cut to `max_len` with "…"."""
    if text is None:
        return None
    value = _BREAKS.sub(" ", text).strip()
    if not value:
        return None
    return value if len(value) <= max_len else value[: max_len - 1].rstrip() + "…"


def safe_markdown(text: str) -> str:
    """Return free text as Markdown the validator accepts: no raw HTML, entities or unsafe links.

    Imported notes are untrusted; the few characters that would make them HTML or unsafe links are
    spaced out rather than dropped, so the words stay readable and nothing is silently lost. Text
    that is already valid (Sitrep's own exports) comes back unchanged.
    """
    value = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    value = _RAW_TAG.sub("< ", value)
    value = _LEFT_ENTITY.sub("& ", value)
    return MD_LINK.sub(_defuse_link, value)


def _defuse_link(m: re.Match[str]) -> str:
    target = m.group(1) or m.group(2) or ""
    if not target or SAFE_LINK.match(target):
        return m.group()
    # A space after ']' stops it being a link for Markdown and for the validator alike.
    return m.group().replace("](", "] (", 1) if m.group(1) is not None else m.group().replace("]:", "] :", 1)


_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d-%B-%Y", "%d-%b-%Y", "%B %d, %Y", "%b %d, %Y",
                 "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TIME_PART = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


def parse_date(raw: str, column: str) -> date:
    """Return the date written in one of the formats seen in real exports; raise RowError otherwise."""
    value = raw.strip()
    if not value:
        raise RowError(f"'{column}' is empty", "every row needs a date", column)
    if m := _TIME_PART.match(value):
        value = m.group(1)
    if len(value) == 10 and value[4] == "-":  # ISO, by far the most common: skip strptime's cost
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    if m := _SLASHED.match(value):
        return _slashed(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw, column)
    raise RowError(f"'{column}' {raw!r} is not a date", "write dates as YYYY-MM-DD", column)


def _slashed(a: int, b: int, year: int, raw: str, column: str) -> date:
    """Return a d/m/Y or m/d/Y date when only one reading is a real date, else raise RowError."""
    readings = set()
    for day, month in ((a, b), (b, a)):
        try:
            readings.add(date(year, month, day))
        except ValueError:
            continue
    if len(readings) == 1:
        return readings.pop()
    if not readings:
        raise RowError(f"'{column}' {raw!r} is not a date", "write dates as YYYY-MM-DD", column)
    raise RowError(f"'{column}' {raw!r} could be day/month or month/day",
                   "write dates as YYYY-MM-DD so they cannot be misread", column)


def parse_int(raw: str | None, column: str, *, required: bool = False) -> int | None:
    """Return a whole number (also written '12.0'), None when empty; raise RowError otherwise."""
    value = (raw or "").strip().replace(",", "")
    if not value:
        if required:
            raise RowError(f"'{column}' is empty", "give a whole number", column)
        return None
    try:
        number = float(value)
    except ValueError:
        raise RowError(f"'{column}' {raw!r} is not a number", "give a whole number", column) from None
    if number != int(number) or number < 0:
        raise RowError(f"'{column}' {raw!r} is not a whole number of at least 0", "give a whole number",
                       column)
    return int(number)


def fatality_range(best: int, low: int | None, high: int | None, hint: str,
                   column: str | None = None) -> tuple[int, int, int]:
    """Return (low, best, high), a missing bound defaulting to best; raise RowError when unordered
    (naming `column`, the best estimate's)."""
    low = best if low is None else low
    high = best if high is None else high
    if not low <= best <= high:
        raise RowError(f"fatalities are not low <= best <= high ({low}, {best}, {high})", hint, column)
    return low, best, high


def parse_coord(raw: str | None, column: str, limit: float) -> float | None:
    """Return a coordinate in [-limit, limit], None when empty; raise RowError when out of range."""
    value = (raw or "").strip().replace(",", ".")
    if not value or value.upper() in ("NA", "NAN", "NULL", "NONE"):
        return None
    try:
        number = float(value)
    except ValueError:
        raise RowError(f"'{column}' {raw!r} is not a number", "give decimal degrees, e.g. 36.2",
                       column) from None
    if not -limit <= number <= limit or number != number:
        raise RowError(f"'{column}' {number} is outside -{limit:g}..{limit:g}",
                       "check the sign and that latitude and longitude are not swapped", column)
    return round(number, 6)


def split_list(raw: str | None, sep: str = ";") -> list[str]:
    """Return the non-empty, stripped items of a separated list, in order, without repeats."""
    items = (item.strip() for item in (raw or "").split(sep))
    return list(dict.fromkeys(i for i in items if i))
