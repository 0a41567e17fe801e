"""Real MP4 clips for tests: H.264 encoded with PyAV's bundled FFmpeg (libx264), index at the front."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def make_mp4(
    path: Path, *, seconds: float = 2.0, fps: int = 10, size: tuple[int, int] = (160, 120), seed: int = 0
) -> Path:
    """A small moving-gradient video as an MP4 a browser plays (yuv420p, faststart)."""
    width, height = size
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": str(fps), "preset": "ultrafast"}
        xs = np.arange(width, dtype=np.uint16)
        for index in range(round(seconds * fps)):
            row = ((xs + index * 7 + seed * 31) % 256).astype(np.uint8)
            image = np.repeat(np.repeat(row[None, :, None], height, axis=0), 3, axis=2)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
