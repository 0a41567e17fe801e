"""Opening a video source with OpenCV's FFmpeg backend: RTSP over TCP with open/read timeouts.

The only module that calls ``cv2.VideoCapture``. Without the timeouts a stalled RTSP server blocks
``read()`` for about 60 s (measured on this machine); with them it returns within STREAM_TIMEOUT.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

# UDP loses packets (grey smears) and does not pass most NATs/firewalls; cameras all speak TCP.
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")


class VideoSource(Protocol):
    def grab(self) -> bool: ...
    def retrieve(self) -> tuple[bool, np.ndarray | None]: ...
    def read(self) -> tuple[bool, np.ndarray | None]: ...
    def release(self) -> None: ...
    def get(self, prop: int) -> float: ...


def is_file_source(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def open_source(url: str, timeout_s: float) -> VideoSource | None:
    """Returns an opened capture, or None when the source cannot be opened within ``timeout_s``."""
    if is_file_source(url):
        path = url.removeprefix("file://")
        if not Path(path).is_file():
            return None
        url = path
    ms = int(timeout_s * 1000)
    cap = cv2.VideoCapture(
        url, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
    )
    if not cap.isOpened():
        cap.release()
        return None
    return cap


def source_fps(cap: VideoSource) -> float:
    fps = cap.get(cv2.CAP_PROP_FPS)
    return fps if 0.5 <= fps <= 240.0 else 0.0
