"""Alert snapshots: base64 in, verified image bytes out (Pillow), stored as a file in media storage.

Pure functions except ``store``; the database only ever holds the file's path.
"""

from __future__ import annotations

import base64
import binascii
import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image

from surveillance.errors import SnapshotTooLarge

FIELD = "image_base64"
# Formats a camera worker may send, with the file extension each is stored under.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# A 50 MP frame is far above any camera's resolution; more is a decompression bomb.
MAX_PIXELS = 50_000_000


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


def verify_image(data: bytes) -> Snapshot:
    """Decode the bytes fully with Pillow: only a complete JPEG, PNG or WebP image passes."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            if image_format not in EXTENSIONS:
                raise ValidationError(
                    {FIELD: f"Unsupported image format {image_format}; send JPEG, PNG or WebP."}
                )
            if width * height > MAX_PIXELS:
                raise ValidationError({FIELD: f"The image is {width}x{height}: too many pixels."})
            image.load()  # a truncated or corrupt file fails here, not later in a browser
    except ValidationError:
        raise
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError, DecompressionBombError, ...
        message = "The decoded bytes are not a readable JPEG, PNG or WebP image."
        raise ValidationError({FIELD: message}) from None
    return Snapshot(data=data, extension=EXTENSIONS[image_format], width=width, height=height)


def snapshot_from_base64(text: str) -> Snapshot:
    return verify_image(decode_base64(text))


def _too_large(max_bytes: int) -> str:
    return f"The snapshot is larger than the limit of {max_bytes} bytes (ALERT_IMAGE_MAX_BYTES)."
