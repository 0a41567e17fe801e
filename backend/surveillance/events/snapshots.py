"""Alert snapshots: base64 in, verified image bytes out (Pillow), stored as a file in media storage.

Pure functions except ``store``; the database only ever holds the file's path.
"""

from __future__ import annotations

import base64
import binascii
import io
import threading
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image

from surveillance.errors import DecoderBusy, SnapshotTooLarge

__all__ = ["DecoderBusy", "Snapshot", "SnapshotTooLarge", "decode_base64", "verify_image"]

FIELD = "image_base64"
# Formats a camera worker may send, with the file extension each is stored under.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


# Decodes at once in this process: each can hold width x height x 4 bytes, so this bounds the memory
# that snapshots can take whatever arrives (gunicorn threads beyond it wait, then get a 503).
_decode_slots = threading.BoundedSemaphore(settings.ALERT_DECODE_CONCURRENCY)


@dataclass(frozen=True)
class Snapshot:
    data: bytes
    extension: str
    width: int
    height: int

    def filename(self) -> str:
        return f"{uuid.uuid4().hex}.{self.extension}"


def decode_base64(text: str, *, max_bytes: int | None = None) -> bytes:
    """Bytes of a base64 string (an optional ``data:image/...;base64,`` prefix is accepted)."""
    max_bytes = settings.ALERT_IMAGE_MAX_BYTES if max_bytes is None else max_bytes
    if not isinstance(text, str):
        raise ValidationError({FIELD: "Send the snapshot as a base64 string."})
    if text.startswith("data:"):
        _, _, text = text.partition(",")
    # Refuse before decoding when even the encoded text is clearly too large.
    if len(text) * 3 // 4 > max_bytes + 3:
        raise SnapshotTooLarge({FIELD: _too_large(max_bytes)})
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({FIELD: "This is not valid base64."}) from None
    if not data:
        raise ValidationError({FIELD: "The snapshot is empty."})
    if len(data) > max_bytes:
        raise SnapshotTooLarge({FIELD: _too_large(max_bytes)})
    return data


def verify_image(data: bytes, *, max_pixels: int | None = None) -> Snapshot:
    """Decode the bytes fully with Pillow: only a complete JPEG, PNG or WebP image passes.

    The header's dimensions are checked before any pixel is decoded: a few kilobytes of WebP or PNG can
    claim 7000x7000 pixels and take a gigabyte to decode. At most ``ALERT_DECODE_CONCURRENCY`` decodes
    run at once in a process.
    """
    max_pixels = settings.ALERT_IMAGE_MAX_PIXELS if max_pixels is None else max_pixels
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            image_format = image.format
            width, height = image.size
            if image_format not in EXTENSIONS:
                raise ValidationError(
                    {FIELD: f"Unsupported image format {image_format}; send JPEG, PNG or WebP."}
                )
            if width * height > max_pixels:
                raise ValidationError(
                    {
                        FIELD: f"The image is {width}x{height} = {width * height} pixels; the limit is "
                        f"{max_pixels} (ALERT_IMAGE_MAX_PIXELS)."
                    }
                )
            if not _decode_slots.acquire(timeout=settings.ALERT_DECODE_WAIT_SECONDS):
                raise DecoderBusy(settings.ALERT_DECODE_WAIT_SECONDS)
            try:
                image.load()  # a truncated or corrupt file fails here, not later in a browser
            finally:
                _decode_slots.release()
    except (ValidationError, DecoderBusy):
        raise
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError, DecompressionBombError, ...
        message = "The decoded bytes are not a readable JPEG, PNG or WebP image."
        raise ValidationError({FIELD: message}) from None
    return Snapshot(data=data, extension=EXTENSIONS[image_format], width=width, height=height)


def snapshot_from_base64(text: str) -> Snapshot:
    return verify_image(decode_base64(text))


def _too_large(max_bytes: int) -> str:
    return f"The snapshot is larger than the limit of {max_bytes} bytes (ALERT_IMAGE_MAX_BYTES)."
