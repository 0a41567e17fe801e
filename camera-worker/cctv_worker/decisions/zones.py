"""Zones: which polygon (if any) an object stands in. Pure geometry in normalised coordinates."""

from __future__ import annotations

from collections.abc import Sequence

from cctv_worker.config import Zone


def point_in_polygon(point: tuple[float, float], polygon: Sequence[tuple[float, float]]) -> bool:
    """Even-odd ray casting; a point on an edge may land either side (irrelevant at pixel scale)."""
    x, y = point
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                inside = not inside
    return inside


def zone_of(point: tuple[float, float], zones: Sequence[Zone]) -> Zone | None:
    """The zone the point is in; where zones overlap an intrusion zone wins (the stricter rule)."""
    hits = [zone for zone in zones if point_in_polygon(point, zone.points)]
    if not hits:
        return None
    return next((zone for zone in hits if zone.intrusion), hits[0])
