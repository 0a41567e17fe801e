"""Zones: an object counts where it stands (bottom-centre of its box)."""

from cctv_worker.config import Zone
from cctv_worker.decisions.zones import point_in_polygon, zone_of

SQUARE = ((0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8))


def test_points_inside_and_outside_a_polygon() -> None:
    assert point_in_polygon((0.5, 0.5), SQUARE)
    assert not point_in_polygon((0.1, 0.5), SQUARE)
    assert not point_in_polygon((0.5, 0.9), SQUARE)


def test_a_concave_polygon_excludes_its_notch() -> None:
    u_shape = ((0, 0), (1, 0), (1, 1), (0.6, 1), (0.6, 0.3), (0.4, 0.3), (0.4, 1), (0, 1))
    assert point_in_polygon((0.2, 0.8), u_shape)
    assert not point_in_polygon((0.5, 0.8), u_shape)


def test_where_zones_overlap_the_intrusion_zone_wins() -> None:
    plain = Zone(name="yard", points=SQUARE, intrusion=False)
    strict = Zone(name="door", points=((0.4, 0.4), (0.6, 0.4), (0.6, 0.6), (0.4, 0.6)), intrusion=True)
    assert zone_of((0.5, 0.5), [plain, strict]) == strict
    assert zone_of((0.3, 0.3), [plain, strict]) == plain
    assert zone_of((0.9, 0.9), [plain, strict]) is None
