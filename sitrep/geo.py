"""Geography: region shapes from content/geo/*.geojson, point-in-polygon, nearest region."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

from sitrep.model import Shape

Ring = tuple[tuple[float, float], ...]
Polygon = tuple[Ring, ...]

BORDER_TOLERANCE_DEG = 0.05
"""Shapes are generalised, so border towns can fall just outside; this many degrees (~5 km) is
still counted as inside when checking an event's coordinates against its region."""


class GeoError(ValueError):
    """A GeoJSON feature that cannot be turned into a Shape; the message says why."""


def shape_from_feature(feature: Mapping[str, Any]) -> Shape:
    """Return the Shape of a GeoJSON Feature whose id (or properties.iso_3166_2) names a region."""
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise GeoError("expected a GeoJSON Feature")
    props = feature.get("properties") or {}
    fid = feature.get("id") or (props.get("iso_3166_2") if isinstance(props, Mapping) else None)
    if not isinstance(fid, str) or not fid:
        raise GeoError("feature has no 'id' (the region's ISO 3166-2 code)")
    geom = feature.get("geometry") or {}
    if not isinstance(geom, Mapping):
        raise GeoError(f"feature {fid!r} has a geometry that is not an object")
    kind, coords = geom.get("type"), geom.get("coordinates")
    if kind == "Polygon":
        polygons = (_polygon(coords),)
    elif kind == "MultiPolygon" and isinstance(coords, list):
        polygons = tuple(_polygon(p) for p in coords)
    else:
        raise GeoError(f"feature {fid!r} has geometry {kind!r}; expected Polygon or MultiPolygon")
    return Shape(fid, polygons)


def _polygon(coords: Any) -> Polygon:
    try:
        rings = tuple(tuple((float(x), float(y)) for x, y, *_ in ring) for ring in coords)
    except (TypeError, ValueError):
        raise GeoError("polygon coordinates must be lists of [lon, lat] pairs") from None
    if not rings or any(len(r) < 4 for r in rings):
        raise GeoError("each polygon ring needs at least 4 positions")
    return rings


def shapes_from_collection(data: Any) -> Iterable[Shape]:
    """Yield the Shapes of a FeatureCollection (raises GeoError on the first bad feature)."""
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise GeoError("expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise GeoError("FeatureCollection has no 'features' list")
    return [shape_from_feature(f) for f in features]


def _in_ring(x: float, y: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(shape: Shape, lon: float, lat: float) -> bool:
    """Return True when (lon, lat) lies inside the shape (holes excluded)."""
    minx, miny, maxx, maxy = shape.bbox
    if not (minx <= lon <= maxx and miny <= lat <= maxy):
        return False
    return any(_in_ring(lon, lat, poly[0]) and not any(_in_ring(lon, lat, h) for h in poly[1:])
               for poly in shape.polygons)


def _segment_distance(px: float, py: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def distance(shape: Shape, lon: float, lat: float) -> float:
    """Return the distance in degrees from (lon, lat) to the shape (0 when inside)."""
    if contains(shape, lon, lat):
        return 0.0
    return min(_segment_distance(lon, lat, ring[i], ring[i + 1])
               for poly in shape.polygons for ring in poly for i in range(len(ring) - 1))


def near(shape: Shape, lon: float, lat: float, tolerance: float = BORDER_TOLERANCE_DEG) -> bool:
    """Return True when (lon, lat) is inside the shape or within `tolerance` degrees of it."""
    minx, miny, maxx, maxy = shape.bbox
    if not (minx - tolerance <= lon <= maxx + tolerance and miny - tolerance <= lat <= maxy + tolerance):
        return False
    return distance(shape, lon, lat) <= tolerance


def region_for_point(shapes: Mapping[str, Shape], lon: float, lat: float,
                     tolerance: float = BORDER_TOLERANCE_DEG) -> str | None:
    """Return the id of the shape containing (lon, lat), else the nearest within `tolerance`."""
    for sid, shape in shapes.items():
        if contains(shape, lon, lat):
            return sid
    best = min(((distance(s, lon, lat), sid) for sid, s in shapes.items()
                if near(s, lon, lat, tolerance)), default=None)
    return best[1] if best else None


def centroid(shape: Shape) -> tuple[float, float]:
    """Return the (lon, lat) area centroid of the shape's largest polygon's outer ring."""
    def area_centroid(ring: Ring) -> tuple[float, float, float]:
        a = cx = cy = 0.0
        for (x0, y0), (x1, y1) in pairwise(ring):
            cross = x0 * y1 - x1 * y0
            a += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        return a / 2, cx, cy

    a, cx, cy = max((area_centroid(p[0]) for p in shape.polygons), key=lambda t: abs(t[0]))
    if a == 0:
        minx, miny, maxx, maxy = shape.bbox
        return ((minx + maxx) / 2, (miny + maxy) / 2)
    return (cx / (6 * a), cy / (6 * a))
