"""cctv_operator: Django's active cameras -> Camera resources -> one detection pod per camera.

The public surface for other components (e.g. the local runtime) is the sync and its interface.
"""

from cctv_operator.models import DesiredCamera, DetectionConfig, Zone
from cctv_operator.sync.loop import CameraRuntime, SyncFailed, SyncReport, run_sync_once, sync_forever

__all__ = [
    "CameraRuntime",
    "DesiredCamera",
    "DetectionConfig",
    "SyncFailed",
    "SyncReport",
    "Zone",
    "run_sync_once",
    "sync_forever",
]
