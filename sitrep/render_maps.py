"""Maps: static SVG maps for event and region pages, and the data files of the interactive /map/.

There is no tile server (the site works offline), so the shapes from content/geo are the map. Each
region's base layer (its outline, its neighbours' outlines, the projection) is drawn once per build
and reused by every page framed on that region: a build with 100k events draws each shape a few
times, not 100k times. Only presentation attributes are used (the CSP forbids style="").

The interactive map's events are split by year (`map_files`): a small index, then one compact file
per year, so the browser fetches only the years in the date range shown and no file grows with the
whole corpus.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from sitrep.index import Indexes
from sitrep.model import Corpus, Event, Region, Shape
from sitrep.svgmap import EVENT_TYPE_COLOURS, BBox, Projection, dot_radius, fit_projection, map_bbox
from sitrep.vocab import EVENT_TYPES

WIDTH, MAX_HEIGHT = 480, 380
_FALLBACK = "#555555"


@dataclass(frozen=True, slots=True)
class _Base:
    bbox: BBox
    proj: Projection
    svg: str
    region: str | None = None
    """Set on cached bases: the region whose base-layer file the page can point at."""


def _ring(ring: Sequence[tuple[float, float]], proj: Projection) -> str:
    pts, last = [], None
    for lon, lat in ring:
        x, y = proj(lon, lat)
        if last is None or abs(x - last[0]) >= 0.7 or abs(y - last[1]) >= 0.7:
            pts.append(f"{x:.1f},{y:.1f}")
            last = (x, y)
    return "M" + "L".join(pts) + "Z" if len(pts) >= 3 else ""


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _inside(bbox: BBox, lon: float, lat: float) -> bool:
    return bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]


class MapMaker:
    """Draw locator and region maps over `shapes`, caching each region's base layer.

    A region's base layer is written once as its own file (`base_url(region id)`) and pages draw
    their dots over it with an SVG <image>: 100k event pages then do not each repeat the outlines."""

    def __init__(self, shapes: Mapping[str, Shape], regions: Mapping[str, Region],
                 base_url: Callable[[str], str] | None = None) -> None:
        self.shapes = shapes
        self.regions = regions
        self.base_url = base_url
        self._bases: dict[str, _Base] = {}

    def base_files(self) -> Iterator[tuple[str, bytes]]:
        """Yield (region id, standalone SVG) for every cached base layer pages referred to."""
        for sid, base in sorted(self._bases.items()):
            h = f"{base.proj.height:.0f}"
            yield sid, (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" '
                        f'height="{h}">{base.svg}</svg>').encode()

    def _draw_base(self, focus: str, bbox: BBox) -> _Base:
        proj = fit_projection(bbox, WIDTH, MAX_HEIGHT)
        parts = [f'<rect width="{WIDTH}" height="{proj.height:.0f}" fill="#eef1f4"/>']
        for sid in sorted(self.shapes):
            shape = self.shapes[sid]
            if not _overlaps(shape.bbox, bbox):
                continue
            d = "".join(_ring(r, proj) for poly in shape.polygons for r in poly)
            fill, stroke = ("#fbfaf6", "#4d4d4d") if sid == focus else ("#e2e2dc", "#9a9a94")
            parts.append(f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="'
                         f'{1.4 if sid == focus else 0.7}" fill-rule="evenodd"/>')
        return _Base(bbox, proj, "".join(parts))

    def prepare(self, focus: str) -> _Base | None:
        """Draw and cache the base layer of region `focus` (once), so base_files() yields it."""
        cached = self._bases.get(focus)
        if cached is None and focus in self.shapes:
            bbox = map_bbox(self.shapes, [focus], [])
            if bbox is not None:
                drawn = self._draw_base(focus, bbox)
                cached = self._bases[focus] = _Base(drawn.bbox, drawn.proj, drawn.svg, focus)
        return cached

    def _base(self, focus: str, points: Sequence[tuple[float, float]]) -> _Base | None:
        cached = self.prepare(focus)
        if cached is not None and all(_inside(cached.bbox, lon, lat) for lon, lat in points):
            return cached
        # A point outside the region's frame (allowed, with a validation warning): frame it too.
        bbox = map_bbox(self.shapes, [focus], list(points))
        return self._draw_base(focus, bbox) if bbox is not None else None

    def _svg(self, base: _Base, dots: str, label: str, cls: str) -> Markup:
        h = f"{base.proj.height:.0f}"
        if base.region is not None and self.base_url is not None:
            layer = (f'<image href="{escape(self.base_url(base.region))}" x="0" y="0" width="{WIDTH}" '
                     f'height="{h}"/>')
        else:
            layer = base.svg
        return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" viewBox="0 0 {WIDTH} {h}" '
                      f'width="{WIDTH}" height="{h}" role="img" aria-label="{escape(label)}">'
                      f"<title>{escape(label)}</title>{layer}{dots}</svg>")

    def event_map(self, event: Event) -> Markup:
        """Return a locator map of one event in its region (the region alone if it has no point)."""
        loc = event.location
        point = [(loc.lon, loc.lat)] if loc.lon is not None and loc.lat is not None else []
        base = self._base(event.region, point)
        if base is None:
            return Markup("")
        name = self.regions[event.region].name if event.region in self.regions else event.region
        dots = ""
        if point:
            x, y = base.proj(*point[0])
            colour = EVENT_TYPE_COLOURS.get(event.event_type, _FALLBACK)
            dots = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="none" stroke="#1a1a1a" '
                    'stroke-width="2"/>'
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" stroke="#ffffff" '
                    'stroke-width="1.5"/>')
        where = f"at {loc.place}, " if loc.place else ""
        label = f"Map of {name} marking the event {where}location precision {loc.geo_precision} of 3"
        if not point:
            label = f"Map of {name}; no exact location is given"
        return self._svg(base, dots, label, "locator")

    def region_map(self, region_id: str, events: Sequence[Event], total: int) -> Markup:
        """Return a map of `region_id` with one dot per event (callers cap `events`; total is all)."""
        located = [e for e in events if e.location.lon is not None and e.location.lat is not None]
        base = self._base(region_id, [(e.location.lon, e.location.lat) for e in located])  # type: ignore[misc]
        if base is None:
            return Markup("")
        dots = []
        for e in sorted(located, key=lambda e: (-dot_radius(e), e.id)):
            x, y = base.proj(e.location.lon, e.location.lat)  # type: ignore[arg-type]
            dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{max(dot_radius(e), 4.0)}" fill="'
                        f'{EVENT_TYPE_COLOURS.get(e.event_type, _FALLBACK)}" fill-opacity="0.8" '
                        f'stroke="#ffffff" stroke-width="0.8"><title>{escape(e.title)}</title></circle>')
        name = self.regions[region_id].name if region_id in self.regions else region_id
        shown = f"{len(located)} of {total}" if len(located) < total else f"all {total}"
        return self._svg(base, "".join(dots), f"Map of {name} showing {shown} events by type", "region-map")


# ---- data of the interactive map (/map/) ---------------------------------------------------------

MAP_FIELDS = {"i": "id", "t": "title", "a": "latitude", "o": "longitude", "k": "type (index into types)",
              "d": "start date", "l": "fatalities, low (absent: no toll reported)",
              "h": "fatalities, high (absent: same as low)", "r": "region (index into regions)",
              "s": "status (absent: published)"}
"""Keys of one event record in /map/events-<yyyy>.json; index.json repeats them for readers of the data."""


def map_record(event: Event, types: Mapping[str, int], regions: Mapping[str, int]) -> dict[str, object]:
    """Return one located event as a compact map record: short keys, defaults left out."""
    loc, f = event.location, event.fatalities
    rec: dict[str, object] = {"i": event.id, "t": event.title, "a": round(loc.lat, 4),  # type: ignore[arg-type]
                              "o": round(loc.lon, 4), "k": types[event.event_type],  # type: ignore[arg-type]
                              "d": event.date.start.isoformat(), "r": regions.get(event.region, -1)}
    if f is not None:
        rec["l"] = f.low
        if f.high != f.low:
            rec["h"] = f.high
    if event.status != "published":
        rec["s"] = event.status
    return rec


def _json(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _located(events: Sequence[Event]) -> list[Event]:
    return [e for e in events if e.location.lat is not None and e.location.lon is not None]


def _bounds(events: Sequence[Event]) -> list[list[float]] | None:
    """Return [[south, west], [north, east]] around `events`, as Leaflet takes bounds."""
    if not events:
        return None
    lats = [e.location.lat for e in events]
    lons = [e.location.lon for e in events]
    return [[round(min(lats), 4), round(min(lons), 4)], [round(max(lats), 4), round(max(lons), 4)]]  # type: ignore[type-var]


def map_files(corpus: Corpus, indexes: Indexes, url: Callable[..., str]) -> Iterator[tuple[str, bytes]]:
    """Yield (url, JSON bytes) for the interactive map: index.json, one file per year, regions.json.

    `url` is url_for bound to the site's config. Only listed events with coordinates are drawn."""
    types = {t: i for i, t in enumerate(EVENT_TYPES)}
    regions = sorted(corpus.regions)
    region_ix = {r: i for i, r in enumerate(regions)}
    located = _located(indexes.listed)
    by_year: dict[int, list[Event]] = {}
    for e in located:  # listed is oldest first: each year's file is in date order too
        by_year.setdefault(e.date.start.year, []).append(e)
    years = []
    for year, events in sorted(by_year.items()):
        kinds = Counter(types[e.event_type] for e in events)
        years.append({"year": year, "count": len(events), "url": url("map_year", year),
                      "first": events[0].date.start.isoformat(), "last": events[-1].date.start.isoformat(),
                      "types": {str(k): n for k, n in sorted(kinds.items())}})
        yield url("map_year", year), _json({"year": year, "events": [
            map_record(e, types, region_ix) for e in events]})
    yield url("map_index"), _json({
        "types": list(EVENT_TYPES), "regions": regions, "fields": MAP_FIELDS, "years": years,
        "located": len(located), "unlocated": len(indexes.listed) - len(located),
        "bounds": _bounds(located), "shapes": url("map_regions")})
    yield url("map_regions"), region_shapes(corpus, url)


def region_shapes(corpus: Corpus, url: Callable[..., str]) -> bytes:
    """Return the region shapes as GeoJSON, each feature with its id, name and page URL."""
    features = [{"type": "Feature", "id": sid,
                 "properties": {"id": sid, "name": corpus.regions[sid].name if sid in corpus.regions else sid,
                                "url": url("region", sid) if sid in corpus.regions else None},
                 "geometry": {"type": "MultiPolygon", "coordinates": [
                     [[list(p) for p in ring] for ring in poly] for poly in shape.polygons]}}
                for sid, shape in sorted(corpus.shapes.items())]
    return _json({"type": "FeatureCollection", "features": features})
