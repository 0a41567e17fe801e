"""The live detections' bound is the same on both sides: the backend passes on at most as many objects
as the worker sends (camera-worker's ``live_detections.MAX_OBJECTS``, backend's ``live``), and the
worker's biggest body fits the backend's size limit."""

from __future__ import annotations

import json

from cctv_worker.decisions.filters import Candidate
from cctv_worker.decisions.tracking import Track
from cctv_worker.detect.base import Detection
from cctv_worker.live_detections import MAX_OBJECTS, detections_body
from surveillance.cameras import live


def test_both_sides_bound_the_objects_alike():
    assert live.MAX_DETECTION_OBJECTS == MAX_OBJECTS


def test_the_workers_biggest_body_fits_the_backends_limit():
    box = (0.123456, 0.123456, 0.987654, 0.987654)
    tracks = [
        Track(id=10**9 + i, alert_type="suspicious", label="x", box=box, first_seen=0.0, last_seen=0.0,
              candidate=Candidate(Detection("x", 0.123456, box), "suspicious", None, 0.0))
        for i in range(MAX_OBJECTS * 2)
    ]  # fmt: skip
    body = json.dumps(detections_body(tracks, 1.0e10)).encode()
    assert len(body) < live.MAX_DETECTIONS_BYTES
