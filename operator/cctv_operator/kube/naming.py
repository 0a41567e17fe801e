"""Names shared with the rest of the system (docs/contracts.md): the CRD, labels, child names."""

from __future__ import annotations

GROUP = "cctv.io"
VERSION = "v1alpha1"
PLURAL = "cameras"
KIND = "Camera"
API_VERSION = f"{GROUP}/{VERSION}"

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "cctv-operator"
CAMERA_ID_LABEL = "cctv.io/camera-id"
#: Only objects with this label are the sync's own; a hand-applied Camera lacks it and is left alone.
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"

CONFIG_HASH_ANNOTATION = "cctv.io/config-hash"
SECRET_HASH_ANNOTATION = "cctv.io/secret-hash"  # noqa: S105 - a name, not a secret

SECRET_RTSP_URL_KEY = "rtsp-url"  # noqa: S105 - key names
SECRET_INGEST_TOKEN_KEY = "ingest-token"  # noqa: S105
#: Present only when the camera has a detection sub-stream (its URL carries credentials too).
SECRET_DETECT_RTSP_URL_KEY = "detect-rtsp-url"  # noqa: S105

WORKER_METRICS_PORT = 9100
#: The worker's live-view port: only the backend reaches it (the chart's NetworkPolicy).
WORKER_LIVE_PORT = 9110
WORKER_DATA_DIR = "/data"


def child_name(camera_id: int) -> str:
    """The name of a camera's Camera resource, Secret and Deployment: `camera-<id>`."""
    return f"camera-{camera_id}"
