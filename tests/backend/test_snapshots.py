"""surveillance.events.snapshots: base64 decoding and Pillow verification of alert snapshots (pure)."""

import base64
import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from backend.images import jpeg_bytes
from surveillance.errors import SnapshotTooLarge
from surveillance.events.snapshots import decode_base64, snapshot_from_base64, verify_image


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_jpeg_decodes_to_a_snapshot_with_its_size_and_extension():
    snapshot = snapshot_from_base64(b64(jpeg_bytes(160, 120)))
    assert (snapshot.extension, snapshot.width, snapshot.height) == ("jpg", 160, 120)
    assert snapshot.filename().endswith(".jpg")


def test_png_and_a_data_url_prefix_are_accepted():
    snapshot = snapshot_from_base64("data:image/png;base64," + b64(png_bytes()))
    assert snapshot.extension == "png"


def test_text_that_is_not_base64_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as error:
        decode_base64("this is not base64!!")
    assert error.value.message_dict == {"image_base64": ["This is not valid base64."]}


def test_bytes_that_are_not_an_image_are_refused():
    with pytest.raises(ValidationError, match="not a readable JPEG, PNG or WebP"):
        verify_image(b"GIF89a but not really an image at all")


def test_a_truncated_jpeg_is_refused():
    with pytest.raises(ValidationError, match="not a readable"):
        verify_image(jpeg_bytes(320, 240)[:600])


def test_an_image_format_outside_the_list_is_refused_by_name():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "BMP")
    with pytest.raises(ValidationError, match="Unsupported image format BMP"):
        verify_image(buffer.getvalue())


def test_a_snapshot_over_the_limit_raises_too_large_before_decoding_everything():
    data = jpeg_bytes(320, 240)
    with pytest.raises(SnapshotTooLarge, match="larger than the limit of 100 bytes"):
        decode_base64(b64(data), max_bytes=100)
    assert decode_base64(b64(data), max_bytes=len(data)) == data


def test_an_empty_snapshot_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        decode_base64("")
