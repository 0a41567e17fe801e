"""``manage.py purge_alerts``: delete alerts older than the retention period with their snapshot and clip
files, then hold all clips under CLIP_STORAGE_PER_USER_BYTES (oldest clips of closed events first), then
run the recordings' retention pass (``purge_recordings``): one scheduled command keeps all media in bounds."""

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from surveillance.events import services


class Command(BaseCommand):
    help = (
        "Delete alerts (and their snapshots and clips) older than ALERT_RETENTION_DAYS; apply the clip cap."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (default: ALERT_RETENTION_DAYS, now %(default)s unless set).",
        )

    def handle(self, *args, days: int | None, **options) -> None:
        days = settings.ALERT_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        cutoff = timezone.now() - timedelta(days=days)
        deleted = services.alerts_purge(older_than=cutoff)
        self.stdout.write(
            f"Deleted {deleted} alert(s) older than {days} day(s) (before {cutoff:%Y-%m-%d %H:%M})."
        )
        capped = services.clips_enforce_storage_cap()
        if capped:
            self.stdout.write(f"Deleted {capped} clip(s) to stay under CLIP_STORAGE_PER_USER_BYTES.")
        call_command("purge_recordings", stdout=self.stdout)
        call_command("purge_audit", stdout=self.stdout)  # the audit trail's AUDIT_RETENTION_DAYS
