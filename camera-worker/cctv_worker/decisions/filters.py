"""Which detections count, and as what alert type: class map, confidence, box size, zones, and the
object filters of the alert type (object_filters.py).

Pure: ``classify`` turns a detector's raw output into the candidates the event logic sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cctv_worker.config import Zone
from cctv_worker.decisions.alert_types import INTRUDER_TYPES
from cctv_worker.decisions.object_filters import ObjectFilter, box_passes
from cctv_worker.decisions.zones import zone_of
from cctv_worker.detect.base import Detection


@dataclass(frozen=True, slots=True)
class Rules:
    class_map: Mapping[str, str]  # model class -> alert type; classes not in it are ignored
    confidence: float = 0.5
    class_confidence: Mapping[str, float] = field(default_factory=dict)
    min_box_area: float = 0.0  # fraction of the frame
    zones: Sequence[Zone] = ()
    enabled_types: frozenset[str] | None = None  # None: every type; empty: none
    object_filters: Mapping[str, ObjectFilter] = field(default_factory=dict)  # by alert type

    @property
    def confidence_floor(self) -> float:
        """The lowest threshold of any class: what the detector itself may cut at."""
        return min([self.confidence, *self.class_confidence.values()])

    @property
    def only_inside_zones(self) -> bool:
        """Objects outside every zone are ignored when one zone is exclusive (zones that are all
        informational mute nothing)."""
        return any(zone.exclusive for zone in self.zones)

    def enabled(self, alert_type: str) -> bool:
        return self.enabled_types is None or alert_type in self.enabled_types


@dataclass(frozen=True, slots=True)
class Candidate:
    detection: Detection
    alert_type: str
    zone: str | None = None
    min_score: float = 0.0  # what its track's score must reach before an event opens


def classify(
    detections: Sequence[Detection], rules: Rules, *, frame_aspect: float = 1.0
) -> list[Candidate]:
    """``frame_aspect`` (width / height) turns normalised boxes into pixel shapes for the ratio filter."""
    result: list[Candidate] = []
    for det in detections:
        alert_type = rules.class_map.get(det.label)
        if alert_type is None:
            continue
        if det.confidence < rules.class_confidence.get(det.label, rules.confidence):
            continue
        if det.area < rules.min_box_area:
            continue
        zone_name = None
        zone = zone_of(det.bottom_centre, rules.zones) if rules.zones else None
        if zone is None and rules.only_inside_zones:
            continue  # an exclusive zone is set: only what happens inside the zones matters
        if zone is not None:
            zone_name = zone.name
            # With "intrusion" switched off the object keeps its own type rather than vanishing.
            if zone.intrusion and alert_type in INTRUDER_TYPES and rules.enabled("intrusion"):
                alert_type = "intrusion"
        if not rules.enabled(alert_type):
            continue
        # The object's own type's filter applies, and an intrusion's too when it became one.
        filters = [f for t in {rules.class_map[det.label], alert_type}
                   if (f := rules.object_filters.get(t)) is not None]  # fmt: skip
        if not all(box_passes(det, f, frame_aspect) for f in filters):
            continue
        min_score = max((f.min_score for f in filters), default=0.0)
        result.append(Candidate(det, alert_type, zone_name, min_score))
    return result
