"""Notification metrics (names pinned in docs/contracts.md), defined once here.

The counters and the latency histogram count in the process that sends: the delivery process serves them
on ``NOTIFY_METRICS_PORT``; the backend's ``/metrics`` adds the outbox depth read from the database.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

KINDS = ("webhook", "mqtt", "email")

SENT = Counter("cctv_backend_notifications_sent_total", "Notifications delivered, by channel kind.", ["kind"])
FAILED = Counter(
    "cctv_backend_notifications_failed_total",
    "Notifications that failed for good (final error or retry window used up), by channel kind.",
    ["kind"],
)
RETRIED = Counter(
    "cctv_backend_notifications_retries_total",
    "Failed attempts that will be tried again, by channel kind.",
    ["kind"],
)
SUPPRESSED = Counter(
    "cctv_backend_notifications_suppressed_total",
    "Notifications not queued because their channel reached NOTIFY_CHANNEL_RATE_PER_MINUTE, by channel kind.",
    ["kind"],
)
LATENCY = Histogram(
    "cctv_backend_notifications_delivery_latency_seconds",
    "From the notification's creation (the alert's transaction) to its delivery, by channel kind.",
    ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)

for _kind in KINDS:
    SENT.labels(kind=_kind)
    FAILED.labels(kind=_kind)
    RETRIED.labels(kind=_kind)
    SUPPRESSED.labels(kind=_kind)
    LATENCY.labels(kind=_kind)
