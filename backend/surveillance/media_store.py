"""The media store: where snapshots, clips and recordings are kept, and how a browser gets one of them.

Every read and write of a media file goes through Django's storage API on ``storages["default"]``:
the filesystem under MEDIA_ROOT (the laptop default) or an S3-compatible bucket (``S3MediaStorage``,
settings in ``cctv_backend.settings.media``). Callers use this module, not the storage classes:

- ``serve(request, name, content_type=...)``, once the caller has decided that the request may see the
  file: a redirect to a short-lived presigned URL of the bucket, or the bytes streamed by the backend
  (the filesystem; a bucket with ``MEDIA_SERVE_MODE=proxy``), with single byte ranges either way;
- ``delete_many(names)``: best effort, after the rows are gone (batched on S3); what the store refuses
  is left for ``manage.py reconcile_media``;
- ``walk(prefix)``: what the store holds under a prefix, for the reconcile and migrate commands.

A store that does not answer, or refuses the backend's credentials, raises ``StoreUnavailable`` (503
with Retry-After): an upload that meets it is refused whole, so the worker keeps it and retries. The
bytes a user stores are counted from the database rows (``quotas``), never by listing the bucket.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from surveillance.byte_ranges import parse_range
from surveillance.errors import StoreUnavailable

logger = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024
# One DeleteObjects request takes at most 1,000 keys (the S3 API's limit).
_DELETE_BATCH = 1000
_MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True, slots=True)
class StoredObject:
    name: str
    size: int
    modified: datetime


def _store_call(method):
    """Turns what botocore raises into the store's two answers: gone (``FileNotFoundError``, as the
    filesystem says it) or unavailable (``StoreUnavailable``)."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise FileNotFoundError(f"{args[0] if args else ''} is not in the media store") from None
            # Credentials, a missing bucket, a 5xx: retrying after the operator fixes it loses nothing.
            logger.error("media store refused %s: %s", method.__name__, error)
            raise StoreUnavailable(f"the store answered {code or 'an error'}") from error
        except BotoCoreError as error:  # connection refused or reset, timeouts, no credentials
            logger.warning("media store unreachable in %s: %s", method.__name__, error)
            raise StoreUnavailable(type(error).__name__) from error

    return call


class S3MediaStorage(S3Storage):
    """django-storages' S3 backend with the product's settings: timeouts that fail fast, SigV4, the
    checksums every S3-compatible store takes, names that stay the backend's own URLs (``url``), and
    errors translated as ``_store_call`` says."""

    def __init__(self, *, timeout: float = 10.0, **options: Any) -> None:
        options.setdefault(
            "client_config",
            Config(
                s3={"addressing_style": options.pop("addressing_style", None) or "auto"},
                signature_version="s3v4",
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 2, "mode": "standard"},
                # botocore's newer default adds CRC trailers that MinIO, Ceph RGW and SeaweedFS releases
                # of a few years ago refuse; only what the API requires is sent.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        options.setdefault("file_overwrite", True)  # names are unique (uuid, digest): no HEAD per upload
        super().__init__(**options)

    _save = _store_call(S3Storage._save)
    _open = _store_call(S3Storage._open)
    delete = _store_call(S3Storage.delete)
    exists = _store_call(S3Storage.exists)
    size = _store_call(S3Storage.size)
    listdir = _store_call(S3Storage.listdir)
    get_modified_time = _store_call(S3Storage.get_modified_time)

    def url(self, name: str | None, parameters=None, expire=None, http_method=None) -> str:
        """The backend's own address of the file (``/media/<name>``), which checks access and then
        redirects or streams: a presigned URL is only ever made for a caller who passed that check."""
        return urljoin(str(settings.MEDIA_URL), filepath_to_uri(name or ""))

    @_store_call
    def presigned_url(self, name: str, *, content_type: str, expire: int) -> str:
        parameters = {"ResponseContentType": content_type, "ResponseCacheControl": "private, no-store"}
        return super().url(name, parameters=parameters, expire=expire)

    @_store_call
    def read_range(self, name: str, first: int, last: int) -> Iterator[bytes]:
        """Bytes ``first``..``last`` (inclusive) of the object, read as they are sent."""
        key = self._normalize_name(clean_name(name))
        answer = self.connection.meta.client.get_object(
            Bucket=self.bucket_name, Key=key, Range=f"bytes={first}-{last}"
        )
        return _body_chunks(answer["Body"])

    @_store_call
    def walk(self, prefix: str) -> Iterator[StoredObject]:
        paginator = self.connection.meta.client.get_paginator("list_objects_v2")
        root = self._normalize_name(clean_name(prefix))
        strip = len(self.location.rstrip("/") + "/") if self.location else 0
        objects = []  # listed fully inside the try of _store_call: a failure mid-listing is StoreUnavailable
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=root):
            for entry in page.get("Contents", ()):
                objects.append(StoredObject(entry["Key"][strip:], entry["Size"], entry["LastModified"]))
        return iter(objects)

    @_store_call
    def delete_many(self, names: list[str]) -> list[str]:
        """Deletes in batches of 1,000; returns the names the store would not delete."""
        client, failed = self.connection.meta.client, []
        for start in range(0, len(names), _DELETE_BATCH):
            batch = names[start : start + _DELETE_BATCH]
            keys = [{"Key": self._normalize_name(clean_name(name))} for name in batch]
            answer = client.delete_objects(Bucket=self.bucket_name, Delete={"Objects": keys, "Quiet": True})
            failed += [error["Key"] for error in answer.get("Errors", ())]
        return failed


