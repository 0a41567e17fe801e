"""Event lifecycle: when an alert is due. Pure; the clock is an argument.

An event starts when a tracked object has been seen on ``min_frames`` analysed frames and its track's
score has reached its alert type's ``min_score`` (object_filters.py). It raises one
alert, unless an alert of the same type went out less than ``cooldown`` seconds ago, in which case the
event is absorbed (it will not alert later either). While the object stays, nothing more happens: a
parked car or a person standing still alerts once. The event ends when the object has not been seen
for the tracker's max age; a new appearance after that is a new event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cctv_worker.detect.base import Detection
from cctv_worker.filters import Candidate
from cctv_worker.object_filters import track_score
from cctv_worker.tracking import Tracker


@dataclass(frozen=True, slots=True)
class AlertDue:
    alert_type: str
    confidence: float  # the best of the detections
    detections: tuple[Detection, ...]  # every object of this type in the frame, for the snapshot
    description: str
    track_ids: tuple[int, ...]  # the tracks that started this event


def describe(alert_type: str, candidates: Sequence[Candidate]) -> str:
    counts = Counter(c.detection.label for c in candidates)
    what = ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
    zones = sorted({c.zone for c in candidates if c.zone})
    where = f" in zone {', '.join(zones)}" if zones else ""
    return f"{alert_type.capitalize()} alert: {what} detected{where}"


class EventLogic:
    def __init__(self, *, cooldown: float, max_age: float, min_frames: int = 1) -> None:
        self.cooldown = cooldown
        self.min_frames = min_frames
        self.tracker = Tracker(max_age=max_age)
        self.last_alert: dict[str, float] = {}

    def on_frame(self, candidates: Sequence[Candidate], now: float) -> list[AlertDue]:
        seen = self.tracker.update(candidates, now)
        starting: dict[str, list[int]] = {}
        for track in seen:
            if track.alerted or track.hits < self.min_frames:
                continue
            min_score = track.candidate.min_score if track.candidate else 0.0
            if min_score <= 0.0 or track_score(track.scores) >= min_score:
                track.alerted = True
                starting.setdefault(track.alert_type, []).append(track.id)
        due: list[AlertDue] = []
        for alert_type, track_ids in sorted(starting.items()):
            last = self.last_alert.get(alert_type)
            if last is not None and now - last < self.cooldown:
                continue
            self.last_alert[alert_type] = now
            in_frame = [t.candidate for t in seen if t.alert_type == alert_type and t.candidate]
            due.append(
                AlertDue(
                    alert_type=alert_type,
                    confidence=max(c.detection.confidence for c in in_frame),
                    detections=tuple(c.detection for c in in_frame),
                    description=describe(alert_type, in_frame),
                    track_ids=tuple(track_ids),
                )
            )
        return due
