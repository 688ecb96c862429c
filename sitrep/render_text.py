"""Text formatting shared by every page: dates at their known precision, tolls, counts, labels.

These are the Jinja filters the render stage registers (in one place, `render.make_environment`).
"""

from __future__ import annotations

import calendar
from datetime import date

from sitrep.index import Summary
from sitrep.model import DateRange, Fatalities

ROLE_LABELS = {"perpetrator": "Perpetrator", "target": "Target", "claimant": "Claimed responsibility",
               "associated": "Associated"}
STATUS_LABELS = {"published": "Published", "superseded": "Superseded", "retracted": "Retracted",
                 "draft": "Draft"}
MONTH_NAMES = tuple(calendar.month_name)
MONTH_ABBRS = tuple(calendar.month_abbr)
"""'' then 'January'… and 'Jan'…, read once: calendar's own lists call strftime on every lookup
(150k calls, a second of a 10k-event build)."""
PRECISION_LABELS = {1: "exact place", 2: "near the place, or part of the region", 3: "region only"}
UCDP_LABELS = {1: "state-based", 2: "non-state", 3: "one-sided"}
FIELD_LABELS = {"fatalities": "fatalities", "actors": "actors", "location": "location", "date": "date",
                "claims": "claims", "figures": "figures", "summary": "summary"}


def day_text(d: date | None) -> str:
    """Return '13 April 2019'."""
    return f"{d.day} {MONTH_NAMES[d.month]} {d.year}" if d else ""


def short_day(d: date | None) -> str:
    """Return '13 Apr 2019'."""
    return f"{d.day} {MONTH_ABBRS[d.month]} {d.year}" if d else ""


def date_text(d: DateRange) -> str:
    """Return an event's date as precise as it is known: '13 Apr 2019', 'week of 8 Apr 2019', 'Apr 2019'."""
    s, e = d.start, d.end
    if d.precision == "month":
        return f"{MONTH_ABBRS[s.month]} {s.year}"
    if d.precision == "week":
        return f"week of {short_day(s)}"
    if s == e:
        return short_day(s)
    if (s.year, s.month) == (e.year, e.month):
        return f"{s.day}–{e.day} {MONTH_ABBRS[e.month]} {e.year}"
    if s.year == e.year:
        return f"{s.day} {MONTH_ABBRS[s.month]} – {short_day(e)}"
    return f"{short_day(s)} – {short_day(e)}"


def period_text(start: date, end: date) -> str:
    """Return '7–13 April 2019', '28 March – 3 April 2019' or '13 April 2019'."""
    if start == end:
        return day_text(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{day_text(end)}"
    if start.year == end.year:
        return f"{start.day} {MONTH_NAMES[start.month]} – {day_text(end)}"
    return f"{day_text(start)} – {day_text(end)}"


def number(n: int | float | None) -> str:
    """Return 12 345 with a thin no-break space between thousands; '' for None."""
    if n is None:
        return ""
    if isinstance(n, float) and not n.is_integer():
        return f"{n:,.1f}".replace(",", "\u202f")
    return f"{int(n):,}".replace(",", "\u202f")


def toll(low: int, high: int) -> str:
    """Return '13' or '9–13'."""
    return number(low) if low == high else f"{number(low)}–{number(high)}"


def deaths(f: Fatalities | Summary | None) -> str:
    """Return an event's or a summary's toll: '13', '9–13', or 'not reported'."""
    if f is None:
        return "not reported"
    if isinstance(f, Summary):
        return toll(f.fatalities_low, f.fatalities_high)
    return toll(f.low, f.high)


def month_name(month: int) -> str:
    """Return 'April'."""
    return MONTH_NAMES[month]


def plural(n: int, word: str, words: str | None = None) -> str:
    """Return '1 event', '2 events', '12 345 events'."""
    return f"{number(n)} {word if n == 1 else (words or word + 's')}"


def role_label(role: str) -> str:
    """Return a role as a reader reads it."""
    return ROLE_LABELS.get(role, role.capitalize())
