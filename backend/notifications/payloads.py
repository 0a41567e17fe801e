"""What a notification says about an alert (contract: docs/contracts.md "Notifications").

The payload is built once, when the delivery is enqueued, and stored on the row: every retry sends the
same body, and a later edit of the alert does not change what was announced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def alert_payload(alert, *, event: str) -> dict[str, Any]:
    """The alert as JSON: id, camera, type, confidence, description, times, and its snapshot, dashboard
    and live links.

    ``started_at``/``ended_at``/``status``/``clip`` come from the alert when it carries them (events);
    an alert without them started when it occurred and is not open.
    """
    base = settings.PUBLIC_URL
    camera = alert.camera
    started_at = getattr(alert, "started_at", None) or alert.occurred_at
    ended_at = getattr(alert, "ended_at", None)
    clip = getattr(alert, "clip", None)
    return {
        "event": event,
        "alert": {
            "id": alert.pk,
            "camera_id": camera.pk,
            "camera_name": camera.name,
            "alert_type": alert.alert_type,
            "confidence": alert.confidence,
            "description": alert.description,
            "started_at": _iso(started_at),
            "ended_at": _iso(ended_at),
            "status": getattr(alert, "status", None) or ("closed" if ended_at else "open"),
            "snapshot_url": f"{base}{alert.snapshot.url}" if alert.snapshot else None,
            "clip_url": _clip_url(clip, base),
            "dashboard_url": f"{base}{reverse('dashboard:alert', args=[alert.pk])}",
            # The camera's live page (the dashboard's login, like the other links; never a ticket in it).
            "live_url": f"{base}{reverse('dashboard:live', args=[camera.pk])}",
        },
    }


def _clip_url(clip, base: str) -> str | None:
    """The stored clip's file URL (a ``Clip``: its ``file``), or a dict's ``url``; None without a clip.
    (Reading only ``clip.url`` left every close's ``clip_url`` null: a Clip's URL is its file's.)"""
    if not clip:
        return None
    if isinstance(clip, dict):
        url = clip.get("url")
    else:
        stored = getattr(clip, "file", None)
        url = stored.url if stored else getattr(clip, "url", None)
    if not url:
        return None
    return url if url.startswith(("http://", "https://")) else f"{base}{url}"


def test_payload(channel) -> dict[str, Any]:
    return {"event": "test", "channel": {"id": channel.pk, "name": channel.name, "kind": channel.kind}}


def availability_payload(camera, *, online: bool, at: datetime) -> dict[str, Any]:
    return {
        "event": "camera.availability",
        "camera": {"id": camera.pk, "name": camera.name},
        "availability": "online" if online else "offline",
        "at": _iso(at),
    }
