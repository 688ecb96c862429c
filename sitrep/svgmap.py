"""A static SVG map of events over region shapes: it prints, needs no script and no tile server.

The projection is equirectangular with longitudes scaled by cos(mean latitude), which keeps shapes
recognisable at the scale of a country or a few regions. Nothing here knows which country it draws:
the frame comes from the shapes in scope (or all shapes) and the events' own coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import escape

from sitrep.geo import centroid
from sitrep.model import Event, Shape
from sitrep.vocab import EVENT_TYPES

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and in greyscale print.
EVENT_TYPE_COLOURS: Mapping[str, str] = dict(zip(
    EVENT_TYPES,
    ("#D55E00", "#0072B2", "#CC79A7", "#009E73", "#E69F00", "#56B4E9"),
    strict=True,
))
_FALLBACK_COLOUR = "#555555"
_FONT = "'Noto Sans', 'Noto Naskh Arabic', 'DejaVu Sans', sans-serif"

Point = tuple[float, float]
BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Projection:
    """Equirectangular lon/lat → SVG pixels, north up, inside a `width` × `height` frame."""

    min_lon: float
    max_lat: float
    kx: float  # cos(mean latitude): a degree of longitude is that much shorter than one of latitude
    scale: float  # pixels per degree of latitude
    left: float  # x of min_lon: centres a frame narrower than the width
    pad: float
    width: float
    height: float

    def __call__(self, lon: float, lat: float) -> Point:
        return (self.left + (lon - self.min_lon) * self.kx * self.scale,
                self.pad + (self.max_lat - lat) * self.scale)


def fit_projection(bbox: BBox, width: float, max_height: float, pad: float = 8.0) -> Projection:
    """Return the projection that fits `bbox` (min lon, min lat, max lon, max lat) into the frame."""
    min_lon, min_lat, max_lon, max_lat = bbox
    kx = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * kx, 1e-6)
    span_y = max(max_lat - min_lat, 1e-6)
    scale = min((width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
    height = span_y * scale + 2 * pad
    return Projection(min_lon, max_lat, kx, scale, (width - span_x * scale) / 2, pad, width, height)


def _union(boxes: Iterable[BBox]) -> BBox | None:
    boxes = list(boxes)
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _event_points(events: Iterable[Event]) -> list[tuple[Event, float, float]]:
    return [(e, e.location.lon, e.location.lat) for e in events
            if e.location.lon is not None and e.location.lat is not None]


def map_bbox(shapes: Mapping[str, Shape], frame: Sequence[str], points: Sequence[Point]) -> BBox | None:
    """Return the frame: the `frame` regions' shapes (or all shapes) grown to hold every event point."""
    chosen = [shapes[r].bbox for r in frame if r in shapes] or [s.bbox for s in shapes.values()]
    if points:
        xs, ys = zip(*points, strict=True)
        chosen.append((min(xs), min(ys), max(xs), max(ys)))
    box = _union(chosen)
    if box is None:
        return None
    # A margin so edge dots and outlines are not clipped; a floor so one point still gives a frame.
    mx = max((box[2] - box[0]) * 0.04, 0.05)
    my = max((box[3] - box[1]) * 0.04, 0.05)
    return (box[0] - mx, box[1] - my, box[2] + mx, box[3] + my)


def _ring_path(ring: Sequence[Point], proj: Projection) -> str:
    """Return one closed subpath, dropping vertices closer than half a pixel to the last kept one."""
    parts: list[str] = []
    last: Point | None = None
    for lon, lat in ring:
        x, y = proj(lon, lat)
        if last is not None and abs(x - last[0]) < 0.5 and abs(y - last[1]) < 0.5:
            continue
        parts.append(f"{x:.1f},{y:.1f}")
        last = (x, y)
    if len(parts) < 3:
        return ""
    return "M" + "L".join(parts) + "Z"


def _shape_path(shape: Shape, proj: Projection) -> str:
    return "".join(_ring_path(ring, proj) for poly in shape.polygons for ring in poly)


def dot_radius(event: Event) -> float:
    """Return a dot radius growing with the square root of the best fatality estimate (area ∝ deaths)."""
    best = event.fatalities.best if event.fatalities else 0
    return round(min(2.6 + 0.9 * math.sqrt(best), 11.0), 1)


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _shapes_svg(shapes: Mapping[str, Shape], highlight: set[str], proj: Projection, bbox: BBox) -> list[str]:
    out = []
    for sid in sorted(shapes):
        if not _overlaps(shapes[sid].bbox, bbox):
            continue  # off the frame: drawing it would only add bytes
        d = _shape_path(shapes[sid], proj)
        if d:
            cls = "shape highlight" if sid in highlight else "shape"
            fill = "#e4e1d8" if sid in highlight else "#f3f2ee"
            out.append(f'<path class="{cls}" data-region="{escape(sid)}" d="{d}" fill="{fill}" '
                       'stroke="#8c8a84" stroke-width="0.6" fill-rule="evenodd"/>')
    return out


