"""Static SVG bar charts made at build time: they need no script, print, and scale with the page.

A chart has one panel per series (events, fatalities) sharing one x axis: counts of events and of
deaths differ by orders of magnitude, so one y axis would flatten one of them. A fatality series
with disagreeing sources draws the low end solid and the rest of the range as an outlined bar.
Every chart is paired in the page with a data table (the text equivalent), so the SVG itself is
one labelled image. Only presentation attributes are used: the site's CSP forbids style="".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from sitrep.index import MonthPoint
from sitrep.render_text import MONTH_ABBRS, MONTH_NAMES

EVENTS_COLOUR = "#0072B2"  # Okabe–Ito blue
DEATHS_COLOUR = "#B4470A"  # a darker Okabe–Ito vermilion: 3:1 against white as WCAG asks of graphics
RANGE_FILL = "#F3CDB5"
_FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'DejaVu Sans', sans-serif"
_LEFT, _RIGHT, _TOP = 44.0, 8.0, 22.0
_PANEL_H, _GAP, _AXIS_H = 78.0, 34.0, 30.0
_MAX_BAR, _WIDTH, _MIN_WIDTH = 36.0, 640.0, 380.0


@dataclass(frozen=True, slots=True)
class Series:
    """One panel: a title, one value per bar, and optional low ends (values are the high ends)."""

    title: str
    values: Sequence[int]
    colour: str
    lows: Sequence[int] | None = None
    unit: str = ""


def nice_ticks(value: int, most: int = 4) -> list[int]:
    """Return evenly spaced axis ticks from 0 to a round top ≥ value, in steps of 1, 2 or 5 × 10^k and
    at most `most` intervals: 0–4 by 1 for 4, 0–6 by 2 for 5, 0–15 by 5 for 13, 0–30 by 10 for 27."""
    if value <= 0:
        return [0, 1]
    scale = 1
    while True:
        for m in (1, 2, 5):
            step = m * scale
            n = -(-value // step)
            if n <= most:
                return [i * step for i in range(n + 1)]
        scale *= 10


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Return a generous estimate of `text`'s width in px: no font metrics at build time, and the
    reader's font may be a wide one (DejaVu Sans), so err wide rather than clip."""
    narrow = sum(1 for c in text if c in " .,:;'()[]/|!iIjlrtf1")
    wide = sum(1 for c in text if c in "mwMW@%–—")
    em = 0.34 * narrow + 0.9 * wide + 0.64 * (len(text) - narrow - wide)
    return em * size * (1.12 if bold else 1.0)


def nice_max(value: int) -> int:
    """Return a round axis maximum ≥ value: 1, 2 or 5 × 10^k."""
    if value <= 1:
        return 1
    base = 10 ** math.floor(math.log10(value))
    return next(m * base for m in (1, 2, 5, 10) if m * base >= value)


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")  # thin no-break space: 12 345 reads in any locale


def _bar(x: float, base: float, h: float, w: float, fill: str, stroke: str | None, tip: str) -> str:
    edge = f' stroke="{stroke}" stroke-width="1"' if stroke else ""
    return (f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}"{edge}>'
            f"<title>{escape(tip)}</title></rect>")


def _panel(s: Series, labels: Sequence[str], top: float, bar_w: float, left: float) -> list[str]:
    ticks = nice_ticks(max(s.values, default=0))
    vmax = ticks[-1]
    base, right = top + _PANEL_H, left + bar_w * len(s.values)
    out = [f'<text x="{left:.0f}" y="{top - 8:.1f}" font-size="12" font-weight="600" fill="#1a1a1a">'
           f"{escape(s.title)}</text>"]
    for tick in ticks:
        y = base - _PANEL_H * tick / vmax
        out.append(f'<line x1="{left:.0f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="'
                   f'{"#767676" if tick == 0 else "#d9d9d9"}" stroke-width="{1 if tick == 0 else 0.6}"/>'
                   f'<text x="{left - 5:.0f}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#444">'
                   f"{_fmt(tick)}</text>")
    for i, (label, high) in enumerate(zip(labels, s.values, strict=True)):
        low = s.lows[i] if s.lows is not None else high
        x, w = left + i * bar_w + bar_w * 0.12, max(bar_w * 0.76, 1.0)
        if high <= 0:
            continue
        value = _fmt(high) if low == high else f"{_fmt(low)}–{_fmt(high)}"
        tip = f"{label}: {value} {s.unit}".strip()
        if low < high:
            out.append(_bar(x, base, max(_PANEL_H * high / vmax, 1.0), w, RANGE_FILL, s.colour, tip))
        if low > 0:
            out.append(_bar(x, base, max(_PANEL_H * low / vmax, 1.0), w, s.colour, None, tip))
    return out


