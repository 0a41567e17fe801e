"""Wires the stages together and runs the main loop: frame -> motion gate -> detect -> classify ->
events -> snapshot -> spool. Threads: capture, sender, heartbeat, the HTTP port; detection runs here.

Shutdown (SIGTERM, or ``stop()``): capture stops first, then the sender gets up to SHUTDOWN_GRACE
seconds to empty the spool; what remains stays on disk for the next start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry

from cctv_worker.capture.backoff import Backoff
from cctv_worker.capture.sampler import FrameSampler
from cctv_worker.capture.source import VideoSource, open_source
from cctv_worker.capture.stream import CaptureThread, Frame, Mailbox
from cctv_worker.capture.watchdog import StreamStatus
from cctv_worker.config import WorkerConfig
from cctv_worker.delivery.client import BackendClient
from cctv_worker.delivery.payload import build_payload, new_idempotency_key
from cctv_worker.delivery.sender import Sender
from cctv_worker.delivery.spool import Spool
from cctv_worker.detect.base import Detector
from cctv_worker.events import EventLogic
from cctv_worker.filters import Rules, classify
from cctv_worker.health import HealthServer
from cctv_worker.heartbeat import HeartbeatThread
from cctv_worker.metrics import WorkerMetrics
from cctv_worker.motion import MotionDetector, MotionGate, MotionSettings
from cctv_worker.redact import mask_url
from cctv_worker.snapshot import SnapshotError, render

log = logging.getLogger(__name__)


def motion_gate(config: WorkerConfig) -> MotionGate | None:
    if not config.motion_gate:
        return None
    settings = MotionSettings(
        pixel_threshold=config.motion_threshold,
        min_area=config.motion_min_area,
        masks=tuple(mask.points for mask in config.motion_masks),
    )
    return MotionGate(MotionDetector(settings), forced_interval=config.forced_detect_interval)


class Worker:
    def __init__(
        self,
        config: WorkerConfig,
        detector: Detector,
        rules: Rules,
        *,
        registry: CollectorRegistry | None = None,
        opener: Callable[[str, float], VideoSource | None] = open_source,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.detector = detector
        self.rules = rules
        self.clock = clock
        self.stop_event = threading.Event()
        self.registry = registry or CollectorRegistry()
        self.metrics = WorkerMetrics(self.registry, config.camera_id, process=registry is None)
        self.status = StreamStatus(config.effective_stall_timeout)
        self.mailbox = Mailbox()
        self.gate = motion_gate(config)
        self.events = EventLogic(cooldown=config.alert_cooldown, max_age=config.track_max_age)
        self.spool = Spool(config.spool_path, config.spool_max_alerts)
        token = config.django_api_token.get_secret_value()
        # One HTTP session per thread: requests.Session is not thread-safe.
        self.sender = Sender(
            self.spool,
            BackendClient(config.django_api_url, token, timeout=config.alert_post_timeout),
            self.metrics,
            Backoff(1.0, config.retry_max_delay),
            probe_interval=config.retry_probe_interval,
        )
        self.heartbeat = HeartbeatThread(
            BackendClient(config.django_api_url, token, timeout=min(10.0, config.heartbeat_interval)),
            config.camera_id,
            self.status,
            config.heartbeat_interval,
            on_accepted=self.sender.backend_answered,
        )
        self.capture = CaptureThread(
            config.rtsp_url.get_secret_value(),
            status=self.status,
            sampler=FrameSampler(config.frame_skip, config.detect_fps),
            backoff=Backoff(config.reconnect_delay, config.reconnect_max_delay),
            mailbox=self.mailbox,
            metrics=self.metrics,
            open_timeout=config.stream_timeout,
            stop=threading.Event(),
            opener=opener,
        )
        self.health = HealthServer(
            config.metrics_host, config.metrics_port, self.registry, live=self._live, ready=self._ready
        )
        self._last_tick = clock()
        # The loop may sit in one slow inference (a big model on a busy CPU); give it room.
        self._liveness_timeout = max(60.0, 3 * config.stream_timeout)

    # ---- probes ----

    def _live(self) -> tuple[bool, dict[str, object]]:
        age = self.clock() - self._last_tick
        threads = {"capture": self.capture.is_alive(), "sender": self.sender.is_alive()}
        ok = age <= self._liveness_timeout and all(threads.values())
        return ok, {"loop_age_seconds": round(age, 2), "threads": threads}

    def _ready(self) -> tuple[bool, dict[str, object]]:
        age = self.status.frame_age()
        return self.status.is_ready(), {
            "stream": self.status.state.value,
            "last_frame_age_seconds": None if age is None else round(age, 2),
        }

    # ---- life cycle ----

    def start(self) -> None:
        log.info(
            "worker starting",
            extra={
                "source": mask_url(self.config.rtsp_url.get_secret_value()),
                "backend": self.detector.backend,
                "spool": str(self.config.spool_path),
                "spooled": self.spool.depth(),
            },
        )
        self.health.start()
        self.sender.start()
        self.heartbeat.start()
        self.capture.start()

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> int:
        """Runs until ``stop()``; returns the process exit code."""
        self.start()
        try:
            while not self.stop_event.is_set():
                self.step()
        finally:
            self.shutdown()
        return 0

    def step(self, wait: float = 0.5) -> None:
        """One turn of the main loop: at most one frame through the pipeline."""
        self._last_tick = self.clock()
        if self.status.check():
            self.metrics.stream_up.set(0)  # the capture thread may sit in a blocked read a while longer
        self.metrics.stream_fps.set(self.status.fps())
        frame = self.mailbox.get(timeout=wait)
        if frame is not None:
            self.process(frame)

    def process(self, frame: Frame) -> None:
        if self.gate is not None:
            if frame.index == 0:
                self.gate.reset()  # a new connection may show another picture: no stale background
            decision = self.gate.decide(frame.image, self.clock())
            self.metrics.gate_decision(motion=decision.motion, detect=decision.detect)
            if not decision.detect:
                return
        started = time.perf_counter()
        try:
            detections = self.detector.detect(frame.image)
        except Exception:
            log.exception("detector failed on a frame; skipping it")
            return
        self.metrics.inference_duration.observe(time.perf_counter() - started)
        self.metrics.frames_inferred.inc()
        height, width = frame.image.shape[:2]
        candidates = classify(detections, self.rules, frame_aspect=width / max(height, 1))
        for cand in candidates:
            self.metrics.detection(cand.detection.label)
        for alert in self.events.on_frame(candidates, self.clock()):
            try:
                jpeg = render(
                    frame.image,
                    alert.detections,
                    max_width=self.config.snapshot_max_width,
                    max_bytes=self.config.snapshot_max_bytes,
                )
            except SnapshotError:
                log.exception("cannot encode the snapshot; sending the alert without one")
                jpeg = b""
            key = new_idempotency_key()
            payload = build_payload(
                alert, camera_id=self.config.camera_id, jpeg=jpeg, happened_at=frame.captured_at, key=key
            )
            dropped = self.spool.put(key, payload)
            if dropped:
                self.metrics.alerts_dropped.inc(dropped)
                log.warning(
                    "spool full (%d alerts): dropped the %d oldest", self.config.spool_max_alerts, dropped
                )
            self.metrics.spool_depth.set(self.spool.depth())
            self.sender.wake()
            log.info(
                "alert raised: %s",
                alert.description,
                extra={"alert_type": alert.alert_type, "key": key, "confidence": round(alert.confidence, 3)},
            )

    def shutdown(self) -> None:
        log.info(
            "stopping: capture first, then flushing the spool (up to %.0f s)", self.config.shutdown_grace
        )
        self.capture.stop_event.set()
        self.heartbeat.stop()
        deadline = time.monotonic() + self.config.shutdown_grace
        flushed = self.sender.drain(deadline)
        self.sender.stop()
        self.sender.join(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
        left = self.spool.depth()
        if flushed:
            log.info("spool flushed; bye")
        else:
            log.warning("%d alert(s) left in the spool; they are sent on the next start", left)
        self.capture.join(timeout=2.0)
        self.health.stop()
        if not self.sender.is_alive():  # a sender stuck in a slow request still holds the spool
            self.spool.close()
