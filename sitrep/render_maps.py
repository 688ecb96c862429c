"""Static SVG maps for event and region pages: region shapes as the base layer, one dot per event.

There is no tile server (the site works offline), so the shapes from content/geo are the map. Each
region's base layer (its outline, its neighbours' outlines, the projection) is drawn once per build
and reused by every page framed on that region: a build with 100k events draws each shape a few
times, not 100k times. Only presentation attributes are used (the CSP forbids style="").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from sitrep.model import Event, Region, Shape
from sitrep.svgmap import EVENT_TYPE_COLOURS, BBox, Projection, dot_radius, fit_projection, map_bbox

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

    def _base(self, focus: str, points: Sequence[tuple[float, float]]) -> _Base | None:
        cached = self._bases.get(focus)
        if cached is None and focus in self.shapes:
            bbox = map_bbox(self.shapes, [focus], [])
            if bbox is not None:
                drawn = self._draw_base(focus, bbox)
                cached = self._bases[focus] = _Base(drawn.bbox, drawn.proj, drawn.svg, focus)
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
