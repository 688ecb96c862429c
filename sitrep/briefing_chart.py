"""A static SVG chart of events and fatalities per day (or per week for long periods).

Two small bar panels sharing one time axis: counts of events and of deaths differ by orders of
magnitude, so a shared y axis would flatten one of them and a second y axis is easy to misread.
Values are written above the bars when there is room, because a printed chart cannot be hovered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

from markupsafe import escape

from sitrep.briefing_figures import Bucket

_FONT = "'Noto Sans', 'Noto Naskh Arabic', 'DejaVu Sans', sans-serif"
EVENTS_COLOUR = "#0072B2"
DEATHS_COLOUR = "#D55E00"


def nice_max(value: int) -> int:
    """Return a round axis maximum ≥ value: 1, 2, 5 × 10^k."""
    if value <= 1:
        return 1
    base = 10 ** math.floor(math.log10(value))
    return next(m * base for m in (1, 2, 5, 10) if m * base >= value)


def bucket_label(b: Bucket) -> str:
    """Return a bar's hover text date: '13 Apr 2019' or '8–14 Apr 2019'."""
    end = b.start + timedelta(days=b.days - 1)
    if b.days == 1:
        return f"{b.start.day} {b.start:%b %Y}"
    return f"{b.start.day} {b.start:%b} – {end.day} {end:%b %Y}"


def _panel(buckets: Sequence[Bucket], values: Sequence[int], top: float, height: float, left: float,
           bar_w: float, colour: str, title: str, unit: str) -> list[str]:
    vmax = nice_max(max(values, default=0))
    base = top + height
    out = [f'<text x="{left}" y="{top - 6:.1f}" font-size="10" font-weight="bold" fill="#222">'
           f'{escape(title)}</text>',
           f'<line x1="{left}" y1="{base:.1f}" x2="{left + bar_w * len(values):.1f}" y2="{base:.1f}" '
           'stroke="#888" stroke-width="0.8"/>']
    for tick in (vmax // 2, vmax) if vmax > 1 else (vmax,):
        y = base - height * tick / vmax
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + bar_w * len(values):.1f}" y2="{y:.1f}" '
                   'stroke="#ddd" stroke-width="0.5"/>'
                   f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="8" text-anchor="end" fill="#555">{tick}</text>')
    show_values = bar_w >= 14
    for i, (b, v) in enumerate(zip(buckets, values, strict=True)):
        if not v:
            continue
        h = max(height * v / vmax, 0.8)
        x = left + i * bar_w + bar_w * 0.15
        out.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w * 0.7:.1f}" height="{h:.1f}" '
                   f'fill="{colour}"><title>{escape(bucket_label(b))}: {v} {unit}</title></rect>')
        if show_values:
            out.append(f'<text x="{x + bar_w * 0.35:.1f}" y="{base - h - 2:.1f}" font-size="7.5" '
                       f'text-anchor="middle" fill="#333">{v}</text>')
    return out


def _axis(buckets: Sequence[Bucket], y: float, left: float, bar_w: float) -> list[str]:
    """Return x-axis labels: day numbers, with the month at the first bar and where it changes."""
    step = max(1, math.ceil(22 / bar_w))  # keep labels at least 22 px apart
    out, last_month = [], None
    for i, b in enumerate(buckets):
        month = (b.start.year, b.start.month)
        new_month = month != last_month
        last_month = month
        if i % step and not new_month:
            continue
        x = left + (i + 0.5) * bar_w
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="8" text-anchor="middle" fill="#444">{b.start.day}'
                   "</text>")
        if new_month:
            out.append(f'<text x="{x:.1f}" y="{y + 10:.1f}" font-size="8" text-anchor="middle" fill="#444">'
                       f'{b.start:%b %Y}</text>')
    return out


def series_chart(buckets: Sequence[Bucket], width: int = 640, panel_height: int = 90) -> str:
    """Return an SVG with two bar panels, events and best-estimate deaths, per bucket of days."""
    if not buckets:
        return ""
    left, right = 34, 8
    bar_w = (width - left - right) / len(buckets)
    per = "day" if buckets[0].days == 1 else f"{buckets[0].days} days"
    top1 = 18
    top2 = top1 + panel_height + 30
    height = top2 + panel_height + 30
    events = [b.events for b in buckets]
    deaths = [b.fatalities for b in buckets]
    title = f"Events and fatalities per {per}"
    body = [*_panel(buckets, events, top1, panel_height, left, bar_w, EVENTS_COLOUR, f"Events per {per}",
                    "event(s)"),
            *_axis(buckets, top1 + panel_height + 11, left, bar_w),
            *_panel(buckets, deaths, top2, panel_height, left, bar_w, DEATHS_COLOUR,
                    f"Fatalities per {per} (best estimate)", "death(s)"),
            *_axis(buckets, top2 + panel_height + 11, left, bar_w)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="series-chart" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="{_FONT}" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>' + "".join(body) + "</svg>")
