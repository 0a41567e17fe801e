"""A small IoU tracker: follows objects across analysed frames so that one object is one event.

Pure and deterministic; time comes in as an argument. At 1-2 analysed frames per second a walking
person moves far between frames, so a track is matched where its recent speed would have taken it,
and also to a box whose centre is close relative to its size when the boxes barely overlap. Tracks
match within an alert type, not a class: detectors flicker between car and truck on one object.
On vtest.avi (pedestrians, 2 analysed frames/s) this keeps most walkers on one track for their whole
walk; people crossing each other or hidden for longer than the max age still split into new tracks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cctv_worker.decisions.filters import Candidate

Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    ix1, iy1, ix2, iy2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, ix2 - ix1) * max(0.0, iy2 - iy1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def closeness(a: Box, b: Box) -> float:
    """1 at the same centre, 0 at a centre distance of the larger box's longer side or more."""
    ca, cb = ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2), ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    dist = ((ca[0] - cb[0]) ** 2 + (ca[1] - cb[1]) ** 2) ** 0.5
    size = max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1], 1e-6)
    return max(0.0, 1.0 - dist / size)


def _centre(box: Box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def predict(track: Track, now: float) -> Box:
    """Where the track's box should be now if it kept its speed (a walking person between analysed frames)."""
    dt = now - track.last_seen
    dx, dy = track.velocity[0] * dt, track.velocity[1] * dt
    x1, y1, x2, y2 = track.box
    return (x1 + dx, y1 + dy, x2 + dx, y2 + dy)


def _velocity(track: Track, new_box: Box, now: float) -> tuple[float, float]:
    dt = now - track.last_seen
    if dt <= 0:
        return track.velocity
    (ox, oy), (nx, ny) = _centre(track.box), _centre(new_box)
    measured = ((nx - ox) / dt, (ny - oy) / dt)
    if track.hits == 1:
        return measured
    # Smoothed: one jittery box should not send the prediction off.
    return (0.5 * track.velocity[0] + 0.5 * measured[0], 0.5 * track.velocity[1] + 0.5 * measured[1])


@dataclass(slots=True)
class Track:
    id: int
    alert_type: str
    label: str
    box: Box
    first_seen: float
    last_seen: float
    hits: int = 1
    velocity: tuple[float, float] = (0.0, 0.0)  # box centre motion, frame fractions per second
    alerted: bool = False  # its event has been decided (alerted, or absorbed by a cooldown)
    confirmed: bool = False  # real enough for an event (events.py)
    scores: list[float] = field(default_factory=list)  # the confidence on each frame it was seen
    candidate: Candidate | None = field(default=None, repr=False)


class Tracker:
    def __init__(
        self, *, max_age: float, iou_threshold: float = 0.1, closeness_threshold: float = 0.3
    ) -> None:
        self.max_age = max_age
        self.iou_threshold = iou_threshold
        self.closeness_threshold = closeness_threshold
        self.tracks: list[Track] = []
        self._next_id = 1

    def reserve_ids(self, highest: int) -> None:
        """New tracks get ids above ``highest`` (the objects of events taken over from another worker keep
        theirs, and a new object must not merge into one of them)."""
        self._next_id = max(self._next_id, highest + 1)

    def update(self, candidates: Sequence[Candidate], now: float) -> list[Track]:
        """Matches this frame's candidates to tracks; returns the tracks seen in this frame."""
        self.tracks = [t for t in self.tracks if now - t.last_seen <= self.max_age]
        pairs: list[tuple[float, int, int]] = []
        for ci, cand in enumerate(candidates):
            for ti, track in enumerate(self.tracks):
                # Same alert type, not same class: detectors flicker between car and truck (or, for
                # the fallback model, Normal and Fall) on one object from frame to frame.
                if track.alert_type != cand.alert_type:
                    continue
                expected = predict(track, now)
                overlap = iou(expected, cand.detection.box)
                if overlap >= self.iou_threshold:
                    pairs.append((1.0 + overlap, ci, ti))  # any real overlap beats mere closeness
                else:
                    near = closeness(expected, cand.detection.box)
                    if near >= self.closeness_threshold:
                        pairs.append((near, ci, ti))
        pairs.sort(reverse=True)
        used_c: set[int] = set()
        used_t: set[int] = set()
        seen: list[Track] = []
        for _, ci, ti in pairs:
            if ci in used_c or ti in used_t:
                continue
            used_c.add(ci)
            used_t.add(ti)
            track = self.tracks[ti]
            new_box = candidates[ci].detection.box
            track.velocity = _velocity(track, new_box, now)
            track.box = new_box
            track.label = candidates[ci].detection.label
            track.last_seen = now
            track.hits += 1
            track.candidate = candidates[ci]
            track.scores.append(candidates[ci].detection.confidence)
            del track.scores[:-20]  # bounded: a parked car is tracked for days
            seen.append(track)
        for ci, cand in enumerate(candidates):
            if ci in used_c:
                continue
            track = Track(
                id=self._next_id,
                alert_type=cand.alert_type,
                label=cand.detection.label,
                box=cand.detection.box,
                first_seen=now,
                last_seen=now,
                candidate=cand,
                scores=[cand.detection.confidence],
            )
            self._next_id += 1
            self.tracks.append(track)
            seen.append(track)
        return seen
