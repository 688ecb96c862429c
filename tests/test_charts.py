"""Build-time SVG charts: valid SVG, bars proportional to values, ranges, no inline style."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from sitrep.charts import (
    Series,
    bar_chart,
    daily_chart,
    monthly_chart,
    nice_max,
    nice_ticks,
    range_bar,
    text_width,
)
from sitrep.index import MonthPoint

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]


def test_nice_max() -> None:
    assert [nice_max(v) for v in (0, 1, 3, 13, 20, 21, 480)] == [1, 1, 5, 20, 20, 50, 500]


@pytest.mark.parametrize("value", [0, 1, 2, 3, 4, 5, 7, 9, 13, 27, 48, 99, 100, 101, 480, 1234, 98765])
def test_nice_ticks_are_even_round_and_tight(value: int) -> None:
    ticks = nice_ticks(value)
    step = ticks[1]
    assert ticks[0] == 0 and ticks == [i * step for i in range(len(ticks))]  # evenly spaced from 0
    mantissa = step / 10 ** (len(str(step)) - 1)
    assert mantissa in (1, 2, 5)  # 1, 2 or 5 × 10^k
    assert 2 <= len(ticks) <= 5
    assert ticks[-1] >= value and (ticks[-1] - step < value or value == 0)  # no empty interval on top


def test_nice_ticks_known_axes() -> None:
    assert nice_ticks(5) == [0, 2, 4, 6]  # never 0, 2, 5
    assert nice_ticks(4) == [0, 1, 2, 3, 4]
    assert nice_ticks(13) == [0, 5, 10, 15]
    assert nice_ticks(27) == [0, 10, 20, 30]


def tick_labels(root: ET.Element) -> list[list[int]]:
    """Return each panel's y-axis labels (right-aligned texts), bottom to top, panel by panel."""
    panels: list[list[int]] = []
    last_y = None
    for t in root.iter(SVG + "text"):
        if t.get("text-anchor") != "end":
            continue
        y = float(t.get("y"))
        if last_y is None or y > last_y:
            panels.append([])
        panels[-1].append(int(t.text.replace("\u202f", "")))
        last_y = y
    return panels


def test_chart_axes_use_even_ticks_and_bars_scale_to_the_top_tick() -> None:
    points = [MonthPoint(2019, 3, 1, 0, 0), MonthPoint(2019, 4, 5, 13, 13)]
    root = parse(monthly_chart(points, "X"))
    assert tick_labels(root) == [[0, 2, 4, 6], [0, 5, 10, 15]]
    heights = {r.findtext(SVG + "title"): float(r.get("height")) for r in bars(root)}
    assert heights["April 2019: 5 events"] == pytest.approx(78 * 5 / 6, abs=0.1)
    assert heights["April 2019: 13 deaths"] == pytest.approx(78 * 13 / 15, abs=0.1)


def test_panel_titles_fit_however_few_bars() -> None:
    points = [MonthPoint(2019, 4, 2, 11, 13)]
    root = parse(monthly_chart(points, "Aleppo"))
    titles = [t.text for t in root.iter(SVG + "text") if t.get("font-weight") == "600"]
    assert titles == ["Events per month", "Fatalities per month (range where sources differ)"]
    assert float(root.get("width")) >= 44 + text_width(titles[1], 12, bold=True)
    plain = parse(monthly_chart([MonthPoint(2019, 4, 2, 13, 13)], "Aleppo"))
    assert "Fatalities per month" in [t.text for t in plain.iter(SVG + "text")]  # no range: no range note


def test_monthly_chart_bars_match_values() -> None:
    points = [MonthPoint(2019, 3, 2, 5, 5), MonthPoint(2019, 4, 4, 10, 20), MonthPoint(2019, 5, 0, 0, 0)]
    root = parse(monthly_chart(points, "Aleppo"))
    assert root.get("role") == "img"
    assert "Aleppo" in root.findtext(SVG + "title")
    tips = [r.findtext(SVG + "title") for r in bars(root)]
    assert "March 2019: 2 events" in tips and "April 2019: 4 events" in tips
    assert "April 2019: 10–20 deaths" in tips  # a range where sources differ
    heights = {r.findtext(SVG + "title"): float(r.get("height")) for r in bars(root)}
    assert heights["April 2019: 4 events"] == 2 * heights["March 2019: 2 events"]
    assert not any("May" in t for t in tips)  # zero draws no bar


def test_range_draws_low_solid_and_high_outlined() -> None:
    root = parse(monthly_chart([MonthPoint(2019, 4, 1, 10, 20)], "X"))
    deaths = [r for r in bars(root) if "deaths" in r.findtext(SVG + "title")]
    assert len(deaths) == 2
    outlined, solid = sorted(deaths, key=lambda r: r.get("stroke") is None)
    assert float(outlined.get("height")) == 2 * float(solid.get("height"))


def test_no_inline_style_anywhere() -> None:
    svgs = [monthly_chart([MonthPoint(2019, 1, 3, 1, 2)], "<X & Y>"),
            daily_chart([(date(2019, 4, d), d % 3, 0, d) for d in range(1, 31)], "April"),
            range_bar(9, 11, 13, [("SOHR", 13), ("A very long source name", 9)])]
    for svg in svgs:
        assert "style=" not in svg
        parse(svg)  # well-formed, escaped
    assert "&lt;X &amp; Y&gt;" in svgs[0]


def test_many_months_label_years_only() -> None:
    points = [MonthPoint(2010 + i // 12, i % 12 + 1, 1, 0, 0) for i in range(120)]
    root = parse(monthly_chart(points, "long"))
    labels = [t.text for t in root.iter(SVG + "text") if t.text and t.text.isdigit() and len(t.text) == 4]
    assert labels[:3] == ["2010", "2011", "2012"] and len(labels) == 10
    assert float(root.get("width")) <= 640


def test_range_bar_marks_each_source() -> None:
    root = parse(range_bar(11, 13, 13, [("SOHR", 13), ("Agencies", 11)]))
    assert root.get("aria-hidden") == "true"
    texts = [t.text for t in root.iter(SVG + "text")]
    assert {"SOHR", "Agencies", "13", "11", "Range"} <= set(texts)
    assert len(list(root.iter(SVG + "circle"))) == 2


def test_generic_bar_chart_width_floor() -> None:
    root = parse(bar_chart(["a"], ["a"], [Series("S", [1], "#000")], "t"))
    assert float(root.get("width")) >= 380


def test_big_tick_labels_widen_the_left_margin() -> None:
    points = [MonthPoint(2019, m, 3000, 150_000, 160_000) for m in range(1, 13)]
    root = parse(monthly_chart(points, "big"))
    ticks = [t for t in root.iter(SVG + "text") if t.get("text-anchor") == "end"]
    assert "200\u202f000" in [t.text for t in ticks]
    for t in ticks:  # right-aligned at x: the label starts at x minus its width, inside the chart
        assert float(t.get("x")) - text_width(t.text, 11) >= 0, t.text
    first_bar = min(float(r.get("x")) for r in bars(root))
    assert first_bar > max(float(t.get("x")) for t in ticks)
