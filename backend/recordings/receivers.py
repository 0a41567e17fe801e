"""What the recordings app does when the surveillance app announces something (its signals), and when a
camera is deleted: its segments' stored objects go too (the rows go by cascade)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import pre_delete

from recordings import metrics, storage
from recordings.models import RecordingSegment, StreamOutage
from surveillance import signals
from surveillance.models import Camera, StreamState


def _on_heartbeat(sender, *, camera: Camera, previous: str, state: str, at, **kwargs) -> None:
    """Keeps the camera's outages: one opens when its stream goes from up to anything else, and closes
    when it is up again. Only a change costs a query (heartbeats come every 15 s per camera)."""
    down, was_down = state != StreamState.UP, previous != StreamState.UP
    if down == was_down and previous != StreamState.UNKNOWN:
        return
    open_outage = StreamOutage.objects.filter(camera=camera, ended_at__isnull=True)
    if down:
        if not open_outage.exists():
            StreamOutage.objects.create(camera=camera, started_at=at)
    else:
        open_outage.update(ended_at=at)


def _on_camera_delete(sender, *, instance: Camera, **kwargs) -> None:
    names = list(RecordingSegment.objects.filter(camera=instance).values_list("file", flat=True))
    if not names:
        return

    def delete_objects() -> None:
        storage.delete_objects(names)
        metrics.SEGMENTS_DELETED.labels(reason=metrics.DELETED_CAMERA).inc(len(names))

    # After the commit: a rolled-back delete keeps its footage.
    transaction.on_commit(delete_objects)


def connect() -> None:
    signals.heartbeat_recorded.connect(_on_heartbeat, dispatch_uid="recordings-heartbeat")
    pre_delete.connect(_on_camera_delete, sender=Camera, dispatch_uid="recordings-camera-delete")
