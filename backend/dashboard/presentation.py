"""Pure helpers that turn model values into what the dashboard shows (no database, no request)."""

from __future__ import annotations

from datetime import datetime

from surveillance.models import StreamState

ONLINE = "online"
DOWN = "down"
INACTIVE = "inactive"
STATE_LABELS = {ONLINE: "Online", DOWN: "Stream down", INACTIVE: "Inactive"}


def camera_state(
    *,
    is_active: bool,
    stream_state: str,
    last_heartbeat_at: datetime | None,
    now: datetime,
    online_seconds: int,
) -> str:
    """online / down / inactive, from the worker's heartbeats (same rule as ``Camera.is_online``)."""
    if not is_active:
        return INACTIVE
    if (
        stream_state == StreamState.UP
        and last_heartbeat_at is not None
        and (now - last_heartbeat_at).total_seconds() < online_seconds
    ):
        return ONLINE
    return DOWN


def box_style(box: object) -> str | None:
    """CSS placing a normalised [x1, y1, x2, y2] box over an image, or None for a malformed box."""
    if not isinstance(box, list | tuple):
        return None
    try:
        x1, y1, x2, y2 = (min(max(float(v), 0.0), 1.0) for v in box)
    except (TypeError, ValueError):
        return None
    if x2 <= x1 or y2 <= y1:
        return None
    return (
        f"left:{x1 * 100:.2f}%;top:{y1 * 100:.2f}%;width:{(x2 - x1) * 100:.2f}%;height:{(y2 - y1) * 100:.2f}%"
    )


def detection_boxes(detections: object, *, alert_type: str | None = None) -> list[dict]:
    """The drawable detections of an alert: label, confidence in percent and the box's CSS.

    Labelled with the alert's type when given (what the camera raises: "person"), never the model's own
    class names ("Normal", "Fall"), which stay in ``model_label`` for a tooltip."""
    boxes: list[dict] = []
    if not isinstance(detections, list):
        return boxes
    for item in detections:
        if not isinstance(item, dict):
            continue
        style = box_style(item.get("box"))
        if style is None:
            continue
        confidence = item.get("confidence")
        percent = round(confidence * 100) if isinstance(confidence, int | float) else None
        model_label = str(item.get("label", ""))
        boxes.append(
            {
                "label": alert_type or model_label,
                "model_label": model_label,
                "percent": percent,
                "style": style,
            }
        )
    return boxes


#: Tracks listed per alert type on an event's page; the others are behind a toggle.
OBJECTS_SHOWN_PER_TYPE = 3


def _confidence(obj: dict) -> float:
    value = obj.get("confidence")
    return float(value) if isinstance(value, int | float) else 0.0


def object_groups(objects: object, *, shown: int = OBJECTS_SHOWN_PER_TYPE) -> list[dict]:
    """An event's tracks by alert type, the most numerous type first: its count, the ``shown`` most
    confident tracks and the rest (a 3-minute event in a busy street has a hundred tracks)."""
    groups: dict[str, list[dict]] = {}
    for obj in objects if isinstance(objects, list) else []:
        if isinstance(obj, dict):
            groups.setdefault(str(obj.get("alert_type") or obj.get("label") or "object"), []).append(obj)
    result = []
    for alert_type, items in sorted(groups.items(), key=lambda group: (-len(group[1]), group[0])):
        ranked = sorted(items, key=_confidence, reverse=True)
        result.append(
            {"alert_type": alert_type, "count": len(items), "best": ranked[:shown], "rest": ranked[shown:]}
        )
    return result


TIMELINE_HOURS = 24


def timeline_bars(alerts, *, now, current_id: int | None = None) -> list[dict]:
    """Events of the last 24 h as bars on a 0..100 % axis (left = 24 h ago): start, length, link.

    An open event runs to ``now``; a moment-long one still gets a visible sliver.
    """
    span = TIMELINE_HOURS * 3600.0
    origin = now.timestamp() - span
    bars = []
    for alert in alerts:
        start = (alert.started_at or alert.occurred_at).timestamp()
        end = now.timestamp() if alert.ended_at is None else alert.ended_at.timestamp()
        left = max(0.0, (start - origin) / span * 100)
        width = max(0.25, (max(end, start) - max(start, origin)) / span * 100)
        bars.append(
            {
                "id": alert.pk,
                "style": f"left:{left:.3f}%;width:{min(width, 100 - left):.3f}%",
                "type": alert.alert_type,
                "title": f"{alert.description or alert.alert_type} at {alert.occurred_at:%H:%M:%S}",
                "current": alert.pk == current_id,
                "open": alert.ended_at is None,
            }
        )
    return bars