def _axis(axis_labels: Sequence[str | None], y: float, bar_w: float, left: float) -> list[str]:
    return [f'<text x="{left + (i + 0.5) * bar_w:.1f}" y="{y:.1f}" font-size="11" text-anchor="middle" '
            f'fill="#444">{escape(text)}</text>' for i, text in enumerate(axis_labels) if text]


def _left_margin(series: Sequence[Series]) -> float:
    """Return the room left of the bars: enough for the widest y-axis tick label."""
    ticks = (text_width(_fmt(t), 11) for s in series for t in nice_ticks(max(s.values, default=0)))
    return max(_LEFT, max(ticks, default=0.0) + 9)


def _least_width(axis_labels: Sequence[str | None], series: Sequence[Series], bar_w: float,
                 left: float) -> float:
    """Return the width no panel title or x-axis label is cut off at."""
    titles = max((left + text_width(s.title, 12, bold=True) + _RIGHT for s in series), default=0.0)
    x_labels = max((left + (i + 0.5) * bar_w + text_width(t, 11) / 2 + 2
                    for i, t in enumerate(axis_labels) if t), default=0.0)
    return max(titles, x_labels)


def bar_chart(labels: Sequence[str], axis_labels: Sequence[str | None], series: Sequence[Series],
              title: str) -> Markup:
    """Return an SVG with one bar panel per series over shared x-axis labels (None = no label)."""
    n = max(len(labels), 1)
    left = _left_margin(series)
    bar_w = min((_WIDTH - left - _RIGHT) / n, _MAX_BAR)
    # A floor on the width so a one-month chart is not blown up to the page's width; then room for
    # every title and label however few bars there are.
    width = max(left + _RIGHT + bar_w * n, _MIN_WIDTH, _least_width(axis_labels, series, bar_w, left))
    out: list[str] = []
    top = _TOP
    for s in series:
        out.extend(_panel(s, labels, top, bar_w, left))
        top += _PANEL_H + _GAP
    axis_y = top - _GAP + 16
    out.extend(_axis(axis_labels, axis_y, bar_w, left))
    height = axis_y + _AXIS_H - 16
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart{" wide" if width > 480 else ""}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(title)}" '
        f'font-family="{_FONT}"><title>{escape(title)}</title>' + "".join(out) + "</svg>")


def month_label(year: int, month: int) -> str:
    """Return 'April 2019'."""
    return f"{MONTH_NAMES[month]} {year}"


def _month_axis(points: Sequence[MonthPoint]) -> list[str | None]:
    """Return x labels that never crowd: every month, then quarters, then years."""
    n = len(points)
    out: list[str | None] = []
    year_step = max(1, math.ceil(n / 12 * 44 / (_WIDTH - _LEFT - _RIGHT)))  # keep year labels ≥ 44 px apart
    for i, p in enumerate(points):
        abbr = MONTH_ABBRS[p.month]
        if n <= 12:
            out.append(f"{abbr} {p.year}" if i == 0 or p.month == 1 else abbr)
        elif n <= 36:
            out.append(f"{abbr} {p.year}" if i == 0 or p.month == 1 else abbr if p.month % 3 == 1 else None)
        else:
            first = i == 0 and p.month <= 9  # a label for a lone December would collide with January's
            out.append(str(p.year) if (p.month == 1 and p.year % year_step == 0) or first else None)
    return out


