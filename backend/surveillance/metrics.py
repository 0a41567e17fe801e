"""The backend's Prometheus metrics (names pinned in docs/contracts.md), defined once here.

Counters count in this process; with several gunicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` so the
``/metrics`` view aggregates every worker (see README "Metrics"). The camera gauge is read from the
database at scrape time, so it is right whichever process answers.
"""

from __future__ import annotations

from prometheus_client import Counter, disable_created_metrics

from surveillance.models import AlertType

# The *_created series double every counter and no dashboard uses them.
disable_created_metrics()

ALERTS_INGESTED = Counter(
    "cctv_backend_alerts_ingested_total", "Alerts stored from /api/send-alert/.", ["alert_type"]
)
ALERTS_REJECTED = Counter(
    "cctv_backend_alerts_rejected_total",
    "Alerts refused by /api/send-alert/, by reason.",
    ["reason"],
)
ALERT_REPLAYS = Counter(
    "cctv_backend_alert_replays_total",
    "Ingest requests answered with an existing alert (same idempotency key).",
)

# Rejection reasons (bounded set, pre-initialised so dashboards show zeros rather than gaps).
REJECT_INVALID = "invalid"
REJECT_TOO_LARGE = "too_large"
REJECT_CONFLICT = "idempotency_conflict"
REJECT_FORBIDDEN = "forbidden"
REJECT_RATE_LIMITED = "rate_limited"
REJECT_NO_STORAGE = "insufficient_storage"
REJECT_BUSY = "busy"

for _alert_type in AlertType.values:
    ALERTS_INGESTED.labels(alert_type=_alert_type)
for _reason in (
    REJECT_INVALID,
    REJECT_TOO_LARGE,
    REJECT_CONFLICT,
    REJECT_FORBIDDEN,
    REJECT_RATE_LIMITED,
    REJECT_NO_STORAGE,
    REJECT_BUSY,
):
    ALERTS_REJECTED.labels(reason=_reason)
