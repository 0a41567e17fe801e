"""The send-alert body (docs/contracts.md, ``POST /api/send-alert/``), built from a due alert. Pure."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

from cctv_worker.decisions.events import AlertDue


def new_idempotency_key() -> str:
    # Random, not derived from content: two genuinely separate events must never collapse into one.
    return uuid.uuid4().hex


def build_payload(
    alert: AlertDue, *, camera_id: int, jpeg: bytes, happened_at: float, key: str
) -> dict[str, object]:
    return {
        "camera_id": camera_id,
        "alert_type": alert.alert_type,
        "confidence": round(alert.confidence, 4),
        "image_base64": base64.b64encode(jpeg).decode("ascii"),
        "description": alert.description,
        "idempotency_key": key,
        "timestamp": datetime.fromtimestamp(happened_at, UTC).isoformat().replace("+00:00", "Z"),
        "detections": [d.as_payload() for d in alert.detections],
    }
