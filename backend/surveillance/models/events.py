"""Alerts (a camera's events), their clips and who reviewed them: what workers report and users read."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from surveillance.models.cameras import AlertType, Camera
from surveillance.validators import validate_detections, validate_event_objects


class EventStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


def snapshot_path(alert: Alert, filename: str) -> str:
    when = alert.occurred_at or timezone.now()
    return f"snapshots/{alert.camera_id}/{when:%Y/%m/%d}/{filename}"


class Alert(models.Model):
    """Something a camera's worker detected, with the snapshot it saw."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="alerts")
    alert_type = models.CharField(max_length=16, choices=AlertType.choices)
    confidence = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    description = models.TextField(blank=True)
    detections = models.JSONField(default=list, blank=True, validators=[validate_detections])
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    # Indexed: every snapshot request looks its alert up by file name (surveillance.events.snapshot_files).
    snapshot = models.ImageField(upload_to=snapshot_path, blank=True, db_index=True)
    # Size of the snapshot file, summed for the storage quotas without touching the disk.
    snapshot_bytes = models.PositiveBigIntegerField(default=0, editable=False)

    # The event: an alert opens when the worker confirms an object and closes after a grace period.
    # Seed clients that only POST /api/send-alert/ create closed events (started = ended = occurred).
    status = models.CharField(max_length=8, choices=EventStatus.choices, default=EventStatus.CLOSED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    peak_count = models.PositiveIntegerField(default=1)
    # "objects" in the API; the model attribute cannot be called so (it is the manager's name).
    seen_objects = models.JSONField(default=list, blank=True, validators=[validate_event_objects])
    # The worker's revision of the event: an update older than the stored one is ignored.
    revision = models.PositiveIntegerField(default=0)

    acknowledged = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Idempotent ingest: a replay of the same key returns this alert; another payload under it is refused.
    # NULL (not "") when absent, so the partial unique constraint ignores alerts sent without a key.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    payload_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["camera", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="alert_idempotency_key_unique_per_camera",
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1), name="alert_confidence_0_1"
            ),
        ]
        indexes = [
            models.Index(fields=["camera", "-occurred_at", "-id"], name="alert_camera_recent"),
            models.Index(fields=["-occurred_at", "-id"], name="alert_recent"),
            models.Index(fields=["alert_type", "-occurred_at"], name="alert_type_recent"),
            models.Index(fields=["acknowledged", "-occurred_at"], name="alert_ack_recent"),
            # The ingest rate limit counts a camera's alerts of the last minute.
            models.Index(fields=["camera", "created_at"], name="alert_camera_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_alert_type_display()} on {self.camera} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    @property
    def is_open(self) -> bool:
        return self.status == EventStatus.OPEN

    @property
    def duration_seconds(self) -> float | None:
        """How long the event lasted (so far, while open is not known here: None)."""
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds())

    @property
    def clip(self) -> Clip | None:
        """The event's first clip (segment 0); a reopened event may have more."""
        clips = list(self.clips.all())  # prefetched in lists
        return clips[0] if clips else None


def clip_path(clip: Clip, filename: str) -> str:
    when = clip.alert.occurred_at or timezone.now()
    return f"clips/{clip.alert.camera_id}/{when:%Y/%m/%d}/{filename}"


class Clip(models.Model):
    """The video of an event: the camera's own packets from pre-roll before to post-roll after, MP4."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="clips")
    segment = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=clip_path, max_length=255, db_index=True)
    size = models.PositiveBigIntegerField()
    duration = models.FloatField()
    started_at = models.DateTimeField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # A clip the camera's recording segments hold (issue 23): no bytes of its own, only the span of its
    # first and last packet; ``file`` is then a name under ``clips/recordings/`` that no store holds, and
    # the backend serves the segments' packets remuxed into one MP4 (``recordings.clips``).
    recording_start = models.DateTimeField(null=True, blank=True)
    recording_end = models.DateTimeField(null=True, blank=True)
    # Where the worker saw the first and last packet inside the segments ({"first": {"segment": start_ms,
    # "offset": s}, "last": ...}): exact where a wall time is not (a segment holding a burst of stream).
    recording_cut = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["alert_id", "segment"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "segment"], name="clip_segment_unique_per_alert"),
        ]
        indexes = [models.Index(fields=["created_at"], name="clip_oldest_first")]

    def __str__(self) -> str:
        return f"clip {self.segment} of alert {self.alert_id}"

    @property
    def from_recordings(self) -> bool:
        return self.recording_end is not None


class AlertReview(models.Model):
    """An event one user has reviewed (issue 24): per user, unlike the acknowledgement, which is one for
    all who see the alert. Its absence is "not reviewed"."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_reviews")
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "alert"], name="alert_review_user_alert")]

    def __str__(self) -> str:
        return f"alert {self.alert_id} reviewed by user {self.user_id}"
