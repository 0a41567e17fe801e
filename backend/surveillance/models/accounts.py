"""What belongs to a user rather than a camera: the limits staff set, the camera wall they saved."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserQuota(models.Model):
    """Per-user limits that staff set in the admin; an empty field means the setting's default."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quota")
    max_cameras = models.PositiveIntegerField(
        null=True, blank=True, help_text="Cameras this user may have (empty: MAX_CAMERAS_PER_USER)."
    )
    max_active_cameras = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Cameras this user may have active at once (empty: MAX_ACTIVE_CAMERAS_PER_USER).",
    )
    max_storage_bytes = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Snapshot bytes this user may store (empty: USER_STORAGE_QUOTA_BYTES; 0: no limit).",
    )

    def __str__(self) -> str:
        return f"Quota of {self.user}"


class WallLayout(models.Model):
    """A user's saved camera wall: its columns and the cameras on it, in order (empty: all of them).
    The ids are filtered through the user's own cameras on every read (``dashboard.views.live``)."""

    COLUMNS = (1, 2, 3, 4)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wall_layout"
    )
    columns = models.PositiveSmallIntegerField(default=2, choices=[(n, str(n)) for n in COLUMNS])
    cameras = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"wall layout of user {self.user_id}: {self.columns} columns"