def _body_chunks(body) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


def store() -> Storage:
    return storages["default"]


def is_object_store() -> bool:
    return isinstance(store(), S3MediaStorage)


def local_root() -> Path | None:
    """The folder of a filesystem store (its free space is checked before uploads), None for a bucket."""
    current = store()
    return Path(current.location) if isinstance(current, FileSystemStorage) else None


# --- serving -------------------------------------------------------------------------------------------


def serve(
    request: HttpRequest,
    name: str | None,
    *,
    content_type: str,
    cache_control: str = "private, max-age=86400",
) -> HttpResponseBase:
    """The stored file ``name`` for a caller whose access the caller of this function has checked.

    A bucket in redirect mode answers 302 to a presigned URL valid MEDIA_URL_EXPIRY_SECONDS (the browser
    repeats its Range header there); otherwise the backend streams the file, whole (200) or one byte
    range (206; 416 past the end). 404 when the object is gone, 503 when the store does not answer.
    """
    if not name:
        raise Http404("No such media file.")
    current = store()
    try:
        if isinstance(current, S3MediaStorage) and settings.MEDIA_SERVE_MODE == "redirect":
            url = current.presigned_url(
                name, content_type=content_type, expire=settings.MEDIA_URL_EXPIRY_SECONDS
            )
            redirect = HttpResponseRedirect(url)
            # The link expires: neither the browser nor a proxy may keep the redirect.
            redirect["Cache-Control"] = "private, no-store"
            return redirect
        return _stream(request, current, name, content_type, cache_control)
    except FileNotFoundError:
        raise Http404("No such media file.") from None
    except StoreUnavailable as error:
        return HttpResponse(str(error), status=503, headers={"Retry-After": str(error.retry_after)})


def serve_file(request: HttpRequest, path: Path, *, content_type: str) -> HttpResponseBase:
    """A file the backend built on its own disk (an event clip from the recordings: ``recordings.clips``)
    for a caller whose access was checked: streamed, whole or one byte range, never cached by others."""
    local = FileSystemStorage(location=str(path.parent))
    try:
        return _stream(request, local, path.name, content_type, "private, no-store")
    except FileNotFoundError:
        raise Http404("No such media file.") from None


