"""Recording segments on their way to the backend: a bounded folder of finished files, and the thread
that uploads them, oldest first, and deletes each once the backend has acknowledged it.

The folder is the spool: a file whose name parses as a ``SegmentName`` is a whole segment still to send
(the name carries its span and kind), so a restarted worker uploads what a killed one left, and a
``*.part`` / ``*.open.mp4`` file is a segment cut off mid-write, deleted at start. The folder holds at
most ``max_bytes``: past it the oldest segments are deleted and counted
(``cctv_segments_dropped_total{reason="spool_full"}``), as are segments older than their retention
(``expired``: the backend would delete them at once) and segments the backend refuses for good
(``rejected``). Nothing is dropped silently. Separate from the message spool: a backlog of
segments never holds up alerts, nor alerts segments.

Uploads are idempotent: the backend's key is camera + start, so a segment sent again after a lost answer
is stored once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cctv_worker.backoff import Backoff
from cctv_worker.capture.segments import SegmentName
from cctv_worker.delivery.client import BackendClient, Outcome
from cctv_worker.metrics import WorkerMetrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SpooledSegment:
    path: Path
    name: SegmentName
    size: int


class SegmentSpool:
    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        retention: Callable[[str], float],
        on_dropped: Callable[[str, int], None] = lambda reason, count: None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``retention(kind)``: seconds a segment of that kind is worth keeping at all."""
        self.directory = directory
        self.max_bytes = max_bytes
        self.retention = retention
        self.on_dropped = on_dropped
        self.wall_clock = wall_clock
        self._lock = threading.Lock()
        self._items: dict[str, SpooledSegment] = {}
        directory.mkdir(parents=True, exist_ok=True)
        for path in directory.iterdir():
            name = SegmentName.parse(path.name)
            if name is None:
                # A segment cut off mid-write (a killed worker), or a stray file: nothing can send it.
                path.unlink(missing_ok=True)
                continue
            self._items[path.name] = SpooledSegment(path, name, path.stat().st_size)
        self._enforce()

    def add(self, path: Path) -> None:
        name = SegmentName.parse(path.name)
        if name is None:
            raise ValueError(f"{path.name} is not a segment's name")
        with self._lock:
            self._items[path.name] = SpooledSegment(path, name, path.stat().st_size)
        self._enforce()

    def oldest(self) -> SpooledSegment | None:
        self._enforce()
        with self._lock:
            if not self._items:
                return None
            return min(self._items.values(), key=lambda item: item.name.start_us)

    def remove(self, item: SpooledSegment) -> None:
        with self._lock:
            self._items.pop(item.path.name, None)
        item.path.unlink(missing_ok=True)

    def drop(self, item: SpooledSegment, reason: str) -> None:
        self.remove(item)
        self.on_dropped(reason, 1)

    @property
    def bytes(self) -> int:
        with self._lock:
            return sum(item.size for item in self._items.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _enforce(self) -> None:
        """Drops expired segments, then the oldest until the folder fits ``max_bytes``."""
        now = self.wall_clock()
        expired: list[SpooledSegment] = []
        full: list[SpooledSegment] = []
        with self._lock:
            for item in list(self._items.values()):
                if item.name.end < now - self.retention(item.name.kind):
                    expired.append(self._items.pop(item.path.name))
            total = sum(item.size for item in self._items.values())
            for item in sorted(self._items.values(), key=lambda item: item.name.start_us):
                if total <= self.max_bytes:
                    break
                full.append(self._items.pop(item.path.name))
                total -= item.size
        for reason, items in (("expired", expired), ("spool_full", full)):
            for item in items:
                item.path.unlink(missing_ok=True)
            if items:
                log.warning(
                    "recording segments dropped before upload (%s): %d, oldest from %s",
                    reason,
                    len(items),
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(items[0].name.start)),
                )
                self.on_dropped(reason, len(items))


class SegmentUploader(threading.Thread):
    """Uploads the spool's segments, oldest first; backs off while the backend does not take them."""

    def __init__(
        self,
        spool: SegmentSpool,
        client: BackendClient,
        metrics: WorkerMetrics,
        *,
        camera_id: int,
        backoff: Backoff,
        idle_wait: float = 1.0,
    ) -> None:
        super().__init__(name="segment-uploader", daemon=True)
        self.spool, self.client, self.metrics = spool, client, metrics
        self.camera_id = camera_id
        self.backoff = backoff
        self.idle_wait = idle_wait
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            delay = self.send_once()
            if delay is None:
                self._wake.wait(self.idle_wait)
            else:
                self._wake.wait(delay)
            self._wake.clear()

    def send_once(self) -> float | None:
        """Uploads the oldest segment; None when the spool is empty, 0 to go on at once, else seconds to
        wait before the next try."""
        item = self.spool.oldest()
        self.metrics.segment_spool_bytes.set(self.spool.bytes)
        if item is None:
            return None
        result = self.client.send_segment(
            self.camera_id, item.path, start_us=item.name.start_us, end=item.name.end, kind=item.name.kind
        )
        if result.outcome is Outcome.DELIVERED:
            self.spool.remove(item)
            self.metrics.segments_uploaded.inc()
            self.metrics.segment_spool_bytes.set(self.spool.bytes)
            self.backoff.reset()
            return 0.0
        if result.outcome is Outcome.REJECTED:
            log.warning(
                "the backend refused recording segment %s (HTTP %s): %s",
                item.path.name,
                result.status,
                result.detail,
            )
            self.spool.drop(item, "rejected")
            return 0.0
        delay = result.retry_after if result.retry_after is not None else self.backoff.next_delay()
        log.info(
            "recording segment upload failed (%s); %d segment(s), %d bytes wait",
            result.failure,
            len(self.spool),
            self.spool.bytes,
        )
        return delay

    def drain(self, deadline: float) -> None:
        """Shutdown: uploads what it can until ``deadline`` (monotonic); the rest stays on disk."""
        while time.monotonic() < deadline:
            delay = self.send_once()
            if delay is None or delay > 0:
                return
