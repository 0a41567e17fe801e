"""The live view's overlay at the worker: the latest detections' body (bounded, alert types, normalised
boxes) and ``GET /live/detections`` on the live port (the live key only)."""

from __future__ import annotations

import json

from cctv_worker.decisions.filters import Candidate
from cctv_worker.decisions.tracking import Track
from cctv_worker.detect.base import Detection
from cctv_worker.live_detections import MAX_OBJECTS, LatestDetections, detections_body


def track(track_id: int, confidence: float, box=(0.1, 0.2, 0.3, 0.4), label: str = "Normal") -> Track:
    detection = Detection(label, confidence, box)
    return Track(
        id=track_id,
        alert_type="person",
        label=label,
        box=box,
        first_seen=0.0,
        last_seen=0.0,
        candidate=Candidate(detection, "person", None, 0.0),
    )


def test_the_body_names_alert_types_never_the_models_class_names():
    body = detections_body([track(7, 0.81234)], 1700000000.5)
    assert body == {
        "captured_at": 1700000000.5,
        "objects": [
            {"alert_type": "person", "confidence": 0.812, "track_id": 7, "box": [0.1, 0.2, 0.3, 0.4]}
        ],
    }
    assert "Normal" not in json.dumps(body)


def test_the_body_keeps_the_most_confident_objects_up_to_the_bound_and_clamps_boxes():
    tracks = [track(i, i / 1000, box=(-0.1, 0.0, 1.2, 1.0)) for i in range(MAX_OBJECTS + 20)]
    body = detections_body(tracks, 1.0)
    assert len(body["objects"]) == MAX_OBJECTS
    assert body["objects"][0]["track_id"] == MAX_OBJECTS + 19
    assert body["objects"][0]["box"] == [0.0, 0.0, 1.0, 1.0]


def test_before_any_frame_there_is_nothing_and_a_publish_replaces_the_last():
    latest = LatestDetections()
    assert json.loads(latest.body()) == {"captured_at": None, "objects": []}
    latest.publish([track(1, 0.9)], 5.0)
    latest.publish([], 6.0)
    assert json.loads(latest.body()) == {"captured_at": 6.0, "objects": []}


def test_the_live_port_serves_the_latest_detections_to_the_live_key_only():
    import requests
    from prometheus_client import CollectorRegistry

    from cctv_worker.capture.live import LiveSink
    from cctv_worker.live_server import LiveServer
    from cctv_worker.metrics import WorkerMetrics

    latest = LatestDetections()
    latest.publish([track(3, 0.9)], 12.5)
    server = LiveServer(
        "127.0.0.1", 0, LiveSink(max_viewers=1), "right-key", WorkerMetrics(CollectorRegistry(), 7),
        detections=latest,
    )  # fmt: skip
    server.start()
    try:
        url = f"http://127.0.0.1:{server.port}/live/detections"
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401
        # The stream is down (no codec): the detections still answer, at once, whatever the stream does.
        answer = requests.get(url, headers={"Authorization": "Bearer right-key"}, timeout=5)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
        assert answer.json()["objects"][0]["track_id"] == 3 and answer.json()["captured_at"] == 12.5
    finally:
        server.stop()
