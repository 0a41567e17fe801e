"""``manage.py purge_audit``: delete audit records older than AUDIT_RETENTION_DAYS (run by purge_alerts,
the scheduled retention job)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from audit.services import audit_purge


class Command(BaseCommand):
    help = "Delete audit records older than AUDIT_RETENTION_DAYS."

    def handle(self, *args, **options) -> None:
        days = settings.AUDIT_RETENTION_DAYS
        cutoff = timezone.now() - timedelta(days=days)
        deleted = audit_purge(older_than=cutoff)
        self.stdout.write(f"Deleted {deleted} audit record(s) older than {days} day(s).")
