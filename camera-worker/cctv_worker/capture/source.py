"""Opening a video source with PyAV (FFmpeg's libraries): RTSP over TCP with open/read timeouts.

The only module that opens streams. One connection per camera serves both detection (decoded frames)
and clips (the stream's own packets, remuxed without re-encoding): cameras often allow only 2 to 4
RTSP sessions. Without the timeouts a stalled RTSP server blocks a read for about a minute; with them
PyAV's interrupt callback ends it within STREAM_TIMEOUT.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container
import av.video.stream

log = logging.getLogger(__name__)

# UDP loses packets (grey smears) and does not pass most NATs/firewalls; cameras all speak TCP.
_RTSP_OPTIONS = {"rtsp_transport": "tcp"}


# Why the calling thread's last open failed: openers return None (their contract), and the capture
# thread that called one reads the reason here to show it (camera state, /readyz, its log).
_failure = threading.local()


def last_open_failure() -> str:
    """Why this thread's last ``open_source`` (or a policy refusal) gave no source; "" when unknown."""
    return str(getattr(_failure, "reason", ""))


def set_open_failure(reason: str) -> None:
    _failure.reason = reason


def describe_open_error(error: BaseException, timeout_s: float) -> str:
    """FFmpeg's reason in a user's words, never with the URL (its password) in it."""
    for kind, text in (
        (av.error.HTTPUnauthorizedError, "unauthorized (401): wrong user name or password"),
        (av.error.HTTPForbiddenError, "forbidden (403)"),
        (av.error.HTTPNotFoundError, "not found (404): wrong stream path"),
        (ConnectionRefusedError, "connection refused: nothing listens at that address and port"),
        (av.error.ExitError, f"no answer within {timeout_s:g} s (STREAM_TIMEOUT)"),
        (TimeoutError, f"no answer within {timeout_s:g} s (STREAM_TIMEOUT)"),
        (av.error.InvalidDataError, "not a stream FFmpeg can read (invalid data, or an unsupported codec)"),
    ):
        if isinstance(error, kind):
            return text
    return f"{type(error).__name__}: {getattr(error, 'strerror', None) or 'cannot open the stream'}"


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
    set_open_failure("")
    if is_file_source(url):
        path = url.removeprefix("file://")
        if not Path(path).is_file():
            set_open_failure("no such file")
            return None
        url = path
    elif url.startswith(("rtsp://", "rtsps://")):
        options = dict(_RTSP_OPTIONS)
    try:
        container = av.open(url, options=options, timeout=(timeout_s, timeout_s))
    except (av.FFmpegError, OSError) as error:
        set_open_failure(describe_open_error(error, timeout_s))
        log.debug("cannot open source: %s", type(error).__name__)
        return None
    if not container.streams.video:
        container.close()
        set_open_failure("the source has no video stream")
        log.warning("the source has no video stream")
        return None
    return OpenedSource(container, container.streams.video[0])
