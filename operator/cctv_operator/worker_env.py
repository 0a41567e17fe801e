"""The environment a camera's worker starts with: one pure function for both runtimes.

The local runtime passes it to a process as it is; the Kubernetes side puts it in the Deployment and
swaps the values of `SECRET_VARIABLES` for references to the camera's Secret, so that the stream URL
and the ingest token never appear in a pod spec.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel

from cctv_common import camera_settings
from cctv_operator.models import DetectionConfig

#: Each camera setting (a field of DetectionConfig) and the worker variable that carries it.
DETECTION_VARIABLES: Mapping[str, str] = {
    "alert_types": "ALERT_TYPES",
    "confidence_threshold": "CONFIDENCE_THRESHOLD",
    "frame_skip": "FRAME_SKIP",
    "detect_fps": "DETECT_FPS",
    "cooldown_seconds": "ALERT_COOLDOWN",
    "event_grace_seconds": "EVENT_GRACE",
    "event_max_seconds": "EVENT_MAX_LENGTH",
    "pre_roll_seconds": "PRE_ROLL",
    "post_roll_seconds": "POST_ROLL",
    "min_box_area": "MIN_BOX_AREA",
    "zones": "ZONES",
    "motion_masks": "MOTION_MASKS",
    "forced_detect_interval": "FORCED_DETECT_INTERVAL",
    "object_filters": "OBJECT_FILTERS",
    "detector": "DETECTOR",
    # recording (issue 23)
    "record_mode": "RECORD_MODE",
    "retain_continuous_days": "RETAIN_CONTINUOUS_DAYS",
    "retain_motion_days": "RETAIN_MOTION_DAYS",
    "retain_events_days": "RETAIN_EVENTS_DAYS",
}

#: The settings a running worker applies live, read back from the backend every SETTINGS_INTERVAL
#: (crds/camera.yaml's cctv.io/live-settings; tests/contract). A change of only these restarts nothing:
#: both runtimes compare a camera's environment without them (``restart_environment``).
LIVE_SETTINGS = frozenset(camera_settings.LIVE_SETTINGS)
LIVE_VARIABLES = frozenset(DETECTION_VARIABLES[name] for name in LIVE_SETTINGS)
#: How often (seconds) the worker reads its live settings back from the backend. Only for a camera whose
#: settings come from the backend (the sync's Cameras; a hand-applied Camera's spec is its own truth, so
#: its workers get 0, read nothing, and restart on every change as before).
SETTINGS_INTERVAL = "SETTINGS_INTERVAL"
DEFAULT_SETTINGS_INTERVAL = "2"


def restart_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The part of a worker environment whose change needs a new worker process: all but the live
    settings (their current values reach the running worker from the backend)."""
    return {name: value for name, value in env.items() if name not in LIVE_VARIABLES}


#: The variables that carry credentials: the Kubernetes side reads them from the camera's Secret.
RTSP_URL = "RTSP_URL"
#: The optional detection sub-stream (detect on it, record RTSP_URL): a URL with credentials too.
DETECT_RTSP_URL = "DETECT_RTSP_URL"
INGEST_TOKEN = "DJANGO_API_TOKEN"  # noqa: S105 - a variable name
SECRET_VARIABLES = frozenset({RTSP_URL, DETECT_RTSP_URL, INGEST_TOKEN})

#: An empty list setting, e.g. ALERT_TYPES=none (to the worker an empty or unset ALERT_TYPES means
#: every type, as in the seed pipeline).
EMPTY_LIST = "none"


def worker_environment(
    *,
    camera_id: int,
    detection: DetectionConfig,
    api_url: str,
    rtsp_url: str,
    ingest_token: str,
    model_path: str | None = None,
    detect_rtsp_url: str | None = None,
    live_settings: bool = True,
) -> dict[str, str]:
    """Every per-camera variable of a worker (the runtime adds its own: ports, data dir, ...).
    ``detect_rtsp_url`` None: the camera has no detection sub-stream, and the variable is left out.
    ``live_settings``: the worker reads its live settings back from the backend (see SETTINGS_INTERVAL)."""
    env = {
        "CAMERA_ID": str(camera_id),
        RTSP_URL: rtsp_url,
        "DJANGO_API_URL": api_url,
        INGEST_TOKEN: ingest_token,
        SETTINGS_INTERVAL: DEFAULT_SETTINGS_INTERVAL if live_settings else "0",
    }
    if detect_rtsp_url is not None:
        env[DETECT_RTSP_URL] = detect_rtsp_url
    if model_path is not None:
        env["MODEL_PATH"] = model_path
    env.update(detection_environment(detection))
    return env


def detection_environment(detection: DetectionConfig) -> dict[str, str]:
    """The camera's detection settings as worker variables; an unset optional setting is left out.

    Lists of models (zones, motion masks) and the object filters ({alert type: filter}) are JSON; other
    lists are comma-separated, and an empty one is ``none``.
    """
    env: dict[str, str] = {}
    for name, variable in DETECTION_VARIABLES.items():
        value = getattr(detection, name)
        if value is None:
            continue
        item_types = typing.get_args(DetectionConfig.model_fields[name].annotation)
        if name == "object_filters":
            env[variable] = json.dumps(detection.model_dump(mode="json")[name], separators=(",", ":"))
        elif item_types and isinstance(item_types[0], type) and issubclass(item_types[0], BaseModel):
            items = [item.model_dump(mode="json") for item in value]
            env[variable] = json.dumps(items, separators=(",", ":"))
        elif isinstance(value, tuple):
            env[variable] = ",".join(_text(item) for item in value) if value else EMPTY_LIST
        else:
            env[variable] = _text(value)
    return env


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        # "60" rather than "60.0": the worker may parse some of these as integers.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
