"""The send-alert body follows docs/contracts.md."""

import base64

from cctv_worker.decisions.events import AlertDue
from cctv_worker.delivery.payload import build_payload, new_idempotency_key

from .helpers import det


def test_the_payload_has_every_contract_field_with_normalised_boxes() -> None:
    alert = AlertDue("person", 0.91234, (det(conf=0.91234),), "Person alert: 1 person detected", (1,))
    body = build_payload(alert, camera_id=3, jpeg=b"\xff\xd8jpeg", happened_at=0.0, key="k1")
    assert body == {
        "camera_id": 3,
        "alert_type": "person",
        "confidence": 0.9123,
        "image_base64": base64.b64encode(b"\xff\xd8jpeg").decode(),
        "description": "Person alert: 1 person detected",
        "idempotency_key": "k1",
        "timestamp": "1970-01-01T00:00:00Z",
        "detections": [{"label": "person", "confidence": 0.9123, "box": [0.4, 0.4, 0.5, 0.7]}],
    }


def test_each_alert_gets_its_own_key() -> None:
    assert len({new_idempotency_key() for _ in range(1000)}) == 1000