def monthly_chart(points: Sequence[MonthPoint], subject: str) -> Markup:
    """Return the monthly events-and-fatalities chart of `points` (from index.monthly_series)."""
    labels = [month_label(p.year, p.month) for p in points]
    title = f"Events and fatalities per month, {subject}"
    if points:
        title += f", {labels[0]} to {labels[-1]}" if len(points) > 1 else f", {labels[0]}"
    ranges = any(p.fatalities_low < p.fatalities_high for p in points)
    return bar_chart(labels, _month_axis(points), (
        Series("Events per month", [p.events for p in points], EVENTS_COLOUR, unit="events"),
        Series("Fatalities per month" + (" (range where sources differ)" if ranges else ""),
               [p.fatalities_high for p in points], DEATHS_COLOUR, [p.fatalities_low for p in points],
               unit="deaths"),
    ), title)


def daily_chart(days: Sequence[tuple[date, int, int, int]], subject: str) -> Markup:
    """Return a per-day chart of (day, events, fatalities low, fatalities high) rows."""
    labels = [f"{d.day} {MONTH_NAMES[d.month]} {d.year}" for d, *_ in days]
    axis = [str(d.day) if (d.day == 1 or d.day % 5 == 0) else None for d, *_ in days]
    return bar_chart(labels, axis, (
        Series("Events per day", [n for _, n, _, _ in days], EVENTS_COLOUR, unit="events"),
        Series("Fatalities per day", [h for *_, h in days], DEATHS_COLOUR, [lo for _, _, lo, _ in days],
               unit="deaths"),
    ), f"Events and fatalities per day, {subject}")


def range_bar(low: int, best: int, high: int, marks: Sequence[tuple[str, int]] = ()) -> Markup:
    """Return a small scale from 0: the toll's range (band) and best estimate (bar) on the first row,
    then one row per source with its own figure. Decorative: the same numbers are in the text."""
    width, left, right, row = 300.0, 92.0, 34.0, 22.0
    vmax = nice_max(max((high, *(v for _, v in marks)), default=0))
    span = width - left - right

    def x(v: int) -> float:
        return left + span * v / vmax

    def label(y: float, text: str) -> str:
        short = text if len(text) <= 14 else text[:13] + "…"
        return (f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#444">'
                f"{escape(short)}</text>")

    height = row * (1 + len(marks)) + 18
    out = [f'<line x1="{left}" y1="{height - 14}" x2="{left + span}" y2="{height - 14}" stroke="#767676"/>',
           f'<text x="{left}" y="{height - 2}" font-size="10" fill="#444">0</text>',
           f'<text x="{left + span}" y="{height - 2}" font-size="10" text-anchor="middle" fill="#444">'
           f"{_fmt(vmax)}</text>", label(row / 2 + 2, "Range")]
    if high > low:
        out.append(f'<rect x="{x(low):.1f}" y="{row / 2 - 4:.1f}" width="{x(high) - x(low):.1f}" height="12" '
                   f'fill="{RANGE_FILL}" stroke="{DEATHS_COLOUR}" stroke-width="1"/>')
    out.append(f'<rect x="{x(best) - 1.5:.1f}" y="{row / 2 - 7:.1f}" width="3" height="18" '
               f'fill="{DEATHS_COLOUR}"/>')
    for i, (name, value) in enumerate(marks, 1):
        y = row * i + row / 2 + 2
        out.append(label(y, name) + f'<line x1="{left}" y1="{y:.1f}" x2="{left + span}" y2="{y:.1f}" '
                   f'stroke="#e3e3e3"/><circle cx="{x(value):.1f}" cy="{y:.1f}" r="4" fill="#1a1a1a"/>'
                   f'<text x="{x(value) + 7:.1f}" y="{y + 4:.1f}" font-size="11" fill="#1a1a1a">'
                   f"{_fmt(value)}</text>")
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" class="range-bar" viewBox="0 0 {width:.0f} '
                  f'{height:.0f}" width="{width:.0f}" height="{height:.0f}" aria-hidden="true" '
                  'focusable="false" '
                  f'font-family="{_FONT}">' + "".join(out) + "</svg>")
