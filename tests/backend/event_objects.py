"""An event's seen object as the worker sends it (``objects`` of an alert or an event update), at times
relative to now (``support.clock``): the backend refuses object times outside its accepted window."""

from __future__ import annotations

from datetime import timedelta

from support.clock import iso, recent

T0 = recent(hours=1)  # the event's start: inside the accepted window whenever the suite runs


def at(seconds: float) -> str:
    """T0 plus `seconds`, as the API spells a time."""
    return iso(T0 + timedelta(seconds=seconds))


def seen_object(**overrides) -> dict:
    return {
        "track_id": 1,
        "label": "person",
        "alert_type": "person",
        "first_seen": at(0),
        "last_seen": at(5),
        "confidence": 0.9,
        "zones": ["Porch"],
    } | overrides
