"""An export: one camera's time range as one MP4 of the recorded packets (no re-encoding), made by the
export job (``exports.jobs``) and kept in the media store under ``exports/`` until its owner deletes it.
The recordings' retention pass and storage caps never touch it: it is not a recording segment."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from surveillance.models import Camera


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


NAME_MAX_LENGTH = 100


def export_path(export: Export, filename: str) -> str:
    return f"exports/{export.user_id}/{filename}"


class Export(models.Model):
    # The user who asked.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    # The team that owns it: its camera's (issue 25); who may see, download or delete it is the team's
    # roles' (exports.selectors).
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="exports")
    # A deleted camera takes its exports with it, as it takes its recordings and alerts.
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="exports")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    progress = models.FloatField(default=0.0)
    error = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to=export_path, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    duration = models.FloatField(default=0.0, help_text="Seconds, from the exported file's timestamps.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Written by the job as it goes: a running export whose heartbeat is older than EXPORT_STALE_SECONDS
    # was left by a job that died, and the next job takes it up again.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="export_user_created"),
            models.Index(fields=["status", "created_at"], name="export_status_created"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} of camera {self.camera_id} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        # An export belongs to its camera's team (code that creates one directly need not say so).
        if self.team_id is None and self.camera_id is not None:
            self.team_id = self.camera.team_id
        super().save(*args, **kwargs)
