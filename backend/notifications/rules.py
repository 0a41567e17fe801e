"""Whether a channel's rules want an alert: pure functions of the rule fields, the alert and the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

OPENED = "alert.opened"
CLOSED = "alert.closed"


@dataclass(frozen=True)
class AlertFacts:
    camera_id: int
    alert_type: str
    confidence: float
    zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    cameras: tuple[int, ...] = ()
    alert_types: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    min_confidence: float = 0.0
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    time_zone: str = "UTC"
    notify_on_open: bool = True
    notify_on_close: bool = False


def in_quiet_hours(start: time | None, end: time | None, local: time) -> bool:
    """Quiet hours are ``[start, end)`` in local time; a window like 22:00-07:00 spans midnight."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def wants(rules: Rules, alert: AlertFacts, *, event: str, now: datetime) -> bool:
    """True when a channel with ``rules`` should be told about ``event`` of ``alert`` at ``now``.

    Empty camera/type/zone lists match everything. A zone rule matches only alerts that name a zone it
    lists (alerts without zone information do not pass a zone rule).
    """
    if event == OPENED and not rules.notify_on_open:
        return False
    if event == CLOSED and not rules.notify_on_close:
        return False
    if rules.cameras and alert.camera_id not in rules.cameras:
        return False
    if rules.alert_types and alert.alert_type not in rules.alert_types:
        return False
    if rules.zones and not set(rules.zones) & set(alert.zones):
        return False
    if alert.confidence < rules.min_confidence:
        return False
    local = now.astimezone(ZoneInfo(rules.time_zone)).time()
    return not in_quiet_hours(rules.quiet_hours_start, rules.quiet_hours_end, local)
