"""``manage.py purge_recordings``: the recordings' retention pass (each camera's days per kind, then the
storage caps), deleting stored objects in batches with their rows. purge_alerts runs it too."""

from django.core.management.base import BaseCommand

from recordings import services


class Command(BaseCommand):
    help = "Delete recording segments past their camera's retention days; apply the recording storage caps."

    def handle(self, *args, **options) -> None:
        result = services.recordings_purge()
        self.stdout.write(
            f"Deleted {result.retention} recording segment(s) past retention and {result.cap} by the storage "
            f"caps ({result.bytes} bytes)."
        )
