"""The backend's Prometheus metrics (names pinned in docs/contracts.md), defined once here.

Counters count in this process; with several gunicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` so the
``/metrics`` view aggregates every worker (see README "Metrics"). The camera gauge is read from the
database at scrape time, so it is right whichever process answers.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

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

EVENTS_CLOSED = Counter(
    "cctv_backend_events_closed_total", "Events (alerts) that closed, by type.", ["alert_type"]
)
EVENT_UPDATES = Counter("cctv_backend_event_updates_total", "Event updates applied.")
CLIPS_STORED = Counter("cctv_backend_clips_stored_total", "Event clips stored.")
CLIP_BYTES_STORED = Counter("cctv_backend_clip_stored_bytes_total", "Bytes of event clips stored.")
CLIPS_FROM_RECORDINGS = Counter(
    "cctv_backend_clips_from_recordings_total",
    "Event clips stored as a span of the camera's recording segments (no bytes of their own).",
)
CLIPS_REJECTED = Counter("cctv_backend_clips_rejected_total", "Clip uploads refused, by reason.", ["reason"])
CLIPS_DELETED = Counter(
    "cctv_backend_clips_deleted_total",
    "Clips deleted: with their alerts (purge) or by the storage cap (cap).",
    ["reason"],
)
# Live view: sessions by outcome (started; refused: the process's LIVE_MAX_SESSIONS or the worker's viewer
# limit; down: no live stream; failed: the worker did not answer or refused the backend's key) and bytes.
LIVE_SESSIONS = Counter("cctv_backend_live_sessions_total", "Live-view sessions by outcome.", ["result"])
LIVE_BYTES_SENT = Counter("cctv_backend_live_bytes_sent_total", "Live-view bytes sent to viewers.")
# From a viewer's request to the first media bytes relayed: the worker sends its init segment together
# with the first keyframe's fragment, so this is the time to the first frame the player can show (mostly
# the wait for the camera's next keyframe).
LIVE_FIRST_FRAME = Histogram(
    "cctv_backend_live_first_frame_seconds",
    "Live view: seconds from a viewer's request to its first frame relayed.",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
)
LIVE_RESULTS = ("started", "refused", "down", "failed")
for _result in LIVE_RESULTS:
    LIVE_SESSIONS.labels(result=_result)
CLIP_DELETED_PURGE = "purge"
CLIP_DELETED_CAP = "cap"

# Rejection reasons (bounded set, pre-initialised so dashboards show zeros rather than gaps).
REJECT_INVALID = "invalid"
REJECT_TOO_LARGE = "too_large"
REJECT_CONFLICT = "idempotency_conflict"
REJECT_FORBIDDEN = "forbidden"
REJECT_RATE_LIMITED = "rate_limited"
REJECT_NO_STORAGE = "insufficient_storage"
REJECT_BUSY = "busy"
REJECT_STORE_UNAVAILABLE = "store_unavailable"

for _alert_type in AlertType.values:
    ALERTS_INGESTED.labels(alert_type=_alert_type)
REJECT_REASONS = (
    REJECT_INVALID,
    REJECT_TOO_LARGE,
    REJECT_CONFLICT,
    REJECT_FORBIDDEN,
    REJECT_RATE_LIMITED,
    REJECT_NO_STORAGE,
    REJECT_BUSY,
    REJECT_STORE_UNAVAILABLE,
)
for _reason in REJECT_REASONS:
    ALERTS_REJECTED.labels(reason=_reason)
for _alert_type in AlertType.values:
    EVENTS_CLOSED.labels(alert_type=_alert_type)
for _reason in (CLIP_DELETED_PURGE, CLIP_DELETED_CAP):
    CLIPS_DELETED.labels(reason=_reason)
for _reason in (
    REJECT_INVALID,
    REJECT_TOO_LARGE,
    REJECT_CONFLICT,
    REJECT_FORBIDDEN,
    REJECT_BUSY,
    REJECT_STORE_UNAVAILABLE,
):
    CLIPS_REJECTED.labels(reason=_reason)
