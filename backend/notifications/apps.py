"""The notifications app: channels, rules, the outbox and the delivery log, the delivery process."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.apps import AppConfig
from prometheus_client import CollectorRegistry, Gauge


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The surveillance app announces alerts and scrapes without importing this app (backend/.importlinter:
        # notifications sits above surveillance): subscribe here.
        from notifications import metrics  # noqa: F401  (defines the delivery counters in every process)
        from surveillance import health, signals

        signals.alert_opened.connect(_alert_opened, dispatch_uid="notifications.alert_opened")
        signals.alert_closed.connect(_alert_closed, dispatch_uid="notifications.alert_closed")
        signals.clip_stored.connect(_clip_stored, dispatch_uid="notifications.clip_stored")
        health.add_scrape_gauges("notifications.outbox", _outbox_gauges)


def _alert_opened(sender: Any, *, alert: Any, **_: Any) -> None:
    from notifications.services import notify_alert_opened

    notify_alert_opened(alert=alert)


def _alert_closed(sender: Any, *, alert: Any, **_: Any) -> None:
    from notifications.services import notify_alert_closed

    notify_alert_closed(alert=alert)


def _clip_stored(sender: Any, *, alert: Any, **_: Any) -> None:
    from notifications.services import notify_clip_stored

    notify_clip_stored(alert=alert)


def _outbox_gauges(registry: CollectorRegistry, now: datetime) -> None:
    from notifications.selectors import outbox_state

    outbox = outbox_state(now=now)
    Gauge(
        "cctv_backend_notifications_outbox_depth", "Notifications waiting to be sent.", registry=registry
    ).set(outbox["depth"])
    Gauge(
        "cctv_backend_notifications_outbox_oldest_age_seconds",
        "Age of the oldest notification waiting to be sent (0 when none waits).",
        registry=registry,
    ).set(outbox["oldest_age"])
