"""``manage.py reconcile_media``: stored files without rows and rows without files, reported; repaired
with ``--repair`` (orphans deleted from the store, rows of missing files forgotten). The chart runs it as
a CronJob. Exit status 1 when something was found and not repaired, so a job's failure shows it."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from surveillance import media_reconcile
from surveillance.errors import StoreUnavailable

SHOWN = 20  # names printed per finding; the counts are always whole


class Command(BaseCommand):
    help = "Compare the media store with the database: orphan objects and rows whose files are gone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="Delete orphans and forget missing files.")
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=60,
            help="Objects younger than this are never orphans (uploads in flight; default %(default)s).",
        )

    def handle(self, *args, repair: bool, grace_minutes: int, **options) -> None:
        if grace_minutes < 0:
            raise CommandError("--grace-minutes must be 0 or more.")
        unrepaired = 0
        for kind in media_reconcile.KINDS.values():
            try:
                findings = media_reconcile.scan(
                    kind, now=timezone.now(), grace=timedelta(minutes=grace_minutes)
                )
                orphan_bytes = sum(stored.size for stored in findings.orphans)
                self.stdout.write(
                    f"{kind.prefix} {len(findings.orphans)} object(s) without a row ({orphan_bytes} bytes), "
                    f"{len(findings.missing)} row(s) without an object"
                )
                for stored in findings.orphans[:SHOWN]:
                    self.stdout.write(f"  orphan  {stored.name} ({stored.size} bytes)")
                for name in findings.missing[:SHOWN]:
                    self.stdout.write(f"  missing {name}")
                if repair:
                    deleted, forgotten = media_reconcile.repair(kind, findings)
                    self.stdout.write(
                        f"  repaired: {deleted} object(s) deleted, {forgotten} row(s) forgotten"
                    )
                else:
                    unrepaired += len(findings.orphans) + len(findings.missing)
            except StoreUnavailable as error:
                raise CommandError(str(error)) from None
        if unrepaired:
            raise CommandError(f"{unrepaired} finding(s) not repaired; run with --repair to fix them.")
