"""The one place the recordings app deletes from the media store: through the surveillance app's media
store (``surveillance.media_store``: Django's default storage, the filesystem or an S3 bucket), in batches
of RECORDING_DELETE_BATCH, each one S3 DeleteObjects request where the store is a bucket (one call per key
would take the retention pass hours at scale). Objects a batch leaves behind are logged there and found
by ``reconcile_media``."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from surveillance import media_store


def delete_objects(names: Iterable[str]) -> int:
    """Deletes these stored objects (rows already gone); returns how many were left behind."""
    wanted = [name for name in names if name]
    batch = settings.RECORDING_DELETE_BATCH
    return sum(media_store.delete_many(wanted[at : at + batch]) for at in range(0, len(wanted), batch))
