"""``manage.py migrate_media_to_store``: copy the media files of a filesystem (MEDIA_ROOT by default)
into the configured object store, under the same names, so that the rows keep naming them.

Resumable and idempotent: an object already in the store with the same size is skipped, so a run that
stopped (or a second run) copies only what is left. Progress is printed as it goes. The filesystem copy
is kept: delete it once ``reconcile_media`` reports nothing missing.
"""

import time
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveillance import media_reconcile, media_store
from surveillance.errors import StoreUnavailable

PROGRESS_SECONDS = 5.0


class Command(BaseCommand):
    help = "Copy filesystem media (snapshots, clips, recordings) into the configured object store."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source", type=Path, default=None, help="The media folder to copy (default: MEDIA_ROOT)."
        )

    def handle(self, *args, source: Path | None, **options) -> None:
        if not media_store.is_object_store():
            raise CommandError(
                "The media store is the filesystem; set MEDIA_STORE=s3 and its MEDIA_S3_* first."
            )
        folder = Path(source or settings.MEDIA_ROOT)
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        origin = FileSystemStorage(location=folder)
        target = media_store.store()
        copied = skipped = copied_bytes = 0
        last_report = time.monotonic()
        try:
            for prefix in media_reconcile.KINDS:
                present = {stored.name: stored.size for stored in media_store.walk(prefix)}
                for stored in media_store.walk(prefix, origin):
                    if present.get(stored.name) == stored.size:
                        skipped += 1
                        continue
                    with origin.open(stored.name, "rb") as body:
                        saved = target.save(stored.name, body)
                    if saved != stored.name:  # the rows name the file: it must keep its name
                        raise CommandError(f"The store saved {stored.name} as {saved}; nothing else copied.")
                    copied += 1
                    copied_bytes += stored.size
                    if time.monotonic() - last_report >= PROGRESS_SECONDS:
                        last_report = time.monotonic()
                        self.stdout.write(
                            f"... {copied} copied ({copied_bytes} bytes), {skipped} already there"
                        )
        except StoreUnavailable as error:
            raise CommandError(
                f"{error} Copied {copied} file(s) before it; run the command again to go on."
            ) from None
        self.stdout.write(
            f"Copied {copied} file(s) ({copied_bytes} bytes) from {folder}; "
            f"{skipped} were already in the store."
        )