def _labels_svg(shapes: Mapping[str, Shape], labels: Mapping[str, str], proj: Projection) -> list[str]:
    out = []
    for sid, text in sorted(labels.items()):
        if sid not in shapes:
            continue
        x, y = proj(*centroid(shapes[sid]))
        # A white halo drawn as a separate text under the label: paint-order is not supported by
        # every renderer (WeasyPrint draws the stroke over the fill).
        common = f'x="{x:.1f}" y="{y + 13:.1f}" text-anchor="middle" font-size="9"'  # below a centred dot
        out.append(f'<text {common} fill="#ffffff" stroke="#ffffff" stroke-width="2.4" '
                   f'stroke-linejoin="round" opacity="0.85">{escape(text)}</text>'
                   f'<text {common} fill="#4a4844">{escape(text)}</text>')
    return out


def _dots_svg(points: list[tuple[Event, float, float]], proj: Projection, tooltips: bool) -> list[str]:
    out = []
    # Big dots first so small ones drawn later stay visible on top of them.
    for event, lon, lat in sorted(points, key=lambda p: (-dot_radius(p[0]), p[0].id)):
        x, y = proj(lon, lat)
        colour = EVENT_TYPE_COLOURS.get(event.event_type, _FALLBACK_COLOUR)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{dot_radius(event)}" fill="{colour}" '
                   f'fill-opacity="0.78" stroke="#ffffff" stroke-width="0.7">'
                   + (f"<title>{escape(event.title)}</title>" if tooltips else "") + "</circle>")
    return out


def _legend_svg(types: Sequence[str], top: float, width: float, note: str) -> tuple[list[str], float]:
    """Return the legend rows (one swatch per event type present) and the height they take."""
    out: list[str] = []
    x, y, row_h = 8.0, top + 14.0, 16.0
    for name in types:
        label_w = 22 + 6.2 * len(name)
        if x + label_w > width - 8 and x > 8:
            x, y = 8.0, y + row_h
        colour = EVENT_TYPE_COLOURS.get(name, _FALLBACK_COLOUR)
        out.append(f'<circle cx="{x + 5:.1f}" cy="{y - 3.5:.1f}" r="5" fill="{colour}" fill-opacity="0.78"/>'
                   f'<text x="{x + 14:.1f}" y="{y:.1f}" font-size="10" fill="#222">{escape(name)}</text>')
        x += label_w
    if note:
        y += row_h
        out.append(f'<text x="8" y="{y:.1f}" font-size="9" fill="#555">{escape(note)}</text>')
    return out, y - top + 6


def render_map(shapes: Mapping[str, Shape], events: Sequence[Event], *, frame: Sequence[str] = (),
               highlight: Iterable[str] = (), labels: Mapping[str, str] | None = None, width: int = 640,
               max_height: int = 420, title: str = "Map of events", tooltips: bool = True) -> str:
    """Return an SVG: shapes (`highlight`ed ones shaded), a dot per located event coloured by type, a
    legend. The view fits the `frame` regions' shapes, or all shapes, plus every event. `tooltips`
    adds each event's title to its dot (useful on screen; print has no hover, so PDFs leave it out)."""
    points = _event_points(events)
    bbox = map_bbox(shapes, frame, [(lon, lat) for _, lon, lat in points])
    if bbox is None:
        return ""
    proj = fit_projection(bbox, width, max_height)
    types = [t for t in EVENT_TYPES if any(e.event_type == t for e in events)]
    types += sorted({e.event_type for e in events} - set(types))
    unplaced = len(events) - len(points)
    note = f"{unplaced} event(s) without coordinates are not shown." if unplaced else ""
    legend, legend_h = _legend_svg(types, proj.height, width, note)
    height = proj.height + legend_h
    # The map area is a nested <svg>: it clips the shapes that reach beyond the frame (neighbours of
    # the framed regions) without a clipPath id, which could clash with another map on the page.
    area = [f'<svg x="0" y="0" width="{width}" height="{proj.height:.1f}" overflow="hidden">'
            f'<rect width="{width}" height="{proj.height:.1f}" fill="#fbfbf9"/>',
            *_shapes_svg(shapes, set(highlight), proj, bbox), *_dots_svg(points, proj, tooltips),
            # Labels last, on their white halo: a reader must be able to read them over busy dots.
            *_labels_svg(shapes, labels or {}, proj), "</svg>"]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="region-map briefing-map" role="img" '
            f'viewBox="0 0 {width} {height:.0f}" width="{width}" height="{height:.0f}" '
            f'font-family="{_FONT}" aria-label="{escape(title)}"><title>{escape(title)}</title>'
            + "".join(area) + "".join(legend) + "</svg>")
