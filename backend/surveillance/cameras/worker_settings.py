"""What a camera's worker reads back from the backend while it runs (``GET /api/cameras/<id>/settings/``):
the settings it applies live, fingerprints that tell it whether a restart is coming, and, for a worker
that has just started, the events its predecessor handed over (docs/contracts.md, "Live and restart
settings"). Reads only."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import Max

from surveillance.cameras.serializers import ActiveCameraOutputSerializer
from surveillance.models import (
    DETECTION_FIELDS,
    LIVE_DETECTION_FIELDS,
    STREAM_FIELDS,
    Alert,
    Camera,
    EventStatus,
)

#: Open events handed over at most (one per alert type is the worker's own bound).
MAX_HANDOVER_EVENTS = 16


def _fingerprint(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def worker_settings(*, camera: Camera, handover: bool = False) -> dict[str, Any]:
    """The answer to the camera's worker. ``version`` changes with the live settings, ``restart_version``
    with whatever restarts the worker (the stream URLs and every other detection setting): a worker that
    is being stopped while its ``restart_version`` differs from the one it started with is being
    replaced, and hands its open events over instead of closing them."""
    full = ActiveCameraOutputSerializer(camera).data
    live = {name: full[name] for name in LIVE_DETECTION_FIELDS}
    restart = {name: full[name] for name in DETECTION_FIELDS if name not in LIVE_DETECTION_FIELDS}
    # The URLs hold credentials: only a digest of them leaves, to the camera's own token.
    restart["streams"] = [getattr(camera, name) for name in STREAM_FIELDS]
    answer: dict[str, Any] = {
        "version": _fingerprint(live),
        "restart_version": _fingerprint(restart),
        "settings": live,
    }
    if handover:
        answer["open_events"] = _open_events(camera)
    return answer


def _open_events(camera: Camera) -> list[dict[str, Any]]:
    """The camera's open events as its next worker continues them: same key, the next revision, the
    next clip segment."""
    alerts = (
        Alert.objects.filter(camera=camera, status=EventStatus.OPEN)
        .exclude(idempotency_key=None)
        .annotate(last_segment=Max("clips__segment"))
        .order_by("-occurred_at")[:MAX_HANDOVER_EVENTS]
    )
    return [
        {
            "key": alert.idempotency_key,
            "alert_type": alert.alert_type,
            "started_at": (alert.started_at or alert.occurred_at).isoformat(),
            "revision": alert.revision,
            "peak_count": alert.peak_count,
            "objects": [o for o in alert.seen_objects if isinstance(o, dict)],
            "next_segment": 0 if alert.last_segment is None else alert.last_segment + 1,
        }
        for alert in alerts
    ]


def etag(answer: dict[str, Any]) -> str:
    return f'"{_fingerprint(answer)}"'
