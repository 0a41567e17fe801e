"""Opening a video source with PyAV (FFmpeg's libraries): RTSP over TCP with open/read timeouts.

The only module that opens streams. One connection per camera serves both detection (decoded frames)
and clips (the stream's own packets, remuxed without re-encoding): cameras often allow only 2 to 4
RTSP sessions. Without the timeouts a stalled RTSP server blocks a read for about a minute; with them
PyAV's interrupt callback ends it within STREAM_TIMEOUT.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container
import av.video.stream

log = logging.getLogger(__name__)

# UDP loses packets (grey smears) and does not pass most NATs/firewalls; cameras all speak TCP.
_RTSP_OPTIONS = {"rtsp_transport": "tcp"}


def is_file_source(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


@dataclass(slots=True)
class OpenedSource:
    container: av.container.InputContainer
    video: av.video.stream.VideoStream

    @property
    def time_base(self) -> Fraction:
        return self.video.time_base or Fraction(1, 90_000)

    def fps(self) -> float:
        rate = self.video.average_rate or self.video.guessed_rate
        fps = float(rate) if rate else 0.0
        return fps if 0.5 <= fps <= 240.0 else 0.0

    def close(self) -> None:
        try:
            self.container.close()
        except av.FFmpegError:  # closing a broken connection must not hide why it broke
            log.debug("error while closing the stream", exc_info=True)


def open_source(url: str, timeout_s: float) -> OpenedSource | None:
    """Returns the opened source, or None when it cannot be opened within ``timeout_s`` or has no video."""
    options: dict[str, str] = {}
    if is_file_source(url):
        path = url.removeprefix("file://")
        if not Path(path).is_file():
            return None
        url = path
    elif url.startswith(("rtsp://", "rtsps://")):
        options = dict(_RTSP_OPTIONS)
    try:
        container = av.open(url, options=options, timeout=(timeout_s, timeout_s))
    except (av.FFmpegError, OSError) as error:
        log.debug("cannot open source: %s", type(error).__name__)
        return None
    if not container.streams.video:
        container.close()
        log.warning("the source has no video stream")
        return None
    return OpenedSource(container, container.streams.video[0])
