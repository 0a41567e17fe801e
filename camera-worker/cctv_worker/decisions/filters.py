"""Which detections count, and as what alert type: class map, confidence, box size, zones.

Pure: ``classify`` turns a detector's raw output into the candidates the event logic sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cctv_worker.config import Zone
from cctv_worker.decisions.alert_types import INTRUDER_TYPES
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

    @property
    def confidence_floor(self) -> float:
        """The lowest threshold of any class: what the detector itself may cut at."""
        return min([self.confidence, *self.class_confidence.values()])

    def enabled(self, alert_type: str) -> bool:
        return self.enabled_types is None or alert_type in self.enabled_types


@dataclass(frozen=True, slots=True)
class Candidate:
    detection: Detection
    alert_type: str
    zone: str | None = None


def classify(detections: Sequence[Detection], rules: Rules) -> list[Candidate]:
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
        if rules.zones:
            zone = zone_of(det.bottom_centre, rules.zones)
            if zone is None:
                continue  # zones are set: only what happens inside them matters
            zone_name = zone.name
            # With "intrusion" switched off the object keeps its own type rather than vanishing.
            if zone.intrusion and alert_type in INTRUDER_TYPES and rules.enabled("intrusion"):
                alert_type = "intrusion"
        if not rules.enabled(alert_type):
            continue
        result.append(Candidate(det, alert_type, zone_name))
    return result
