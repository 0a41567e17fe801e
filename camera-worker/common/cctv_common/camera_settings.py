"""Which camera settings a running worker applies without a restart: the one list the backend (its
settings answer), the operator and the local runtime (what rolls nothing) and the worker (what it applies
between frames) share. crds/camera.yaml declares the same in its ``cctv.io/live-settings`` annotation for
kubectl users; tests/contract/test_camera_contract.py checks that the two agree and that every other
detection setting is in ``cctv.io/restart-settings``.
"""

from __future__ import annotations

#: Detection settings (the camera contract's names) that apply live. A change of any other detection
#: setting, of a stream URL or of the model restarts the worker (and hands its open event over).
LIVE_SETTINGS: tuple[str, ...] = (
    "alert_types",
    "confidence_threshold",
    "cooldown_seconds",
    "event_grace_seconds",
    "event_max_seconds",
    "pre_roll_seconds",
    "post_roll_seconds",
    "min_box_area",
    "zones",
    "motion_masks",
    "forced_detect_interval",
    "object_filters",
)
