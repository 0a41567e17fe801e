"""The recordings app's Prometheus metrics (names pinned in docs/contracts.md), defined once here."""

from __future__ import annotations

from prometheus_client import Counter

from surveillance import metrics as base

SEGMENTS_STORED = Counter("cctv_backend_segments_stored_total", "Recording segments stored.")
SEGMENT_BYTES_STORED = Counter(
    "cctv_backend_segment_stored_bytes_total", "Bytes of recording segments stored."
)
SEGMENT_REPLAYS = Counter(
    "cctv_backend_segment_replays_total", "Segment uploads answered with the stored segment (a retry)."
)
SEGMENTS_REJECTED = Counter(
    "cctv_backend_segments_rejected_total", "Recording segment uploads refused, by reason.", ["reason"]
)
SEGMENTS_DELETED = Counter(
    "cctv_backend_segments_deleted_total",
    "Recording segments deleted: past their retention (retention), by a storage cap (cap), with their camera"
    " (camera).",
    ["reason"],
)
DELETED_RETENTION, DELETED_CAP, DELETED_CAMERA = "retention", "cap", "camera"

for _reason in (
    base.REJECT_INVALID,
    base.REJECT_TOO_LARGE,
    base.REJECT_CONFLICT,
    base.REJECT_FORBIDDEN,
    base.REJECT_BUSY,
):
    SEGMENTS_REJECTED.labels(reason=_reason)
for _reason in (DELETED_RETENTION, DELETED_CAP, DELETED_CAMERA):
    SEGMENTS_DELETED.labels(reason=_reason)
