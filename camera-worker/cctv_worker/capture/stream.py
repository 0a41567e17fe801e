"""The capture thread: one connection per camera; demux packets, hand them to the packet sinks, decode
frames for the detector, reconnect forever.

Every video packet goes to each packet sink (``capture.sinks``: the clip recorder today, each behind
its own bounded queue, so none can hold capture up). Packets
are decoded according to the decode mode, which the worker may switch at run time: ``ALL`` frames (the
sampler then picks which ones are converted to images for the detector), ``KEYFRAMES`` only (FFmpeg
skips the rest: a fraction of the CPU, for when nothing moves), or ``NONE`` (a record-only stream when
detection reads a separate sub-stream). Decoded frames go through a one-slot ``Mailbox``: the detector
always gets the newest frame, and a frame it had no time for is counted as dropped instead of queueing
up latency.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from enum import StrEnum

import av
import cv2
import numpy as np

from cctv_common.redact import mask_url
from cctv_worker.backoff import Backoff
from cctv_worker.capture.packets import TimedPacket
from cctv_worker.capture.sampler import FrameSampler
from cctv_worker.capture.sinks import PacketSink
from cctv_worker.capture.source import (
    OpenedSource,
    describe_open_error,
    is_file_source,
    last_open_failure,
    open_source,
    set_open_failure,
)
from cctv_worker.capture.watchdog import StreamState, StreamStatus
from cctv_worker.metrics import WorkerMetrics

log = logging.getLogger(__name__)


class DecodeMode(StrEnum):
    ALL = "all"
    KEYFRAMES = "keyframes"
    NONE = "none"


# FFmpeg's AVDiscard names, as PyAV takes them for ``codec_context.skip_frame``.
_SKIP = {DecodeMode.ALL: "DEFAULT", DecodeMode.KEYFRAMES: "NONKEY"}


class Frame:
    """One decoded frame for the detector's loop. From the stream it holds FFmpeg's picture and makes
    the BGR ``image`` on first use: the motion gate only needs ``grey`` (a small copy of the luma
    plane), so a frame the gate finds still never pays the 1080p colour
    conversion (issue 13: most of an idle camera's decoding cost). Tests hand in an image directly."""

    __slots__ = ("_image", "_picture", "captured_at", "index", "keyframe")

    def __init__(
        self,
        image: np.ndarray | None,
        index: int,  # position in the stream since the last (re)connect
        captured_at: float,  # wall-clock time (for the alert's timestamp)
        keyframe: bool = False,
        *,
        picture: av.VideoFrame | None = None,
    ) -> None:
        if image is None and picture is None:
            raise ValueError("a frame needs an image or a picture")
        self._image, self._picture = image, picture
        self.index, self.captured_at, self.keyframe = index, captured_at, keyframe

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            assert self._picture is not None
            self._image = self._picture.to_ndarray(format="bgr24")
            self._picture = None  # FFmpeg's buffer goes back to its pool
        return self._image

    def grey(self, width: int) -> np.ndarray:
        """At most ``width`` pixels wide, for the motion check: from the picture's luma plane as it is (no
        colour conversion; grey levels stretched to full range, like OpenCV's grey of the BGR image), or
        the BGR image when there is one (the check shrinks and greys it itself)."""
        picture = self._picture
        if picture is None or self._image is not None:
            return self.image
        width = min(width, picture.width)
        height = max(1, round(picture.height * width / picture.width))
        if picture.format.name not in _LUMA_FIRST:
            return picture.reformat(width=width, height=height, format="gray").to_ndarray()
        plane = picture.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        # INTER_AREA averages the pixels it drops (a denoise); a copy either way, the picture is FFmpeg's.
        small = cv2.resize(luma, (width, height), interpolation=cv2.INTER_AREA)
        if picture.format.name.startswith("yuvj") or picture.color_range == _FULL_RANGE:
            return small
        return cv2.convertScaleAbs(small, alpha=255 / 219, beta=-16 * 255 / 219)  # 16..235 -> 0..255


# 8-bit formats whose first plane is the luma, one byte a pixel; FFmpeg's AVCOL_RANGE_JPEG.
_LUMA_FIRST = frozenset({"yuv420p", "yuvj420p", "nv12", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"})
_FULL_RANGE = 2


class Mailbox:
    """Holds at most one frame; ``put`` replaces an unread one and says so."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Frame | None = None

    def put(self, item: Frame) -> bool:
        with self._cond:
            replaced = self._item is not None
            self._item = item
            self._cond.notify()
            return replaced

    def get(self, timeout: float) -> Frame | None:
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item


class _Timestamps:
    """Fills in timestamps a stream leaves out (RTSP's first packets often have none), kept increasing."""

    def __init__(self, frame_ticks: int) -> None:
        self.frame_ticks = max(1, frame_ticks)
        self.last: int | None = None

    def of(self, packet: av.Packet) -> tuple[int, int]:
        dts = packet.dts if packet.dts is not None else packet.pts
        if dts is None or (self.last is not None and dts <= self.last):
            dts = (self.last + self.frame_ticks) if self.last is not None else 0
        self.last = dts
        pts = packet.pts if packet.pts is not None else dts
        return dts, pts


class CaptureThread(threading.Thread):
    def __init__(
        self,
        url: str,
        *,
        status: StreamStatus,
        sampler: FrameSampler,
        backoff: Backoff,
        mailbox: Mailbox,
        metrics: WorkerMetrics,
        open_timeout: float,
        stop: threading.Event,
        opener: Callable[[str, float], OpenedSource | None] = open_source,
        sinks: Sequence[PacketSink] = (),
        decode_mode: DecodeMode = DecodeMode.ALL,
        count_frames: bool = True,
    ) -> None:
        super().__init__(name="capture", daemon=True)
        self.url = url
        self.status = status
        self.sampler = sampler
        self.backoff = backoff
        self.mailbox = mailbox
        self.metrics = metrics
        self.open_timeout = open_timeout
        self.stop_event = stop
        self.opener = opener
        self.sinks = tuple(sinks)
        self.decode_mode = decode_mode  # read once per packet: switching needs no lock
        self.count_frames = count_frames  # False for a record-only stream beside a detection sub-stream
        self._pace = is_file_source(url)  # files play at their own frame rate, like a camera would

    def set_decode_mode(self, mode: DecodeMode) -> None:
        """Takes effect at the next packet (issue 13's motion gate: keyframes only while nothing moves)."""
        self.decode_mode = DecodeMode(mode)

    def run(self) -> None:
        first = True
        while not self.stop_event.is_set():
            if not first and self.count_frames:
                self.metrics.stream_reconnects.inc()
            first = False
            try:
                self._connect_and_read()
            except Exception:
                # A bug or an FFmpeg error must not end capture for good: log it and reconnect.
                log.exception("capture failed; reconnecting")
            if self.stop_event.is_set():
                break
            delay = self.backoff.next_delay()
            log.info("reconnecting in %.1f s", delay, extra={"attempt": self.backoff.attempts})
            self.stop_event.wait(delay)
        self.status.set_state(StreamState.DOWN)
        if self.count_frames:
            self.metrics.stream_up.set(0)

    def _set_up(self, up: bool) -> None:
        if self.count_frames:
            self.metrics.stream_up.set(1 if up else 0)
            if not up:
                self.metrics.stream_fps.set(0)

    def _connect_and_read(self) -> None:
        self.status.set_state(StreamState.CONNECTING)
        self.status.reconnect_requested.clear()
        started = time.monotonic()
        set_open_failure("")  # an opener that gives no reason must not show the previous one
        source = self.opener(self.url, self.open_timeout)
        if source is None:
            reason = last_open_failure() or "cannot open the stream"
            self.status.set_error(reason)
            self.status.set_state(StreamState.DOWN)
            self._set_up(False)
            log.warning(
                "cannot open stream %s (after %.1f s): %s",
                mask_url(self.url),
                time.monotonic() - started,
                reason,
            )
            return
        try:
            self.status.set_error("")
            self.status.set_state(StreamState.UP)
            self._set_up(True)
            log.info("stream opened: %s", mask_url(self.url))
            self._read_loop(source)
        except (av.FFmpegError, OSError) as error:
            self.status.set_error(f"the stream broke: {describe_open_error(error, self.open_timeout)}")
            log.warning("stream %s failed: %s", mask_url(self.url), error)
        finally:
            # Before the input closes: a sink may still read the stream's codec parameters until then.
            for sink in self.sinks:
                sink.on_disconnect()
            source.close()
            self.status.set_state(StreamState.DOWN)
            self._set_up(False)

    def _read_loop(self, source: OpenedSource) -> None:
        self.sampler.reset()
        video = source.video
        for sink in self.sinks:
            sink.on_connect(video)
        fps = source.fps()
        time_base = source.time_base
        stamps = _Timestamps(round(1 / (fps * time_base)) if fps else 1)
        skip = None
        mode = self.decode_mode
        index = 0
        first_ts: float | None = None
        paced_start = time.monotonic()
        for packet in source.container.demux(video):
            if self.stop_event.is_set():
                return
            if self.status.reconnect_requested.is_set():
                log.warning("stream stalled: no frame for %.1f s", self.status.stall_timeout)
                return
            if packet.size == 0:
                continue  # the flush packet at the end of a file
            dts, pts = stamps.of(packet)
            if self._pace:
                # Files play at their own rate: wait until this packet is due.
                seconds = float(dts * time_base)
                first_ts = seconds if first_ts is None else first_ts
                delay = paced_start + (seconds - first_ts) - time.monotonic()
                if delay > 0 and self.stop_event.wait(delay):
                    return
            wall = time.time()
            self.status.frame_seen()
            if index == 0:
                self.backoff.reset()  # a stream that delivers is healthy; one that only accepts is not
            if self.count_frames:
                self.metrics.frames_read.inc()
                self.metrics.last_frame_timestamp.set(wall)
            if self.sinks:
                item = TimedPacket(packet, wall, dts, pts, time_base, bool(packet.is_keyframe), packet.size)
                for sink in self.sinks:
                    sink.on_packet(item)
            wanted_mode = self.decode_mode
            # Back to all frames only at a keyframe: the frames before it reference pictures never decoded.
            if wanted_mode is not DecodeMode.ALL or packet.is_keyframe or mode is DecodeMode.ALL:
                mode = wanted_mode
            if mode is not DecodeMode.NONE:
                if skip != _SKIP[mode]:
                    skip = _SKIP[mode]
                    video.codec_context.skip_frame = skip
                self._decode(packet, index, wall, mode)
            index += 1

    def _decode(self, packet: av.Packet, index: int, wall: float, mode: DecodeMode) -> None:
        keyframe = bool(packet.is_keyframe)
        if mode is DecodeMode.KEYFRAMES:
            # FFmpeg would skip the other frames anyway: do not even hand them over, nor a keyframe the
            # sampler does not want yet (a keyframe needs no other picture, so none is missed).
            if not keyframe or not self.sampler.keyframe_due(index, time.monotonic()):
                return
            wanted = True
        else:
            # Sampled: only the chosen frames are handed on (and may pay for the conversion to BGR).
            wanted = self.sampler.should_decode(index, time.monotonic())
        try:
            frames = packet.decode()
        except av.FFmpegError as error:  # one corrupt packet costs one frame, not the connection
            log.debug("cannot decode a packet: %s", error)
            return
        if not wanted:
            return
        for frame in frames:
            # The BGR conversion waits for the detector's loop (Frame.image): it may not be needed.
            if self.mailbox.put(Frame(None, index, wall, keyframe, picture=frame)):
                self.metrics.frames_dropped.inc()
