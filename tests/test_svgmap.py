"""The static SVG map: projection, framing, one dot per located event, legend, escaping."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from sitrep import svgmap
from sitrep.model import DateRange, Event, Fatalities, Location, Pos, Shape

SVG = "{http://www.w3.org/2000/svg}"


def _square(sid: str, x: float, y: float, size: float = 1.0) -> Shape:
    ring = ((x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y))
    return Shape(sid, ((ring,),))


# Far from any real conflict: southern hemisphere, crossing no meridian of note.
SHAPES = {"ZZ-A": _square("ZZ-A", 140.0, -40.0), "ZZ-B": _square("ZZ-B", 141.0, -40.0),
          "ZZ-C": _square("ZZ-C", 150.0, -30.0)}


def _event(eid: str, lon: float | None, lat: float | None, etype: str = "Battles", best: int = 0,
           title: str = "An event") -> Event:
    sub = {"Battles": "Armed clash", "Protests": "Peaceful protest"}[etype]
    return Event(id=eid, title=title, status="published", date=DateRange(date(2020, 1, 1), date(2020, 1, 1)),
                 event_type=etype, sub_event_type=sub,
                 location=Location("ZZ", "ZZ-A", lat=lat, lon=lon, geo_precision=1 if lat else 3),
                 assessment="reported", summary="", pos=Pos("x.yaml"),
                 fatalities=Fatalities(best, best, best) if best else None)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_projection_scales_longitude_by_cos_of_mean_latitude() -> None:
    proj = svgmap.fit_projection((140.0, -42.0, 142.0, -38.0), width=1000, max_height=400, pad=0)
    x0, y0 = proj(140.0, -38.0)
    x1, y1 = proj(142.0, -42.0)
    # 2° of longitude at 40°S is 2·cos(40°) degrees of latitude wide; 4° tall.
    assert (x1 - x0) / (y1 - y0) == pytest.approx(2 * math.cos(math.radians(40)) / 4)
    assert y1 - y0 == pytest.approx(400)  # height is the binding constraint here
    assert (x0 + x1) / 2 == pytest.approx(500)  # a frame narrower than the width is centred


def test_north_is_up() -> None:
    proj = svgmap.fit_projection((0.0, 0.0, 1.0, 1.0), 100, 100)
    assert proj(0.5, 0.9)[1] < proj(0.5, 0.1)[1]


def test_frame_is_the_framed_regions_grown_to_hold_events() -> None:
    only_a = svgmap.map_bbox(SHAPES, ["ZZ-A"], [])
    assert only_a is not None
    assert only_a[0] < 140.0 and only_a[2] > 141.0 and only_a[2] < 141.2
    with_point = svgmap.map_bbox(SHAPES, ["ZZ-A"], [(145.0, -35.0)])
    assert with_point is not None and with_point[2] > 145.0 and with_point[3] > -35.0
    everything = svgmap.map_bbox(SHAPES, [], [])
    assert everything is not None and everything[2] > 151.0 and everything[1] < -40.0


def test_no_shapes_and_no_points_gives_no_map() -> None:
    assert svgmap.render_map({}, []) == ""


def test_one_dot_per_located_event_and_a_note_for_the_rest() -> None:
    events = [_event("e1", 140.5, -39.5, best=4), _event("e2", 141.5, -39.5, "Protests"),
              _event("e3", None, None)]
    root = _parse(svgmap.render_map(SHAPES, events, frame=["ZZ-A", "ZZ-B"], highlight=["ZZ-A"]))
    dots = [c for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    assert len(dots) == 2
    fills = {c.get("fill") for c in dots}
    assert fills == {svgmap.EVENT_TYPE_COLOURS["Battles"], svgmap.EVENT_TYPE_COLOURS["Protests"]}
    texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Battles" in texts and "Protests" in texts  # legend lists the types present
    assert "1 event(s) without coordinates are not shown." in texts
    shaded = [p for p in root.iter(f"{SVG}path") if p.get("data-region") == "ZZ-A"]
    assert shaded and shaded[0].get("class") == "shape highlight"


def test_dots_fall_inside_their_shape_on_the_drawing() -> None:
    event = _event("e1", 140.5, -39.5)
    root = _parse(svgmap.render_map(SHAPES, [event], frame=["ZZ-A"]))
    dot = next(c for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None)
    path = next(p for p in root.iter(f"{SVG}path") if p.get("data-region") == "ZZ-A")
    xs = [float(v) for v in re.findall(r"([\d.]+),", path.get("d", ""))]
    ys = [float(v) for v in re.findall(r",([\d.]+)", path.get("d", ""))]
    assert min(xs) < float(dot.get("cx", "0")) < max(xs)
    assert min(ys) < float(dot.get("cy", "0")) < max(ys)


def test_bigger_tolls_draw_bigger_dots_first() -> None:
    small, big = _event("a-small", 140.2, -39.8, best=1), _event("b-big", 140.6, -39.4, best=100)
    assert svgmap.dot_radius(big) > svgmap.dot_radius(small) > svgmap.dot_radius(_event("c", 1.0, 1.0))
    root = _parse(svgmap.render_map(SHAPES, [small, big]))
    radii = [float(c.get("r", "0")) for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    assert radii == sorted(radii, reverse=True)


def test_titles_and_labels_are_escaped() -> None:
    event = _event("e1", 140.5, -39.5, title="<script>alert(1)</script> & co")
    svg = svgmap.render_map(SHAPES, [event], labels={"ZZ-A": "A <b>region</b>"})
    assert "<script>" not in svg and "<b>" not in svg
    root = _parse(svg)  # still well-formed XML
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "<script>alert(1)</script> & co" in titles
    assert any(t.text == "A <b>region</b>" for t in root.iter(f"{SVG}text"))


def test_shapes_off_the_frame_are_not_drawn() -> None:
    root = _parse(svgmap.render_map(SHAPES, [], frame=["ZZ-A"]))
    drawn = {p.get("data-region") for p in root.iter(f"{SVG}path")}
    assert "ZZ-A" in drawn and "ZZ-C" not in drawn


def test_print_maps_leave_out_hover_titles() -> None:
    events = [_event("e1", 140.5, -39.5, title="Hover text")]
    root = _parse(svgmap.render_map(SHAPES, events, tooltips=False))
    dots = [c for c in root.iter(f"{SVG}circle") if c.get("stroke") == "#ffffff"]
    assert len(dots) == 1 and dots[0].find(f"{SVG}title") is None
