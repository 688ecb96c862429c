from __future__ import annotations

import json

import pytest

from sitrep import geo
from sitrep.model import Shape
from tests.conftest import MINIMAL

SQUARE = Shape("XA-01", ((((0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)),
                          ((0.5, 0.5), (0.5, 1.5), (1.5, 1.5), (1.5, 0.5), (0.5, 0.5))),))


def test_contains_excludes_holes_and_outside() -> None:
    assert geo.contains(SQUARE, 0.25, 0.25)
    assert not geo.contains(SQUARE, 1.0, 1.0)  # in the hole
    assert not geo.contains(SQUARE, 3.0, 1.0)


def test_near_allows_border_tolerance_only() -> None:
    assert geo.near(SQUARE, 2.03, 1.0)
    assert not geo.near(SQUARE, 2.2, 1.0)
    assert geo.distance(SQUARE, 3.0, 1.0) == pytest.approx(1.0)


def test_region_for_point_prefers_containing_shape_then_nearest() -> None:
    other = Shape("XA-02", ((((2.0, 0.0), (4.0, 0.0), (4.0, 2.0), (2.0, 2.0), (2.0, 0.0)),),))
    shapes = {"XA-01": SQUARE, "XA-02": other}
    assert geo.region_for_point(shapes, 3.0, 1.0) == "XA-02"
    assert geo.region_for_point(shapes, 0.1, 1.0) == "XA-01"
    assert geo.region_for_point(shapes, 4.02, 1.0) == "XA-02"
    assert geo.region_for_point(shapes, 9.0, 9.0) is None


def test_centroid_of_square() -> None:
    plain = Shape("XA-03", ((((0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)),),))
    assert geo.centroid(plain) == pytest.approx((1.0, 1.0))


def test_bundled_fixture_shapes_hold_their_cities() -> None:
    data = json.loads((MINIMAL / "geo" / "SY.geojson").read_text(encoding="utf-8"))
    shapes = {s.id: s for s in geo.shapes_from_collection(data)}
    assert geo.region_for_point(shapes, 37.16, 36.20) == "SY-HL"  # Aleppo city
    assert geo.region_for_point(shapes, 36.72, 34.73) == "SY-HI"  # Homs city


@pytest.mark.parametrize(("feature", "message"), [
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "id": "XA-01"}, "Point"),
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
      "id": "XA-01"}, "at least 4"),
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}}, "no 'id'"),
    ({"type": "Nope"}, "expected a GeoJSON Feature"),
])
def test_bad_features_say_why(feature: dict, message: str) -> None:
    with pytest.raises(geo.GeoError, match=message):
        geo.shape_from_feature(feature)
