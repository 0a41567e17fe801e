"""Packet sinks: what the capture thread hands every video packet to (today the clip recorder; live
viewing and continuous recording are the next ones).

One small protocol, ``PacketSink`` (connect, packet, disconnect), and one rule: no sink may block
capture. ``QueuedSink`` runs a sink on its own thread behind a bounded queue; when the queue is full,
packets are dropped up to the next keyframe (a sink can only resume at one: the packets between
reference pictures it never got) and counted (``cctv_sink_packets_dropped_total{sink}``). Connects and
disconnects are never dropped. A disconnect waits, boundedly, for the sink to finish the connection's
packets: the capture thread closes its input only after that (a sink may still read the stream's codec
parameters until then).

A sink that need not see each packet at once (recording segments and clips, not the live view) is run
with ``batch_seconds``: packets are queued without waking its thread, which takes what has gathered every
``batch_seconds`` (or sooner, once half the queue is full). One wake-up per batch instead of one per
packet: the thread switches were most of recording's CPU cost (bench/bench_recording.py).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from cctv_worker.capture.packets import TimedPacket

log = logging.getLogger(__name__)

# About 20 s of a 30 fps stream: a sink that falls further behind loses packets, never capture time.
DEFAULT_MAX_PACKETS = 600
DISCONNECT_WAIT_SECONDS = 10.0


class PacketSink(Protocol):
    def on_connect(self, template: Any) -> None:
        """A new connection: ``template`` is its video stream (codec parameters for a remux)."""
        ...

    def on_packet(self, item: TimedPacket) -> None:
        """One video packet of the connection, in stream order."""
        ...

    def on_disconnect(self) -> None:
        """The connection ended: nothing of it follows (the next one starts with ``on_connect``)."""
        ...


_CONNECT, _PACKET, _DISCONNECT, _STOP = "connect", "packet", "disconnect", "stop"


class QueuedSink:
    """``sink`` on its own thread behind a queue of at most ``max_packets`` packets."""

    def __init__(
        self,
        sink: PacketSink,
        *,
        name: str,
        max_packets: int = DEFAULT_MAX_PACKETS,
        on_dropped: Callable[[], None] = lambda: None,
        disconnect_wait: float = DISCONNECT_WAIT_SECONDS,
        batch_seconds: float = 0.0,
    ) -> None:
        self.sink, self.name, self.max_packets = sink, name, max_packets
        self.on_dropped, self.disconnect_wait = on_dropped, disconnect_wait
        self.batch_seconds = batch_seconds
        self._cond = threading.Condition()
        self._items: deque[tuple[str, Any]] = deque()
        # Packets in the queue; dropping until a keyframe; items queued and handled so far (a
        # disconnect waits for its own number to be handled).
        self._packets, self._dropping = 0, False
        self._queued = self._done = 0
        self._thread = threading.Thread(target=self._run, name=f"sink-{name}", daemon=True)
        self._thread.start()

    @property
    def backlog(self) -> int:
        """Packets queued and not yet handed to the sink."""
        with self._cond:
            return self._packets

    # ---- the capture thread's side: never blocks but at a disconnect ----

    def on_connect(self, template: Any) -> None:
        self._put(_CONNECT, template)

    def on_packet(self, item: TimedPacket) -> None:
        with self._cond:
            if (self._dropping and not item.keyframe) or self._packets >= self.max_packets:
                self._dropping = True
                dropped = True
            else:
                self._dropping = False
                dropped = False
                self._packets += 1
                # Batched: the thread finds the packet at its next turn, unless the queue fills up.
                wake = not self.batch_seconds or self._packets >= self.max_packets // 2
                self._append(_PACKET, item, wake=wake)
        if dropped:
            self.on_dropped()

    def on_disconnect(self) -> None:
        ticket = self._put(_DISCONNECT, None)
        with self._cond:
            if not self._cond.wait_for(lambda: self._done >= ticket, timeout=self.disconnect_wait):
                log.warning("packet sink %s is still busy after %.0f s", self.name, self.disconnect_wait)

    def close(self, timeout: float = DISCONNECT_WAIT_SECONDS) -> None:
        """Handle what is queued, then stop the thread."""
        self._put(_STOP, None)
        self._thread.join(timeout)

    def _put(self, kind: str, value: Any) -> int:
        with self._cond:
            return self._append(kind, value)

    def _append(self, kind: str, value: Any, *, wake: bool = True) -> int:
        self._items.append((kind, value))
        self._queued += 1
        if wake:
            self._cond.notify_all()
        return self._queued

    # ---- the sink's thread ----

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items:
                    self._cond.wait(self.batch_seconds or None)
                items = list(self._items)  # all that has gathered: one lock turn per batch
                self._items.clear()
                self._packets -= sum(1 for kind, _ in items if kind == _PACKET)
            stop = False
            for kind, value in items:
                try:
                    if kind == _PACKET:
                        self.sink.on_packet(value)
                    elif kind == _CONNECT:
                        self.sink.on_connect(value)
                    elif kind == _DISCONNECT:
                        self.sink.on_disconnect()
                except Exception:
                    # One sink's bug must cost that sink its packet, never the others or capture.
                    log.exception("packet sink %s failed on a %s", self.name, kind)
                stop = stop or kind == _STOP
            with self._cond:
                self._done += len(items)
                self._cond.notify_all()
            if stop:
                return
