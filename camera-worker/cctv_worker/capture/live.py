"""Live view: the stream's own packets remuxed to fragmented MP4 (no decode, no re-encode) for the
viewers connected right now.

``LiveSink`` is a packet sink. While nobody watches it does nothing: the capture thread's gate
(``LiveGate``) does not even queue packets for it, and no muxer exists. When the first viewer attaches,
the next keyframe opens a muxer (``movflags`` ``empty_moov`` + ``frag_every_frame``: the init segment,
then one ``moof``+``mdat`` fragment per packet, so a frame reaches the viewer one frame after it
arrived); when the last viewer leaves, the muxer is closed.

Every viewer gets the init segment, then fragments from a keyframe on (a viewer attaching mid-stream
waits for the next one). Each viewer has a bounded buffer: one that falls ``max_buffer_bytes`` behind is
dropped, never buffered without bound. A stream that disconnects ends every viewer (the player opens a
new session, which gets the new connection's init segment).
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import av

from cctv_worker.capture.packets import TimedPacket
from cctv_worker.capture.sinks import PacketSink

log = logging.getLogger(__name__)

_MOVFLAGS = "empty_moov+default_base_moof+frag_keyframe+frag_every_frame"
DEFAULT_MAX_BUFFER_BYTES = 4 * 1024 * 1024  # a few seconds of a 1080p stream


def mse_codec(template: Any) -> str:
    """The RFC 6381 codec string a browser's ``MediaSource.isTypeSupported`` checks (``avc1.64001f``), or
    the stream's codec name when it is not H.264 (a browser cannot play it from an MP4 fragment)."""
    name = template.codec_context.name
    extradata = template.codec_context.extradata or b""
    if name == "h264" and len(extradata) >= 4 and extradata[0] == 1:  # avcC: profile, constraints, level
        return "avc1." + extradata[1:4].hex()
    if name == "h264" and extradata:
        sps = _annexb_sps(extradata)
        if sps is not None:
            return "avc1." + sps.hex()
    return name


def _annexb_sps(data: bytes) -> bytes | None:
    for start in (i for i in range(len(data) - 4) if data[i : i + 3] == b"\x00\x00\x01"):
        if data[start + 3] & 0x1F == 7 and start + 7 <= len(data):
            return data[start + 4 : start + 7]
    return None


class Viewer:
    """One connected viewer: chunks of fMP4 to send, in order. ``next_chunk`` is the reader's side."""

    def __init__(self, max_buffer_bytes: int) -> None:
        self.max_buffer_bytes = max_buffer_bytes
        self._cond = threading.Condition()
        self._chunks: deque[bytes] = deque()
        self._bytes = 0
        self.started = False  # has had its init segment and a keyframe fragment
        self.ended = False
        self.dropped = False  # ended because it fell behind

    def put(self, chunk: bytes) -> bool:
        """Queues ``chunk``; False (and the viewer is ended) when that would exceed its buffer."""
        with self._cond:
            if self.ended:
                return False
            if self._bytes + len(chunk) > self.max_buffer_bytes:
                self.ended = self.dropped = True
                self._chunks.clear()
                self._cond.notify_all()
                return False
            self._chunks.append(chunk)
            self._bytes += len(chunk)
            self._cond.notify_all()
            return True

    def offer(self, init: bytes, keyframe: bool, seconds: float, wall: float, fragment: bytes) -> bool:
        """Takes the muxer's next fragment (``init``: the connection's init segment; ``seconds``: stream
        time, ``wall``: when its packet arrived); False once this viewer has been dropped."""
        if not self.started:
            if not keyframe:
                return True  # a viewer starts at a keyframe
            self.started = self.put(init)
            if not self.started:
                return False
        return self.put(fragment)

    def end(self) -> None:
        with self._cond:
            self.ended = True
            self._cond.notify_all()

    def wait_ended(self, timeout: float) -> bool:
        """Waits up to ``timeout`` for the viewer to end; whether it has."""
        with self._cond:
            return self._cond.wait_for(lambda: self.ended, timeout=timeout)

    def next_chunk(self, timeout: float) -> bytes | None:
        """The next chunk; ``b""`` when none came within ``timeout``; None once the viewer has ended."""
        with self._cond:
            self._cond.wait_for(lambda: self._chunks or self.ended, timeout=timeout)
            if self._chunks:
                chunk = self._chunks.popleft()
                self._bytes -= len(chunk)
                return chunk
            return None if self.ended else b""


