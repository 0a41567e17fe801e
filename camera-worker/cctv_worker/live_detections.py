"""The worker's latest detections, for the live view's overlay (``GET /live/detections`` on the live port).

After each analysed frame the worker publishes the objects it tracks on that frame: their box (normalised
0..1, as the detector gives it), the alert type they count as (what users see: never the model's class
name, which stays inside the worker), the confidence, the track id, and the frame's capture time (wall
clock). The body is bounded: at most ``MAX_OBJECTS`` objects, the most confident first. Pure: the live
server reads ``body()`` under a lock; nothing here does I/O.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable

from cctv_worker.decisions.tracking import Track

MAX_OBJECTS = 50  # more boxes than this on one frame draw nothing a viewer could read


def detections_body(tracks: Iterable[Track], captured_at: float | None) -> dict:
    """The endpoint's body for the objects of one analysed frame (``captured_at`` None: none yet)."""
    objects = [
        {
            "alert_type": track.alert_type,
            "confidence": round(track.candidate.detection.confidence, 3) if track.candidate else None,
            "track_id": track.id,
            "box": [round(min(1.0, max(0.0, v)), 4) for v in track.box],
        }
        for track in tracks
    ]
    objects.sort(key=lambda o: -(o["confidence"] or 0.0))
    return {"captured_at": captured_at, "objects": objects[:MAX_OBJECTS]}


class LatestDetections:
    """The last analysed frame's objects, published by the detector's loop, read by the live server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._body = json.dumps(detections_body((), None)).encode()

    def publish(self, tracks: Iterable[Track], captured_at: float) -> None:
        body = json.dumps(detections_body(tracks, captured_at)).encode()
        with self._lock:
            self._body = body

    def body(self) -> bytes:
        with self._lock:
            return self._body
