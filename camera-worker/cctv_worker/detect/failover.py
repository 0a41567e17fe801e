"""Which detector answers a frame when the shared service may be away.

The service is tried first; when it fails the frame goes to the local model, if the worker has one
(loaded on the first outage, so a healthy worker holds no model), or is skipped. The service is tried
again every ``retry_interval`` seconds and takes over as soon as it answers: the worker never exits
over it. ``state`` is what /readyz, the metrics and the heartbeat show.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol

import numpy as np

from cctv_common.detector_states import FALLBACK, SERVICE, UNAVAILABLE
from cctv_worker.detect.base import Detection, Detector, DetectorHealth, DetectorUnavailable

log = logging.getLogger(__name__)

__all__ = ["FALLBACK", "SERVICE", "UNAVAILABLE", "FailoverDetector"]


class Service(Protocol):
    """What the failover needs of the remote detector (``remote.RemoteDetector``)."""

    url: str

    @property
    def names(self) -> Mapping[int, str]: ...

    def detect(self, image: np.ndarray) -> list[Detection]: ...


class FailoverDetector:
    backend = "remote"

    def __init__(
        self,
        remote: Service,
        local: Callable[[], Detector] | None,
        *,
        retry_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.remote = remote
        self._local_factory = local
        self._local: Detector | None = None
        self.retry_interval = retry_interval
        self.clock = clock
        self.state = SERVICE
        self.reason: str | None = None
        # Told why each request the service did not answer failed (the worker counts it in a metric).
        self.on_error: Callable[[str], None] = lambda result: None
        self._retry_at = 0.0

    @property
    def names(self) -> Mapping[int, str]:
        return self.remote.names or (self._local.names if self._local else {})

    def health(self) -> DetectorHealth:
        return DetectorHealth(self.state, self.reason)

    def watch(self, on_error: Callable[[str], None]) -> None:
        self.on_error = on_error

    @property
    def has_fallback(self) -> bool:
        return self._local_factory is not None

    def detect(self, image: np.ndarray) -> list[Detection]:
        now = self.clock()
        if self.state == SERVICE or now >= self._retry_at:
            try:
                found = self.remote.detect(image)
            except DetectorUnavailable as exc:
                self._service_failed(exc, now)
            else:
                if self.state != SERVICE:
                    log.info("detector service %s is back: using it again", self.remote.url)
                self.state, self.reason = SERVICE, None
                return found
        return self._without_service(image)

    def _service_failed(self, exc: DetectorUnavailable, now: float) -> None:
        self.on_error(exc.result)
        self._retry_at = now + self.retry_interval
        was = self.state
        self.state = FALLBACK if self.has_fallback else UNAVAILABLE
        self.reason = f"detector service {self.remote.url} {exc}"
        if was == SERVICE:
            log.warning(
                "%s; %s, retrying every %g s",
                self.reason,
                "using the local model" if self.has_fallback else "frames are not analysed until it is back",
                self.retry_interval,
            )

    def _without_service(self, image: np.ndarray) -> list[Detection]:
        if self._local_factory is None:
            raise DetectorUnavailable("unreachable", self.reason or "detector service unavailable")
        if self._local is None:
            self._local = self._local_factory()  # a bad model here is a ModelError, seen at start-up already
            log.info("local fallback model loaded (%s)", self._local.backend)
        return self._local.detect(image)
