"""Real images and file listings for the backend tests."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image, ImageDraw


def jpeg_bytes(width: int = 160, height: int = 120, *, quality: int = 80, seed: int = 0) -> bytes:
    """A real JPEG: a dark frame with a lighter box (``seed`` moves it, to make distinct images)."""
    image = Image.new("RGB", (width, height), (30, 40, 50))
    left = (seed * 7) % (width // 2)
    ImageDraw.Draw(image).rectangle([left, height // 4, left + width // 3, height - 5], fill=(200, 180, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def jpeg_base64(**kwargs) -> str:
    return base64.b64encode(jpeg_bytes(**kwargs)).decode()


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in Path(root).rglob("*") if path.is_file())
