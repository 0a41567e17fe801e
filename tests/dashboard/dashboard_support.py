"""Test data shared by the dashboard tests."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw


def snapshot_base64(width: int = 320, height: int = 180, colour=(40, 60, 80)) -> str:
    """A small real JPEG (a dark frame with a lighter 'object'), base64 as a worker sends it."""
    image = Image.new("RGB", (width, height), colour)
    ImageDraw.Draw(image).rectangle(
        [width * 0.4, height * 0.3, width * 0.6, height * 0.9], fill=(200, 180, 120)
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return base64.b64encode(buffer.getvalue()).decode()