def _stream(request: HttpRequest, current: Storage, name: str, content_type: str, cache_control: str):
    size = current.size(name)
    wanted = parse_range(request.headers.get("Range"), size)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": cache_control}
    if wanted is False:
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    first, last = wanted if wanted else (0, size - 1)
    if last < first:  # an empty file
        body: Iterator[bytes] = iter(())
    elif isinstance(current, S3MediaStorage):
        body = current.read_range(name, first, last)
    else:
        handle = current.open(name, "rb")
        handle.seek(first)
        body = _file_chunks(handle, last - first + 1)
    response = StreamingHttpResponse(body, status=206 if wanted else 200, content_type=content_type)
    response["Content-Length"] = str(max(0, last - first + 1))
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    for header, value in headers.items():
        response[header] = value
    return response


def _file_chunks(handle, remaining: int) -> Iterator[bytes]:
    try:
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


# --- housekeeping --------------------------------------------------------------------------------------


def delete_many(names: Iterable[str | None]) -> int:
    """Deletes the stored files of rows already deleted; returns how many were left behind. Never raises
    for the store: the rows are gone either way, and ``reconcile_media`` finds the leftovers."""
    wanted = [name for name in names if name]
    if not wanted:
        return 0
    current = store()
    try:
        if isinstance(current, S3MediaStorage):
            left = current.delete_many(wanted)
        elif isinstance(current, FileSystemStorage):
            left = _delete_files(current, wanted)
        else:
            left = []
            for name in wanted:
                try:
                    current.delete(name)
                except OSError:
                    left.append(name)
    except StoreUnavailable:
        left = wanted
    if left:
        logger.warning(
            "%d media file(s) could not be deleted; reconcile_media --repair removes them", len(left)
        )
    return len(left)


def _delete_files(storage: FileSystemStorage, names: list[str]) -> list[str]:
    """Unlinks under the store's folder directly: ``Storage.delete`` takes about 8 µs a name (safe_join's
    normalisation), and a retention pass of a day of 1,000 cameras is 8.64 M names. The names are grouped
    by folder (a batch is mostly one camera-day's): each folder is opened once and its files unlinked
    relative to it (the kernel resolves one component a name, not the whole path), and a folder that is
    gone takes one call for all its names. A name that is not a plain relative path (absolute, ``..``, a
    backslash) takes the storage's own checked path instead."""
    root = os.path.join(storage.location, "")
    left: list[str] = []
    folders: dict[str, list[str]] = {}
    joined = "\n".join(names)
    # One look at all the names for the rare unsafe one (then each is looked at).
    checked = joined.startswith("/") or "\n/" in joined or ".." in joined or "\\" in joined
    for name in names:
        if checked and (name.startswith("/") or ".." in name or "\\" in name):
            try:
                storage.delete(name)
            except (OSError, SuspiciousFileOperation):  # outside the store's folder: never deleted
                left.append(name)
            continue
        folder, _, base = name.rpartition("/")
        if not base:  # a folder's name
            left.append(name)
            continue
        folders.setdefault(folder, []).append(base)
    for folder, bases in folders.items():
        prefix = f"{folder}/" if folder else ""
        try:
            descriptor = os.open(root + folder, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:  # the folder is gone, and its files with it
            continue
        except (OSError, ValueError):  # not a folder, no permission; ValueError: a NUL in the name
            left += [prefix + base for base in bases]
            continue
        try:
            for base in bases:
                try:
                    os.unlink(base, dir_fd=descriptor)
                except FileNotFoundError:
                    pass
                except (OSError, ValueError):  # a folder, no permission, an empty name, a NUL
                    left.append(prefix + base)
        finally:
            os.close(descriptor)
    return left


def walk(prefix: str, storage: Storage | None = None) -> Iterator[StoredObject]:
    """Every file of the store (or ``storage``) under ``prefix`` (``"clips/"``), any depth."""
    current = storage or store()
    if isinstance(current, S3MediaStorage):
        yield from current.walk(prefix)
        return
    yield from _walk_listdir(current, prefix.rstrip("/"))


def _walk_listdir(current: Storage, folder: str) -> Iterator[StoredObject]:
    try:
        folders, files = current.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        path = f"{folder}/{name}" if folder else name
        yield StoredObject(path, current.size(path), current.get_modified_time(path))
    for sub in sorted(folders):
        yield from _walk_listdir(current, f"{folder}/{sub}" if folder else sub)
