"""The bodies the worker sends follow docs/contracts.md."""

import base64

from cctv_worker.decisions.events import EventObject, EventState
from cctv_worker.delivery.payload import build_clip, build_payload, build_update, new_idempotency_key

from .helpers import det

OBJECT = EventObject(7, "Normal", "person", 0.0, 2.5, 0.91234, ("Porch",))


def event(ended_at=None) -> EventState:
    return EventState(
        key="k1",
        alert_type="person",
        started_at=0.0,
        ended_at=ended_at,
        last_seen=2.5,
        peak_count=1,
        objects=(OBJECT,),
        confidence=0.91234,
        description="1 person in zone Porch",
        revision=1,
    )


def test_the_opening_payload_has_every_seed_field_and_the_event_fields() -> None:
    body = build_payload(event(), camera_id=3, jpeg=b"\xff\xd8jpeg", detections=(det(conf=0.91234),))
    assert body == {
        "camera_id": 3,
        "alert_type": "person",
        "confidence": 0.9123,
        "image_base64": base64.b64encode(b"\xff\xd8jpeg").decode(),
        "description": "1 person in zone Porch",
        "idempotency_key": "k1",
        "timestamp": "1970-01-01T00:00:00Z",
        "detections": [{"label": "person", "confidence": 0.9123, "box": [0.4, 0.4, 0.5, 0.7]}],
        "status": "open",
        "started_at": "1970-01-01T00:00:00Z",
        "ended_at": None,
        "peak_count": 1,
        "objects": [
            {
                "track_id": 7,
                "label": "Normal",
                "alert_type": "person",
                "first_seen": "1970-01-01T00:00:00Z",
                "last_seen": "1970-01-01T00:00:02.500000Z",
                "confidence": 0.9123,
                "zones": ["Porch"],
            }
        ],
        "revision": 1,
    }


def test_an_update_carries_the_whole_state_and_a_snapshot_only_when_there_is_a_clearer_one() -> None:
    closed = build_update(event(ended_at=2.5), camera_id=3, jpeg=None)
    assert closed["status"] == "closed" and closed["ended_at"] == "1970-01-01T00:00:02.500000Z"
    assert "image_base64" not in closed
    clearer = build_update(event(), camera_id=3, jpeg=b"jpg", detections=(det(),))
    assert clearer["image_base64"] == base64.b64encode(b"jpg").decode() and len(clearer["detections"]) == 1


def test_a_clip_names_its_file_and_segment() -> None:
    body = build_clip(camera_id=3, event_key="k1", segment=0, path="/data/k1-0.mp4", started_at=0.0)
    assert body == {
        "camera_id": 3,
        "key": "k1",
        "segment": 0,
        "path": "/data/k1-0.mp4",
        "started_at": "1970-01-01T00:00:00Z",
    }


def test_each_alert_gets_its_own_key() -> None:
    assert len({new_idempotency_key() for _ in range(1000)}) == 1000
