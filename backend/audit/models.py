"""One audit record: who, what, when, from where, the camera it concerns and the team it belongs to.

Append-only: ``save()`` refuses to change a stored record and ``delete()`` (of a record or a queryset)
raises; only the retention pass removes records past AUDIT_RETENTION_DAYS (``audit.services.audit_purge``).

The user, the camera and the team are plain ids, not foreign keys: a record must outlive them (a foreign
key would either delete it with them or rewrite it to NULL, and either changes the trail), and this app
sits below the teams app in the layers. ``username`` keeps the name the user had then, and the name tried
in a failed sign-in. ``team_id`` is the team of the object acted on (a camera's, a channel's, an export's,
the team whose members changed); null for what belongs to no team (sign-ins, a user's API tokens).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from audit.actions import AuditAction

USERNAME_MAX_LENGTH = 150  # Django's User.username
SUMMARY_MAX_LENGTH = 200
ADDRESS_MAX_LENGTH = 64  # an IPv6 address with a zone; longer is not an address and is cut


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit record."""


class AuditRecordQuerySet(models.QuerySet):
    def delete(self):
        raise AppendOnlyError("Audit records cannot be deleted; the retention pass removes old ones.")

    def update(self, **kwargs):
        raise AppendOnlyError("Audit records cannot be changed.")


class AuditRecord(models.Model):
    at = models.DateTimeField(default=timezone.now)
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=USERNAME_MAX_LENGTH, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=SUMMARY_MAX_LENGTH, blank=True)
    client_address = models.CharField(max_length=ADDRESS_MAX_LENGTH, blank=True)
    camera_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ("-at", "-id")
        # Each list filter walks one of these newest first, (at, id) in the key so that the order needs no
        # sort (bench/bench_audit.py: 1 M records, by user and by day, p95 well under 100 ms). The team and
        # the user close the keys: who may read a record (``audit_visible_to``: the reader's teams, or their
        # own records of no team) is then decided from the index alone, and a page's count of a user's
        # 20,000 records is an index-only scan rather than 11,000 heap pages (PostgreSQL).
        indexes = [
            models.Index(fields=["at", "id", "team_id", "user_id"], name="audit_at_id"),
            models.Index(fields=["user_id", "at", "id", "team_id"], name="audit_user_at_id"),
            models.Index(fields=["camera_id", "at", "id", "team_id", "user_id"], name="audit_camera_at_id"),
            models.Index(fields=["action", "at", "id", "team_id", "user_id"], name="audit_action_at_id"),
            # A team's records (``?team=``, and the teams an owner or auditor reads).
            models.Index(fields=["team_id", "at", "id"], name="audit_team_at_id"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.summary}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit records cannot be deleted; the retention pass removes old ones.")
