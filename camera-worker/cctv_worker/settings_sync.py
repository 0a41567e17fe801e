"""Reads the camera's live settings back from the backend every SETTINGS_INTERVAL (a conditional GET:
304 while nothing changed). The newest answer waits here until the main loop takes it between two
frames: settings never change under a frame in progress."""

from __future__ import annotations

import logging
import threading

from cctv_worker.delivery.client import BackendClient, read_settings

log = logging.getLogger(__name__)


class SettingsThread(threading.Thread):
    def __init__(self, client: BackendClient, camera_id: int, interval: float, *, etag: str = "") -> None:
        super().__init__(name="settings", daemon=True)
        self.client = client
        self.camera_id = camera_id
        self.interval = interval
        self.etag = etag
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._latest: dict[str, object] | None = None
        self._failure = ""

    def poll(self) -> None:
        answer = read_settings(self.client, self.camera_id, etag=self.etag)
        if answer.failure != self._failure:  # log changes, not every poll
            if answer.failure:
                log.warning(
                    "cannot read the camera's settings: %s (keeping the current ones)",
                    answer.failure,
                )
            else:
                log.info("camera settings readable again")
            self._failure = answer.failure
        if answer.body is not None:
            self.etag = answer.etag
            with self._lock:
                self._latest = answer.body

    def take(self) -> dict[str, object] | None:
        """The newest answer not taken yet (None: nothing new)."""
        with self._lock:
            latest, self._latest = self._latest, None
        return latest

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.poll()

    def stop(self) -> None:
        self.stop_event.set()
