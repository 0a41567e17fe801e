"""The app's models, one module per domain (cameras, events, accounts); Django and every reader import
them from here (``from surveillance.models import Camera``). The split moved no model between apps: the
app label, the tables and the migration state are the single ``surveillance`` app's as before."""

from surveillance.models.accounts import WallLayout
from surveillance.models.cameras import (
    DETECTION_FIELDS,
    LIVE_DETECTION_FIELDS,
    STREAM_FIELDS,
    AlertType,
    Camera,
    RecordMode,
    StreamState,
    default_alert_types,
    new_token_nonce,
    setting_applies,
)
from surveillance.models.events import Alert, AlertReview, Clip, EventStatus, clip_path, snapshot_path

__all__ = [
    "DETECTION_FIELDS",
    "LIVE_DETECTION_FIELDS",
    "STREAM_FIELDS",
    "Alert",
    "AlertReview",
    "AlertType",
    "Camera",
    "Clip",
    "EventStatus",
    "RecordMode",
    "StreamState",
    "WallLayout",
    "clip_path",
    "default_alert_types",
    "new_token_nonce",
    "setting_applies",
    "snapshot_path",
]
