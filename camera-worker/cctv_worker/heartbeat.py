"""Heartbeats: the stream's state and frame rate, posted to the backend every HEARTBEAT_INTERVAL
so that the dashboard can show the camera online or offline."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from cctv_worker.capture.watchdog import StreamStatus
from cctv_worker.delivery.client import BackendClient

log = logging.getLogger(__name__)


class HeartbeatThread(threading.Thread):
    def __init__(
        self,
        client: BackendClient,
        camera_id: int,
        status: StreamStatus,
        interval: float,
        *,
        on_accepted: Callable[[], None] | None = None,
        open_events: Callable[[], list[str]] | None = None,
        problem: Callable[[], str | None] | None = None,
        producible_types: Callable[[], list[str]] | None = None,
        live: Callable[[], dict[str, object] | None] | None = None,
    ) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.on_accepted = on_accepted  # the backend is up: the sender need not wait out its backoff
        # The keys of the worker's open events: the backend closes the camera's others (orphans of a
        # worker killed mid-event). None: not reported (the backend then closes nothing).
        self.open_events = open_events
        # What stops this camera's events from arriving, for the dashboard's camera state (None: nothing).
        self.problem = problem
        # The alert types its model can raise (the camera form's hint); None: not reported.
        self.producible_types = producible_types
        self.live = live  # the live view's address, key and codec (None: no live view)
        self.client = client
        self.camera_id = camera_id
        self.status = status
        self.interval = interval
        self.stop_event = threading.Event()
        self._ok: bool | None = None

    def beat(self) -> bool:
        open_events = self.open_events() if self.open_events is not None else None
        problem = self.problem() if self.problem is not None else None
        types = self.producible_types() if self.producible_types is not None else None
        live = self.live() if self.live is not None else None
        ok = self.client.heartbeat(
            self.camera_id,
            self.status.state.value,
            self.status.fps(),
            open_events,
            problem=problem or "",
            producible_types=types,
            live=live,
        )
        if ok != self._ok:  # log changes, not every beat
            (log.info if ok else log.warning)("heartbeat %s", "accepted" if ok else "failed")
            self._ok = ok
        if ok and self.on_accepted is not None:
            self.on_accepted()
        return ok

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.beat()
            self.stop_event.wait(self.interval)

    def stop(self) -> None:
        self.stop_event.set()
