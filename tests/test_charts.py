"""Build-time SVG charts: valid SVG, bars proportional to values, ranges, no inline style."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from sitrep.charts import Series, bar_chart, daily_chart, monthly_chart, nice_max, range_bar
from sitrep.index import MonthPoint

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]


def test_nice_max() -> None:
    assert [nice_max(v) for v in (0, 1, 3, 13, 20, 21, 480)] == [1, 1, 5, 20, 20, 50, 500]


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