class _FragmentSink(io.RawIOBase):
    """The muxer's output file: collects what it writes; ``take`` splits it into whole top-level boxes."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        return len(data)

    def take_boxes(self) -> list[tuple[bytes, bytes]]:
        """(type, bytes) of each complete box written so far."""
        boxes = []
        while len(self._buffer) >= 8:
            size = int.from_bytes(self._buffer[:4], "big")
            if size < 8 or len(self._buffer) < size:
                break  # a box still being written (the muxer writes whole fragments, so rare)
            boxes.append((bytes(self._buffer[4:8]), bytes(self._buffer[:size])))
            del self._buffer[:size]
        return boxes


class _Muxer:
    """A fragmented-MP4 muxer for one stream connection from one keyframe on."""

    def __init__(self, template: Any) -> None:
        self._file = _FragmentSink()
        self._out = av.open(self._file, "w", format="mp4", options={"movflags": _MOVFLAGS})
        self._stream = self._out.add_stream_from_template(template)
        self._base: int | None = None
        self._last_dts = -1
        # (keyframe, stream seconds, arrival) of the packets muxed and not yet written as a fragment
        self._pending: deque[tuple[bool, float, float]] = deque()
        self._moof: bytes | None = None
        self.init_segment = b""

    def add(self, item: TimedPacket) -> list[tuple[bool, float, float, bytes]]:
        """Muxes ``item``; returns the fragments completed so far as (starts with a keyframe, stream
        seconds, arrival time, bytes)."""
        if self._base is None:
            self._base = item.dts
        dts = max(item.dts - self._base, self._last_dts + 1)  # muxers refuse non-increasing dts
        copy = av.Packet(bytes(item.packet))  # other sinks read the same packet: never mutate it
        copy.dts, copy.pts = dts, max(dts, item.pts - self._base)
        copy.time_base, copy.is_keyframe, copy.stream = item.time_base, item.keyframe, self._stream
        self._pending.append((item.keyframe, item.seconds, item.wall))
        self._out.mux(copy)
        self._last_dts = dts
        return self._fragments()

    def _fragments(self) -> list[tuple[bool, float, float, bytes]]:
        fragments = []
        for kind, box in self._file.take_boxes():
            if kind in (b"ftyp", b"moov"):
                self.init_segment += box
            elif kind == b"moof":
                self._moof = box
            elif kind == b"mdat" and self._moof is not None:
                keyframe, seconds, wall = self._pending.popleft() if self._pending else (False, 0.0, 0.0)
                fragments.append((keyframe, seconds, wall, self._moof + box))
                self._moof = None
        return fragments

    def close(self) -> None:
        with contextlib.suppress(av.FFmpegError, ValueError):  # the stream ended mid-fragment
            self._out.close()


class LiveSink(PacketSink):
    """The packet sink of live viewing. ``attach``/``detach`` are called from the serving threads."""

    def __init__(
        self,
        *,
        max_viewers: int,
        max_buffer_bytes: int = DEFAULT_MAX_BUFFER_BYTES,
        on_viewers: Callable[[int], None] = lambda count: None,
    ) -> None:
        self.max_viewers = max_viewers
        self.max_buffer_bytes = max_buffer_bytes
        self.on_viewers = on_viewers
        self._lock = threading.Lock()
        self._viewers: list[Viewer] = []
        self._template: Any = None
        self._codec: str | None = None
        self._muxer: _Muxer | None = None

    # ---- what the serving side reads ----

    @property
    def watched(self) -> bool:
        """Read by the capture thread for every packet: a plain attribute read, no lock."""
        return bool(self._viewers)

    @property
    def needs_packets(self) -> bool:
        """Watched, or a muxer still open (the next packet closes it): the gate's question, no lock."""
        return bool(self._viewers) or self._muxer is not None

    @property
    def viewers(self) -> int:
        return len(self._viewers)

    @property
    def codec(self) -> str | None:
        """The current connection's codec string (``mse_codec``), None while disconnected."""
        return self._codec

    def attach(self) -> Viewer | None:
        """A new viewer, or None when ``max_viewers`` are watching."""
        viewer = Viewer(self.max_buffer_bytes)
        return viewer if self.attach_viewer(viewer) else None

    def attach_viewer(self, viewer: Viewer) -> bool:
        """Adds ``viewer`` (any kind: an HLS session is one); False when ``max_viewers`` are watching."""
        with self._lock:
            if len(self._viewers) >= self.max_viewers:
                return False
            self._viewers = [*self._viewers, viewer]
            count = len(self._viewers)
        self.on_viewers(count)
        return True

    def detach(self, viewer: Viewer) -> None:
        viewer.end()
        with self._lock:
            self._viewers = [v for v in self._viewers if v is not viewer]
            count = len(self._viewers)
        self.on_viewers(count)

    # ---- the packet sink (its own thread) ----

    def on_connect(self, template: Any) -> None:
        with self._lock:
            self._template = template
            self._codec = mse_codec(template)

    def on_packet(self, item: TimedPacket) -> None:
        with self._lock:
            viewers = [v for v in self._viewers if not v.ended]
            if not viewers or self._template is None:
                self._close_muxer()  # nobody watches: no muxer, no buffers
                return
            if self._muxer is None:
                if not item.keyframe:
                    return  # a viewer can only start at a keyframe
                self._muxer = _Muxer(self._template)
            muxer = self._muxer
        for keyframe, seconds, wall, fragment in muxer.add(item):
            for viewer in viewers:
                if not viewer.ended and not viewer.offer(
                    muxer.init_segment, keyframe, seconds, wall, fragment
                ):
                    log.info("live viewer dropped: it fell %d bytes behind", self.max_buffer_bytes)

    def on_disconnect(self) -> None:
        with self._lock:
            self._close_muxer()
            self._template = self._codec = None
            viewers = list(self._viewers)
        for viewer in viewers:
            viewer.end()  # the stream is gone: the player reconnects and gets the next connection's init

    def _close_muxer(self) -> None:
        if self._muxer is not None:
            self._muxer.close()
            self._muxer = None


class LiveGate(PacketSink):
    """Passes packets to ``sink`` (a queued ``LiveSink``) only while ``live`` is watched: with nobody
    watching, capture does not even queue them. Connects and disconnects always pass."""

    def __init__(self, sink: PacketSink, live: LiveSink) -> None:
        self.sink, self.live = sink, live

    def on_connect(self, template: Any) -> None:
        self.sink.on_connect(template)

    def on_packet(self, item: TimedPacket) -> None:
        if self.live.needs_packets:
            self.sink.on_packet(item)

    def on_disconnect(self) -> None:
        self.sink.on_disconnect()
