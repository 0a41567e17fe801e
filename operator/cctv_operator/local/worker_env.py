"""The environment a local worker process gets for one camera (the Deployment's env, as literals)."""

from __future__ import annotations

import json

from cctv_operator.models import DesiredCamera, gate_and_filter_env


def worker_environment(camera: DesiredCamera, *, api_url: str) -> dict[str, str]:
    detection = camera.detection
    env = {
        "CAMERA_ID": str(camera.id),
        "RTSP_URL": camera.rtsp_url,
        "DJANGO_API_URL": api_url,
        "DJANGO_API_TOKEN": camera.ingest_token,
        "CONFIDENCE_THRESHOLD": str(detection.confidence_threshold),
        "FRAME_SKIP": str(detection.frame_skip),
        "ALERT_TYPES": ",".join(detection.alert_types),
        "ALERT_COOLDOWN": str(detection.cooldown_seconds),
        "MIN_BOX_AREA": str(detection.min_box_area),
        "ZONES": json.dumps([zone.model_dump() for zone in detection.zones]),
        **gate_and_filter_env(detection),
    }
    if detection.detect_fps is not None:
        env["DETECT_FPS"] = str(detection.detect_fps)
    return env
