"""An event's seen object as the worker sends it (``objects`` of an alert or an event update)."""

from __future__ import annotations


def seen_object(**overrides) -> dict:
    return {
        "track_id": 1,
        "label": "person",
        "alert_type": "person",
        "first_seen": "2026-11-30T10:00:00Z",
        "last_seen": "2026-11-30T10:00:05Z",
        "confidence": 0.9,
        "zones": ["Porch"],
    } | overrides
