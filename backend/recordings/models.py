"""The index of recording segments (the bytes are in the media store, under ``file``) and the stream
outages the cameras' heartbeats reported (a gap's cause)."""

from __future__ import annotations

from django.db import models

from surveillance.models import Camera


class SegmentKind(models.TextChoices):
    CONTINUOUS = "continuous", "Continuous"
    MOTION = "motion", "Motion"


def segment_path(segment: RecordingSegment, filename: str) -> str:
    # One folder per camera and day: a store's listing (the reconcile job) can walk it in pieces.
    start = segment.start
    return f"recordings/{segment.camera_id}/{start:%Y/%m/%d}/{filename}"


class RecordingSegment(models.Model):
    """One MP4 segment of a camera's own packets, about 10 s. Its key is (camera, start): a worker's retry
    of the same segment finds this row instead of adding one."""

    # No index of its own: the (camera, start) key leads with the camera, and one index fewer is one
    # write fewer per registration.
    camera = models.ForeignKey(
        Camera, on_delete=models.CASCADE, related_name="recording_segments", db_index=False
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    duration = models.FloatField(help_text="Seconds, from the file's own timestamps.")
    size = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16, choices=SegmentKind.choices)
    # Through Django's default storage (the media store: filesystem or S3), never a path on a disk.
    file = models.FileField(upload_to=segment_path, max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The key's index also carries the columns the recordings query returns: a camera-day (8,640 rows)
        # is read from the index alone (an index-only scan on PostgreSQL; a camera's rows lie spread over
        # the heap among every other camera's). The retention pass bounds its per-camera range on ``start``
        # too (a segment ends after it starts), so there is no index on ``end``: one index to write per
        # registration. SQLite builds the key without the covering columns (models.W039 silenced in
        # settings for that reason).
        constraints = [
            models.UniqueConstraint(
                fields=["camera", "start"],
                include=["end", "duration", "size"],
                name="recording_segment_camera_start",
            ),
        ]

    def __str__(self) -> str:
        return f"camera {self.camera_id} {self.start:%Y-%m-%d %H:%M:%S} ({self.kind})"


class StreamOutage(models.Model):
    """A time the camera's worker reported its stream down (heartbeats): a gap inside is ``stream_down``."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="stream_outages")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)  # None: still down

    class Meta:
        indexes = [models.Index(fields=["camera", "started_at"], name="stream_outage_camera_start")]

    def __str__(self) -> str:
        return f"camera {self.camera_id} down from {self.started_at:%Y-%m-%d %H:%M:%S}"
