"""The bodies the worker sends (docs/contracts.md): the send-alert body that opens an event, and the
event update that changes or closes it. Pure."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from cctv_worker.decisions.events import EventObject, EventState
from cctv_worker.detect.base import Detection


def new_idempotency_key() -> str:
    # Random, not derived from content: two genuinely separate events must never collapse into one.
    return uuid.uuid4().hex


def iso(when: float | None) -> str | None:
    if when is None:
        return None
    return datetime.fromtimestamp(when, UTC).isoformat().replace("+00:00", "Z")


def _objects(objects: Sequence[EventObject]) -> list[dict[str, object]]:
    return [
        {
            "track_id": o.track_id,
            "label": o.label,
            "alert_type": o.alert_type,
            "first_seen": iso(o.first_seen),
            "last_seen": iso(o.last_seen),
            "confidence": round(o.confidence, 4),
            "zones": list(o.zones),
        }
        for o in objects
    ]


def build_payload(
    event: EventState, *, camera_id: int, jpeg: bytes, detections: Sequence[Detection]
) -> dict[str, object]:
    """POST /api/send-alert/: the seed's fields plus the event's; the event key is the idempotency key."""
    return {
        "camera_id": camera_id,
        "alert_type": event.alert_type,
        "confidence": round(event.confidence, 4),
        "image_base64": base64.b64encode(jpeg).decode("ascii"),
        "description": event.description,
        "idempotency_key": event.key,
        "timestamp": iso(event.started_at),
        "detections": [d.as_payload() for d in detections],
        "status": "open" if event.open else "closed",
        "started_at": iso(event.started_at),
        "ended_at": iso(event.ended_at),
        "peak_count": event.peak_count,
        "objects": _objects(event.objects),
        "revision": event.revision,
    }


def build_update(
    event: EventState, *, camera_id: int, jpeg: bytes | None, detections: Sequence[Detection] = ()
) -> dict[str, object]:
    """PUT /api/cameras/<id>/events/<key>/: the event's whole state at one revision (idempotent)."""
    body: dict[str, object] = {
        "camera_id": camera_id,
        "key": event.key,
        "status": "open" if event.open else "closed",
        "ended_at": iso(event.ended_at),
        "confidence": round(event.confidence, 4),
        "description": event.description,
        "peak_count": event.peak_count,
        "objects": _objects(event.objects),
        "revision": event.revision,
    }
    if jpeg:  # a clearer view than the snapshot the backend has
        body["image_base64"] = base64.b64encode(jpeg).decode("ascii")
        body["detections"] = [d.as_payload() for d in detections]
    return body


def build_clip(
    *, camera_id: int, event_key: str, segment: int, path: str, started_at: float
) -> dict[str, object]:
    """A spooled clip: the file to PUT to /api/cameras/<id>/events/<key>/clips/<segment>/."""
    return {
        "camera_id": camera_id,
        "key": event_key,
        "segment": segment,
        "path": path,
        "started_at": iso(started_at),
    }


def build_clip_reference(
    *,
    camera_id: int,
    event_key: str,
    segment: int,
    started_at: float,
    ended_at: float,
    duration: float,
    size: int,
    first: tuple[int, float] | None = None,
    last: tuple[int, float] | None = None,
) -> dict[str, object]:
    """A spooled clip that the recording segments hold: its span (first and last packet) instead of a
    file, PUT as JSON to the same URL as a clip's bytes (docs/contracts.md). ``first`` / ``last``: the
    segment (start, ms) and the seconds into it of those packets, where the worker knows them."""
    span: dict[str, object] = {"start": iso(started_at), "end": iso(ended_at)}
    if first is not None and last is not None:
        span["first"] = {"segment": first[0], "offset": round(first[1], 6)}
        span["last"] = {"segment": last[0], "offset": round(last[1], 6)}
    return {
        "camera_id": camera_id,
        "key": event_key,
        "segment": segment,
        "recordings": span,
        "duration": round(duration, 3),
        "size": size,
    }
