"""The one place the recordings app touches the media store: Django's default storage (the filesystem,
or S3 through django-storages when the media store is configured so). Deletes are batched: S3's
DeleteObjects removes up to 1,000 keys in one request, where one call per key would take the retention
pass hours at scale."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.files.storage import default_storage

log = logging.getLogger(__name__)


def delete_objects(names: Iterable[str]) -> int:
    """Deletes these stored objects, RECORDING_DELETE_BATCH per call where the store can; returns how
    many were asked for. A missing object is not an error (deleted already)."""
    batch: list[str] = []
    count = 0
    for name in names:
        if not name:
            continue
        batch.append(name)
        if len(batch) >= settings.RECORDING_DELETE_BATCH:
            count += _delete_batch(batch)
            batch = []
    if batch:
        count += _delete_batch(batch)
    return count


def _delete_batch(names: list[str]) -> int:
    bucket = getattr(default_storage, "bucket", None)
    if bucket is not None and hasattr(bucket, "delete_objects"):
        # django-storages' S3 storage: one DeleteObjects request for the batch.
        keys = [{"Key": default_storage._normalize_name(name)} for name in names]  # type: ignore[attr-defined]
        answer = bucket.delete_objects(Delete={"Objects": keys, "Quiet": True})
        for error in answer.get("Errors", ()):
            log.warning(
                "could not delete %s from the media store: %s", error.get("Key"), error.get("Message")
            )
        return len(names)
    for name in names:
        default_storage.delete(name)
    return len(names)
