"""The clips being cut from one stream: each starts ``pre_roll`` before its event (from the pre-roll
ring) and ends when the event loop says when (its end plus ``post_roll``).

A packet sink (``capture.sinks``). Thread-safe: the event loop calls ``start`` / ``stop``; the sink's
thread (behind its queue, in the worker) calls ``on_connect``, ``on_packet`` for every video packet and
``on_disconnect``. A finished clip is handed to ``on_finished`` (the worker spools it for upload) from
that thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cctv_worker.capture.clip_writer import ClipFile, ClipWriter
from cctv_worker.capture.packets import PreRoll, TimedPacket

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FinishedClip:
    event_key: str
    segment: int  # 0 for an event's first clip; more when a closed event was reopened after its clip ended
    file: ClipFile


@dataclass(slots=True)
class _Pending:
    event_key: str
    segment: int
    since: float
    until: float | None = None
    hard_until: float = 0.0
    writer: ClipWriter | None = field(default=None, repr=False)


class Recorder:
    def __init__(
        self,
        directory: Path,
        *,
        pre_roll: float,
        max_seconds: float,
        on_finished: Callable[[FinishedClip], None],
        preroll: PreRoll | None = None,
        lag: float = 0.0,
    ) -> None:
        self.directory = directory
        self.pre_roll = pre_roll
        self.max_seconds = max_seconds  # a hard cap per clip, whatever the event loop asks
        self.on_finished = on_finished
        # The ring keeps the pre-roll plus how late the detector may see a frame (``lag``): an event
        # opens at its frame's capture time, which a busy detector reaches seconds later.
        self.preroll = preroll or PreRoll(pre_roll + lag)
        self._lock = threading.Lock()
        self._clips: dict[str, _Pending] = {}
        self._segments: dict[str, int] = {}
        self._template: Any = None

    # ---- event loop side ----

    def start(self, event_key: str, *, at: float) -> int:
        """Starts the event's clip at ``at - pre_roll`` (or keeps its running one); returns its segment."""
        with self._lock:
            running = self._clips.get(event_key)
            if running is not None:
                running.until = None
                return running.segment
            segment = self._segments.get(event_key, -1) + 1
            self._segments[event_key] = segment
            since = at - self.pre_roll
            self._clips[event_key] = _Pending(event_key, segment, since, hard_until=since + self.max_seconds)
            return segment

    def resume(self, event_key: str, *, segment: int, at: float) -> int:
        """Starts a clip for an event taken over from another worker, as its segment ``segment`` (the
        ones before it are that worker's)."""
        with self._lock:
            self._segments[event_key] = max(self._segments.get(event_key, -1), segment - 1)
        return self.start(event_key, at=at)

    def stop(self, event_key: str, *, at: float) -> None:
        """The clip ends with the first packet at or after ``at`` (the event's end plus post-roll)."""
        with self._lock:
            running = self._clips.get(event_key)
            if running is not None:
                running.until = at

    def recording(self, event_key: str) -> bool:
        with self._lock:
            return event_key in self._clips

    def forget(self, event_key: str) -> None:
        """The event is over for good: its segment count is no longer needed."""
        with self._lock:
            if event_key not in self._clips:
                self._segments.pop(event_key, None)

    # ---- capture thread side ----

    def on_connect(self, template: Any) -> None:
        with self._lock:
            self._template = template
        self.preroll.clear()

    def on_packet(self, item: TimedPacket) -> None:
        self.preroll.add(item)
        finished: list[tuple[_Pending, ClipWriter]] = []
        with self._lock:
            for key, clip in list(self._clips.items()):
                if clip.writer is None:
                    clip.writer = self._open(clip)
                    if clip.writer is None:
                        continue
                    for old in self.preroll.since(clip.since):
                        if old is not item:
                            clip.writer.write(old)
                clip.writer.write(item)
                if (clip.until is not None and item.wall >= clip.until) or item.wall >= clip.hard_until:
                    finished.append((clip, clip.writer))
                    del self._clips[key]
        for clip, writer in finished:
            self._finish(clip, writer)

    def on_disconnect(self) -> None:
        """The stream broke: running clips end here (a new connection has new timestamps and parameters);
        the event loop's next ``start`` for a still-open event begins a new segment."""
        with self._lock:
            running = [(c, c.writer) for c in self._clips.values() if c.writer is not None]
            for clip, _ in running:
                del self._clips[clip.event_key]
            self._template = None
        for clip, writer in running:
            self._finish(clip, writer)
        self.preroll.clear()

    def close(self) -> None:
        """Shutdown: what was recorded so far is kept as clips (a clip cut short beats none)."""
        self.on_disconnect()
        with self._lock:
            self._clips.clear()

    def _open(self, clip: _Pending) -> ClipWriter | None:
        if self._template is None:
            return None
        path = self.directory / f"{clip.event_key}-{clip.segment}.mp4"
        try:
            return ClipWriter(path, self._template)
        except Exception:
            log.exception("cannot start a clip for event %s", clip.event_key)
            return None

    def _finish(self, clip: _Pending, writer: ClipWriter) -> None:
        try:
            done = writer.close()
        except Exception:
            log.exception("cannot finish the clip of event %s", clip.event_key)
            writer.abort()
            return
        if done is not None:
            self.on_finished(FinishedClip(clip.event_key, clip.segment, done))
