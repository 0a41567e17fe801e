"""What belongs to a user rather than a camera: the camera wall they saved (limits are a team's:
``teams.TeamQuota``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
