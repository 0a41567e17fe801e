"""Wires the stages together and runs the main loop: frame -> motion gate -> detect -> classify ->
events -> snapshot -> spool, and clips from the recorder -> spool. Threads: capture (one per stream),
sender, heartbeat, the HTTP port; detection runs here.

Shutdown (SIGTERM, or ``stop()``): capture stops first, then the sender gets up to SHUTDOWN_GRACE
seconds to empty the spool; what remains stays on disk for the next start.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry

from cctv_common.detector_states import SERVICE
from cctv_common.redact import mask_url
from cctv_worker.backoff import Backoff
from cctv_worker.capture.egress import policy_opener
from cctv_worker.capture.live import LiveGate, LiveSink
from cctv_worker.capture.motion import MotionDetector, MotionGate, MotionSettings
from cctv_worker.capture.recorder import FinishedClip, Recorder
from cctv_worker.capture.sampler import FrameSampler
from cctv_worker.capture.segments import CONTINUOUS, MOTION, FinishedSegment, MotionWindow, SegmentSink
from cctv_worker.capture.sinks import PacketSink, QueuedSink
from cctv_worker.capture.source import OpenedSource, open_source
from cctv_worker.capture.stream import CaptureThread, DecodeMode, Frame, Mailbox
from cctv_worker.capture.watchdog import StreamStatus
from cctv_worker.config import ConfigError, WorkerConfig
from cctv_worker.decisions.alert_types import producible_types
from cctv_worker.decisions.best_views import BestView, BestViews
from cctv_worker.decisions.decode_policy import DecodePolicy
from cctv_worker.decisions.events import Change, EventChange, EventLogic, EventObject
from cctv_worker.decisions.filters import Rules, classify
from cctv_worker.delivery.client import BackendClient, read_settings
from cctv_worker.delivery.payload import build_clip, build_clip_reference, build_payload, build_update
from cctv_worker.delivery.segments import SegmentSpool, SegmentUploader
from cctv_worker.delivery.sender import Sender
from cctv_worker.delivery.spool import CLIP, EVENT_UPDATE, Spool
from cctv_worker.detect.base import Detection, Detector, DetectorUnavailable
from cctv_worker.health import HealthServer
from cctv_worker.heartbeat import HeartbeatThread
from cctv_worker.live_detections import LatestDetections
from cctv_worker.live_server import LiveServer
from cctv_worker.live_settings import changed, with_live_settings
from cctv_worker.metrics import WorkerMetrics
from cctv_worker.settings_sync import SettingsThread
from cctv_worker.snapshot import SnapshotError, render

log = logging.getLogger(__name__)

#: Seconds (beyond EVENT_GRACE) an open event may have gone unseen and still be continued by a new worker:
#: a restart's stop, model load and reconnect.
HANDOVER_WINDOW = 120.0

#: How often the clip and segment sinks' threads take the packets gathered in their queues (``QueuedSink``):
#: one wake-up per quarter second instead of one per packet; files need no lower latency (the live view's
#: sinks take each packet at once).
RECORDING_BATCH_SECONDS = 0.25


def motion_gate(config: WorkerConfig) -> MotionGate | None:
    if not config.motion_gate:
        return None
    settings = MotionSettings(
        pixel_threshold=config.motion_threshold,
        min_area=config.motion_min_area,
        masks=tuple(mask.points for mask in config.motion_masks),
    )
    forced = config.effective_forced_detect_interval
    if forced != config.forced_detect_interval:
        log.warning(
            "FORCED_DETECT_INTERVAL %ss is not shorter than EVENT_GRACE %ss: forcing a detection every %ss "
            "so that an object standing still keeps its event open",
            config.forced_detect_interval,
            config.event_grace,
            forced,
        )
    return MotionGate(
        MotionDetector(settings), forced_interval=forced, idle_interval=config.forced_detect_idle_interval
    )


class Worker:
    def __init__(
        self,
        config: WorkerConfig,
        detector: Detector,
        rules: Rules,
        *,
        registry: CollectorRegistry | None = None,
        opener: Callable[[str, float], OpenedSource | None] = open_source,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.detector = detector
        self.rules = rules
        self.clock = clock
        self.wall_clock = wall_clock
        self.stop_event = threading.Event()
        self.registry = registry or CollectorRegistry()
        self.metrics = WorkerMetrics(self.registry, config.camera_id, process=registry is None)
        if detector.health() is not None:  # a shared detector: its state is reported, its errors counted
            self.metrics.use_detector_service()
            detector.watch(self.metrics.detector_service_error)
        self.status = StreamStatus(config.effective_stall_timeout)
        self.mailbox = Mailbox()
        self.gate = motion_gate(config)
        self.events = EventLogic(
            cooldown=config.alert_cooldown,
            max_age=config.track_max_age,
            grace=config.event_grace,
            max_length=config.event_max_length,
        )
        # The keys of the open events, for the heartbeat thread (replaced whole, never mutated): the backend
        # closes the camera's other open events, left by a worker that was killed mid-event.
        self._open_keys: tuple[str, ...] = ()
        self.best_views = BestViews()
        self._last_frame: Frame | None = None  # the last analysed one: a continuation's first snapshot
        self.spool = Spool(config.spool_path, config.spool_max_messages)
        self.recorder = self._make_recorder() if config.records_clips else None
        # What the recording capture hands its packets to, each on its own thread (capture never waits).
        self.sinks: list[QueuedSink] = []
        if self.recorder is not None:
            self.sinks.append(self._queued(self.recorder, "clips", batch_seconds=RECORDING_BATCH_SECONDS))
        # Recording segments (RECORD_MODE motion or continuous): written to their spool folder, uploaded
        # by their own thread. The spool is opened first: it clears what a killed worker left half-written.
        self.motion_window: MotionWindow | None = None
        self.segment_spool: SegmentSpool | None = None
        self.segment_uploader: SegmentUploader | None = None
        self.segment_sink: SegmentSink | None = None
        if config.records_segments:
            self._make_segments()
        # Event clips finished while the segment that holds their end is still being written: each is
        # sent as a reference to the recordings or as its own bytes once ``SegmentSink.covers`` knows.
        self._pending_clips: list[tuple[FinishedClip, float]] = []
        self._pending_lock = threading.Lock()
        # What capture hands packets to: the queued sinks, the live one behind its gate (nobody watching:
        # not even queued).
        packet_sinks: list[PacketSink] = list(self.sinks)
        main_url = config.rtsp_url.get_secret_value()
        detect_url = config.detect_rtsp_url.get_secret_value() if config.detect_rtsp_url else None
        # With a sub-stream and clips the worker reads both streams: the main one for clips, the sub-stream
        # for detection. Then the live port serves both (the wall shows the sub-stream, the single view the
        # main one); else the one stream it reads serves both paths.
        two_streams = bool(detect_url) and self._records_main_stream
        sub_sinks: list[PacketSink] = []
        self.live: LiveSink | None = None
        self.live_sub: LiveSink | None = None
        self.live_server: LiveServer | None = None
        self.latest_detections = LatestDetections()  # the live view's overlay reads them
        if config.live_enabled:
            self.live = self._live_sink(packet_sinks, "live")
            if two_streams:
                self.live_sub = self._live_sink(sub_sinks, "live-sub")
            # Per process, reported in heartbeats only: the backend proves with it that it may watch.
            self._live_key = secrets.token_urlsafe(32)
            self.live_server = LiveServer(
                config.live_host,
                config.live_port,
                self.live,
                self._live_key,
                self.metrics,
                sub=self.live_sub,
                hls_idle_seconds=config.live_hls_idle_seconds,
                detections=self.latest_detections,
            )
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
            open_events=lambda: list(self._open_keys),
            problem=lambda: self.sender.rejection or self.status.error,
            producible_types=self._producible_types,
            live=self._live_address if self.live_server is not None else None,
        )
        # Live settings (docs/contracts.md, "Live and restart settings"): read back from the backend, applied
        # between frames. The main thread's own client (start and shutdown); the thread has another.
        self.settings: SettingsThread | None = None
        self._settings_client: BackendClient | None = None
        self._restart_version: object = None  # the backend's, when this worker started
        if config.settings_interval > 0:
            timeout = min(5.0, max(1.0, config.settings_interval))
            self._settings_client = BackendClient(config.django_api_url, token, timeout=timeout)
            self.settings = SettingsThread(
                BackendClient(config.django_api_url, token, timeout=timeout),
                config.camera_id,
                config.settings_interval,
            )
        # The capture whose frames feed the detector: the main stream, or the detection sub-stream.
        self.capture = CaptureThread(
            detect_url or main_url,
            status=self.status,
            sampler=FrameSampler(config.frame_skip, config.detect_fps),
            backoff=Backoff(config.reconnect_delay, config.reconnect_max_delay),
            mailbox=self.mailbox,
            metrics=self.metrics,
            open_timeout=config.stream_timeout,
            stop=threading.Event(),
            opener=policy_opener(opener, config.network_policy),
            # With a sub-stream and clips or segments, the main stream's connection below takes the sinks;
            # without them the live view shows the sub-stream (one connection fewer).
            sinks=sub_sinks if two_streams else packet_sinks,
        )
        # With a sub-stream, the main stream is a second connection that is only remuxed into clips and
        # recording segments (and the single live view).
        self.record_capture: CaptureThread | None = None
        if detect_url and self._records_main_stream:
            self.record_capture = CaptureThread(
                main_url,
                status=StreamStatus(config.effective_stall_timeout),
                sampler=FrameSampler(1),
                backoff=Backoff(config.reconnect_delay, config.reconnect_max_delay),
                mailbox=Mailbox(),
                metrics=self.metrics,
                open_timeout=config.stream_timeout,
                stop=self.capture.stop_event,
                opener=policy_opener(opener, config.network_policy),
                sinks=packet_sinks,
                decode_mode=DecodeMode.NONE,
                count_frames=False,
            )
            self.record_capture.name = "record"
        self.health = HealthServer(
            config.metrics_host, config.metrics_port, self.registry, live=self._live, ready=self._ready
        )
        self.decode_policy = DecodePolicy(now=clock())
        self._last_tick = clock()
        # The loop may sit in one slow inference (a big model on a busy CPU); give it room.
        self._liveness_timeout = max(60.0, 3 * config.stream_timeout)

    @property
    def _records_main_stream(self) -> bool:
        return self.recorder is not None or self.segment_sink is not None

    def _live_sink(self, packet_sinks: list[PacketSink], name: str) -> LiveSink:
        """A live sink on its own queue, added to ``packet_sinks`` behind its gate (nobody watching: its
        packets are not even queued)."""
        sink = LiveSink(
            max_viewers=self.config.live_max_viewers,
            max_buffer_bytes=self.config.live_buffer_bytes,
            on_viewers=lambda count: self.metrics.live_viewers.set(self._live_viewers()),
        )
        queued = self._queued(sink, name)
        self.sinks.append(queued)
        packet_sinks.append(LiveGate(queued, sink))
        return sink

    def _live_viewers(self) -> int:
        return sum(sink.viewers for sink in (self.live, self.live_sub) if sink is not None)

    def _producible_types(self) -> list[str]:
        intrusion_zones = any(zone.intrusion for zone in self.rules.zones)
        return producible_types(
            self.detector.names.values(), self.rules.class_map, intrusion_zones=intrusion_zones
        )

    # ---- probes ----

    def _live(self) -> tuple[bool, dict[str, object]]:
        age = self.clock() - self._last_tick
        threads = {"capture": self.capture.is_alive(), "sender": self.sender.is_alive()}
        ok = age <= self._liveness_timeout and all(threads.values())
        return ok, {"loop_age_seconds": round(age, 2), "threads": threads}

    def _ready(self) -> tuple[bool, dict[str, object]]:
        age = self.status.frame_age()
        detail: dict[str, object] = {
            "stream": self.status.state.value,
            "last_frame_age_seconds": None if age is None else round(age, 2),
        }
        ready = self.status.is_ready()
        if self.status.error:
            detail["stream_error"] = self.status.error
        if self.sender.rejection:
            # Not ready while what it sends is refused: events are being lost (see Sender.rejection).
            # Its own key: "reason" is the detector's, which the operator reads for DetectorReady.
            detail["delivery"] = "rejected"
            detail["delivery_reason"] = self.sender.rejection
            ready = False
        health = self.detector.health()
        if health is not None:
            # Degraded, visibly: without the service and without a local model no frame is analysed.
            detail["detector"] = health.state
            if health.reason:
                detail["reason"] = health.reason
            ready = ready and health.analysing
        return ready, detail

    # ---- life cycle ----

    def start(self) -> None:
        log.info(
            "worker starting",
            extra={
                "source": mask_url(self.config.rtsp_url.get_secret_value()),
                "detect_source": (
                    mask_url(self.config.detect_rtsp_url.get_secret_value())
                    if self.config.detect_rtsp_url
                    else None
                ),
                "backend": self.detector.backend,
                "spool": str(self.config.spool_path),
                "spooled": self.spool.depth(),
            },
        )
        self.health.start()
        if self.live_server is not None:
            self.live_server.start()
        if self.settings is not None:
            self._take_over()
            self.settings.start()
        self.sender.start()
        if self.segment_uploader is not None:
            self.segment_uploader.start()
        self.heartbeat.start()
        self.capture.start()
        if self.record_capture is not None:
            self.record_capture.start()

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
        if self.settings is not None:
            answer = self.settings.take()
            if answer is not None:
                self._apply_settings(answer)
        if self._pending_clips:
            self._resolve_clips()
        frame = self.mailbox.get(timeout=wait)
        if frame is not None:
            self.process(frame)  # event time is the frames' time (a slow detector sees them late)
        else:
            # No frame: events still end. Frames may trail the wall clock by up to the stall timeout
            # (a busy detector), so that much slack keeps a slow camera's events from closing early.
            self._apply(self.events.tick(self.wall_clock() - self.config.effective_stall_timeout))

    def process(self, frame: Frame) -> None:
        if self.gate is not None:
            if frame.index == 0:
                self.gate.reset()  # a new connection may show another picture: no stale background
            now = self.clock()
            following = self.events.following(frame.captured_at)
            grey = frame.grey(self.gate.detector.settings.width)
            decision = self.gate.decide(grey, now, following=following)
            self.metrics.gate_decision(motion=decision.motion, detect=decision.detect)
            if decision.motion and self.motion_window is not None:
                self.motion_window.saw_motion(frame.captured_at)
            self._choose_decode(motion=decision.motion, now=now)
            if not decision.detect:
                return
        started = time.perf_counter()
        try:
            detections = self.detector.detect(frame.image)
        except DetectorUnavailable:
            # The failover logged the outage once and counted it below; the loop goes on. The overlay
            # shows no boxes rather than the last ones, frozen, for as long as the detector is away.
            self.latest_detections.publish((), frame.captured_at)
            return
        except Exception:
            log.exception("detector failed on a frame; skipping it")
            return
        finally:
            self._detector_state_to_metrics()
        self.metrics.inference_duration.observe(time.perf_counter() - started)
        self.metrics.frames_inferred.inc()
        height, width = frame.image.shape[:2]
        candidates = classify(detections, self.rules, frame_aspect=width / max(height, 1))
        for cand in candidates:
            self.metrics.detection(cand.detection.label)
        self._last_frame = frame
        result = self.events.on_frame(candidates, frame.captured_at)
        self.latest_detections.publish(result.seen, frame.captured_at)
        for key, shown in result.best_views:
            jpeg = self._snapshot(frame, shown)
            if jpeg:
                self.best_views.offer(key, jpeg, shown)
        self._apply(result.changes)

    def _choose_decode(self, *, motion: bool, now: float) -> None:
        """Keyframes only while the scene is quiet; every frame while something moves or an event is open."""
        if self.config.motion_idle_decode != "keyframes":
            return
        quiet = self.decode_policy.keyframes_only(motion=motion, events_open=bool(self.events.open), now=now)
        wanted = DecodeMode.KEYFRAMES if quiet else DecodeMode.ALL
        if self.capture.decode_mode is not wanted:
            self.capture.set_decode_mode(wanted)
            log.debug("decoding %s", wanted.value)

    def _snapshot(self, frame: Frame, detections: tuple[Detection, ...]) -> bytes:
        try:
            return render(
                frame.image,
                detections,
                max_width=self.config.snapshot_max_width,
                max_bytes=self.config.snapshot_max_bytes,
            )
        except SnapshotError:
            log.exception("cannot encode the snapshot; going on without one")
            return b""

    # ---- live settings and the event handover ----

    def _take_over(self) -> None:
        """At start: the backend's current live settings (the environment may be older: a pod keeps the
        values of its last roll), and the open events a replaced worker handed over, continued here."""
        assert self._settings_client is not None and self.settings is not None
        answer = read_settings(self._settings_client, self.config.camera_id, handover=True)
        if answer.body is None:
            log.warning(
                "cannot read the camera's settings at start (%s): running with the environment's",
                answer.failure,
            )
            return
        self._restart_version = answer.body.get("restart_version")
        self._apply_settings(answer.body)
        events = answer.body.get("open_events")
        if isinstance(events, list):
            self._adopt(events)

    def _apply_settings(self, answer: Mapping[str, object]) -> None:
        settings = answer.get("settings")
        if not isinstance(settings, Mapping):
            return
        try:
            new = with_live_settings(self.config, settings)
        except ConfigError as exc:
            log.warning("live settings refused, keeping the current ones: %s", exc)
            return
        names = changed(self.config, new)
        if names:
            self._use_config(new, names)
            log.info("live settings applied without a restart: %s", ", ".join(names))

    def _use_config(self, new: WorkerConfig, names: list[str]) -> None:
        """Puts a config that differs only in live settings into effect, for the next frame on."""
        self.config = new
        self.rules = dataclasses.replace(
            self.rules,
            confidence=new.confidence_threshold,
            min_box_area=new.min_box_area,
            zones=new.zones,
            enabled_types=new.alert_types,
            object_filters=new.object_filters,
        )
        _set_confidence_floor(self.detector, self.rules.confidence_floor)
        self.events.cooldown = new.alert_cooldown
        self.events.grace = new.event_grace
        self.events.max_length = new.event_max_length
        self.events.tracker.max_age = max(new.track_max_age, new.event_grace)
        if {"motion_masks", "forced_detect_interval", "event_grace_seconds"} & set(names):
            self.gate = motion_gate(new)  # a new background too: the first frame is analysed
        if self.recorder is not None:
            self.recorder.pre_roll = new.pre_roll
            self.recorder.preroll.seconds = new.pre_roll + new.effective_stall_timeout
            self.recorder.max_seconds = new.clip_max_seconds

    def _adopt(self, events: list[object]) -> None:
        now = self.wall_clock()
        for item in events:
            try:
                assert isinstance(item, Mapping)
                objects = [_event_object(o) for o in item.get("objects") or []]
                key, alert_type = str(item["key"]), str(item["alert_type"])
                started_at = _timestamp(item["started_at"])
                last_sighting = max((o.last_seen for o in objects), default=started_at)
                if now - last_sighting > self.config.event_grace + HANDOVER_WINDOW:
                    # Left long ago (a worker killed, the product stopped): over, not to be continued. The
                    # backend closes it at its last sighting (heartbeats' open_events).
                    continue
                adopted = self.events.adopt(
                    key=key,
                    alert_type=alert_type,
                    started_at=started_at,
                    revision=int(item["revision"]),
                    peak_count=int(item.get("peak_count") or 1),
                    objects=objects,
                    now=now,
                )
                segment = int(item.get("next_segment") or 0)
            except (AssertionError, KeyError, TypeError, ValueError) as exc:
                log.warning("cannot continue a handed-over event (%s): the backend closes it", exc)
                continue
            if not adopted:
                continue
            if self.recorder is not None:
                self.recorder.resume(key, segment=segment, at=now)
            log.info("event continued from the previous worker", extra={"key": key, "alert_type": alert_type})
        self._open_keys = tuple(event.key for event in self.events.open.values())

    def _being_replaced(self) -> bool:
        """Whether a new worker takes over: the backend's restart settings differ from the ones this worker
        started with (a runtime stops a worker for that only to start the next). Anything else (stopped,
        paused, deactivated, the backend away) closes the events as before."""
        if self._settings_client is None or self._restart_version is None:
            return False
        self._settings_client.timeout = 2.0  # shutdown must not wait on a slow backend
        answer = read_settings(self._settings_client, self.config.camera_id)
        return answer.body is not None and answer.body.get("restart_version") != self._restart_version

    # ---- events to the spool and the recorder ----

    def _apply(self, changes) -> None:
        for change in changes:
            self._spool_change(change)
            self._record(change)
        if changes:
            self._open_keys = tuple(event.key for event in self.events.open.values())

    def _spool_change(self, change: EventChange) -> None:
        event = change.event
        camera_id = self.config.camera_id
        if change.change is Change.OPENED:
            best = self.best_views.take(event.key) or self._last_frame_view(change)
            jpeg, shown = (best.jpeg, best.detections) if best else (b"", change.detections)
            payload = build_payload(event, camera_id=camera_id, jpeg=jpeg, detections=shown)
            self._put(event.key, payload, kind="alert")
            log.info(
                "event opened: %s",
                event.description,
                extra={"alert_type": event.alert_type, "key": event.key},
            )
        else:
            fresh = self.best_views.take_unsent(event.key)
            payload = build_update(
                event,
                camera_id=camera_id,
                jpeg=fresh.jpeg if fresh else None,
                detections=fresh.detections if fresh else (),
            )
            self._put(f"{event.key}:r{event.revision}", payload, kind=EVENT_UPDATE)
            if change.change is Change.CLOSED:
                self.best_views.forget(event.key)
                log.info(
                    "event closed after %.1f s: %s",
                    (event.ended_at or event.started_at) - event.started_at,
                    event.description,
                    extra={"alert_type": event.alert_type, "key": event.key},
                )
        self.sender.wake()

    def _last_frame_view(self, change: EventChange) -> BestView | None:
        """An event opened with no view of its own yet (a continuation split off at EVENT_MAX_LENGTH,
        between frames): the last analysed frame with its objects' last boxes is its snapshot."""
        if self._last_frame is None:
            return None
        jpeg = self._snapshot(self._last_frame, change.detections)
        return BestView(jpeg, tuple(change.detections), sent=True) if jpeg else None

    def _record(self, change: EventChange) -> None:
        event = change.event
        if self.motion_window is not None:
            # Motion mode records what the detector follows too (and, without the motion gate, only that).
            self.motion_window.saw_motion(event.ended_at or event.last_seen)
        if self.recorder is None:
            return
        if change.change is Change.OPENED:
            self.recorder.start(event.key, at=event.started_at)
        elif change.change is Change.REOPENED:
            self.recorder.start(event.key, at=event.last_seen)
        elif change.change is Change.CLOSED:
            self.recorder.stop(event.key, at=(event.ended_at or event.last_seen) + self.config.post_roll)

    def _live_address(self) -> dict[str, object] | None:
        """For the heartbeat: where and how the backend opens the live view (None while disconnected)."""
        assert self.live is not None and self.live_server is not None
        if self.live.codec is None:
            return None
        host = self.config.live_advertise_host or (
            "127.0.0.1" if self.config.live_host in ("0.0.0.0", "") else self.config.live_host  # noqa: S104
        )
        if ":" in host:
            host = f"[{host}]"  # an IPv6 pod IP
        url = f"http://{host}:{self.live_server.port}/live"
        report: dict[str, object] = {"url": url, "key": self._live_key, "codec": self.live.codec}
        if self.live_sub is not None and self.live_sub.codec is not None:
            report["sub_codec"] = self.live_sub.codec  # served at /live/sub (the wall's)
        return report

    def _queued(self, sink: PacketSink, name: str, *, batch_seconds: float = 0.0) -> QueuedSink:
        return QueuedSink(
            sink, name=name, on_dropped=self.metrics.sink_packet_dropped(name), batch_seconds=batch_seconds
        )

    def _make_recorder(self) -> Recorder:
        clip_dir = self.config.clip_dir
        clip_dir.mkdir(parents=True, exist_ok=True)
        # Files no spool row names are debris of a crash (a clip cut off mid-write): nothing can send them.
        wanted = self.spool.clip_paths()
        for path in clip_dir.iterdir():
            if str(path) not in wanted:
                path.unlink(missing_ok=True)
        return Recorder(
            clip_dir,
            pre_roll=self.config.pre_roll,
            max_seconds=self.config.clip_max_seconds,
            on_finished=self._clip_finished,
            lag=self.config.effective_stall_timeout,
        )

    def _make_segments(self) -> None:
        config = self.config
        days = {CONTINUOUS: config.retain_continuous_days, MOTION: config.retain_motion_days}
        # A segment around an event is kept RETAIN_EVENTS_DAYS by the backend: worth uploading that long.
        self.segment_spool = SegmentSpool(
            config.segment_dir,
            max_bytes=config.segment_spool_max_bytes,
            retention=lambda kind: 86_400.0 * max(days[kind], config.retain_events_days),
            on_dropped=self.metrics.segments_dropped,
            wall_clock=self.wall_clock,
        )
        kind = CONTINUOUS if config.record_mode == "continuous" else MOTION
        if kind == MOTION:
            self.motion_window = MotionWindow(post_roll=config.post_roll)
            if not config.motion_gate:
                log.warning("RECORD_MODE=motion without MOTION_GATE: segments are recorded around events")
        self.segment_sink = SegmentSink(
            config.segment_dir,
            kind=kind,
            seconds=config.segment_seconds,
            on_finished=self._segment_finished,
            window=self.motion_window,
            pre_roll=config.pre_roll,
            lag=config.effective_stall_timeout,
        )
        segment_sink = self.segment_sink
        dropped = self.metrics.sink_packet_dropped("segments")

        def lost_packets() -> None:  # from the capture thread: these packets never reach a segment
            dropped()
            segment_sink.mark_gap(self.wall_clock())

        self.sinks.append(
            QueuedSink(
                segment_sink, name="segments", on_dropped=lost_packets, batch_seconds=RECORDING_BATCH_SECONDS
            )
        )
        token = config.django_api_token.get_secret_value()
        self.segment_uploader = SegmentUploader(
            self.segment_spool,
            BackendClient(config.django_api_url, token, timeout=config.alert_post_timeout),
            self.metrics,
            camera_id=config.camera_id,
            # Resume within seconds of the backend's return, whatever the outage's length.
            backoff=Backoff(1.0, min(config.retry_max_delay, 10.0)),
        )

    def _segment_finished(self, segment: FinishedSegment) -> None:
        """From the segment sink's thread: a whole segment file; spool it for upload."""
        assert self.segment_spool is not None and self.segment_uploader is not None
        self.metrics.segments_recorded.inc()
        self.metrics.segment_recorded_bytes.inc(segment.file.size)
        self.segment_spool.add(segment.file.path)
        self.metrics.segment_spool_bytes.set(self.segment_spool.bytes)
        self.segment_uploader.wake()
        log.debug("segment recorded: %.1f s, %d bytes", segment.file.duration, segment.file.size)
        if self._pending_clips:
            self._resolve_clips()

    def _clip_finished(self, clip: FinishedClip) -> None:
        """From the clip sink's thread: the clip's file is complete. Without recording segments it is
        spooled for upload; with them it waits until the segments say whether they hold it all."""
        self.metrics.clips_recorded.inc()
        self.metrics.clip_recorded_bytes.inc(clip.file.size)
        if self.segment_sink is None:
            self._spool_clip(clip)
            return
        with self._pending_lock:
            self._pending_clips.append((clip, self.clock()))
        self._resolve_clips()

    def _resolve_clips(self, *, force: bool = False) -> None:
        """Sends each pending clip once the segment sink knows: covered, a reference to the recordings
        (one copy of the bytes in the store); not covered, or undecided past twice a segment's length plus
        10 s (a stalled stream) or at shutdown (``force``), the clip's own bytes, as without recording."""
        assert self.segment_sink is not None
        patience = 2 * self.config.segment_seconds + 10.0
        with self._pending_lock:
            pending, self._pending_clips = self._pending_clips, []
            keep: list[tuple[FinishedClip, float]] = []
            for clip, since in pending:
                covered = self.segment_sink.covers(clip.file.started_at, clip.file.ended_at)
                if covered is None and (force or self.clock() - since > patience):
                    covered = False
                if covered is None:
                    keep.append((clip, since))
                elif covered:
                    self._spool_clip_reference(clip)
                else:
                    self._spool_clip(clip)
            self._pending_clips = keep

    def _spool_clip_reference(self, clip: FinishedClip) -> None:
        assert self.segment_sink is not None
        payload = build_clip_reference(
            camera_id=self.config.camera_id,
            event_key=clip.event_key,
            segment=clip.segment,
            started_at=clip.file.started_at,
            ended_at=clip.file.ended_at,
            duration=clip.file.duration,
            size=clip.file.size,
            first=self.segment_sink.locate(clip.file.started_at, clip.file.first_dts),
            last=self.segment_sink.locate(clip.file.ended_at, clip.file.last_dts),
        )
        self._put(f"{clip.event_key}:clip{clip.segment}", payload, kind=CLIP)
        clip.file.path.unlink(missing_ok=True)  # the recordings hold these packets: not stored twice
        self.metrics.clips_from_recordings.inc()
        self.sender.wake()
        log.info(
            "clip taken from the recordings: %.1f s",
            clip.file.duration,
            extra={"key": clip.event_key, "segment": clip.segment},
        )

    def _spool_clip(self, clip: FinishedClip) -> None:
        payload = build_clip(
            camera_id=self.config.camera_id,
            event_key=clip.event_key,
            segment=clip.segment,
            path=str(clip.file.path),
            started_at=clip.file.started_at,
        )
        self._put(f"{clip.event_key}:clip{clip.segment}", payload, kind=CLIP)
        self.sender.wake()
        log.info(
            "clip recorded: %.1f s, %d bytes",
            clip.file.duration,
            clip.file.size,
            extra={"key": clip.event_key, "segment": clip.segment},
        )

    def _put(self, key: str, payload: dict[str, object], *, kind: str) -> None:
        dropped = self.spool.put(key, payload, kind=kind)
        if dropped:
            self.metrics.spool_dropped.inc(dropped)
            log.warning(
                "spool full (%d messages): dropped the %d oldest", self.config.spool_max_messages, dropped
            )
        self.metrics.spool_depth.set(self.spool.depth())

    def _detector_state_to_metrics(self) -> None:
        health = self.detector.health()
        if health is not None:
            self.metrics.detector_service_up.set(1 if health.state == SERVICE else 0)

    def shutdown(self) -> None:
        log.info(
            "stopping: capture first, then flushing the spool (up to %.0f s)", self.config.shutdown_grace
        )
        if self.settings is not None:
            self.settings.stop()
        if self.events.open and self._being_replaced():
            # Restarted for a new stream, model or detector: the next worker continues the open events
            # (same keys, next clip segment). Their clips end here with what they have.
            log.info("handing %d open event(s) over to the next worker", len(self.events.open))
            self._apply(self.events.hand_over_all())
        else:
            # Open events end at their last sighting; running clips are finished with what they have.
            self._apply(self.events.close_all(self.wall_clock()))
        self.capture.stop_event.set()
        self.capture.join(timeout=5.0)
        if self.record_capture is not None:
            self.record_capture.join(timeout=5.0)
        for sink in self.sinks:
            sink.close()  # what the capture handed over is written first
        if self.recorder is not None:
            self.recorder.close()
        if self.segment_sink is not None:
            self.segment_sink.close()  # the running segment is kept, shorter
            self._resolve_clips(force=True)  # what the segments do not hold yet is sent as its bytes
        self.heartbeat.stop()
        deadline = time.monotonic() + self.config.shutdown_grace
        flushed = self.sender.drain(deadline)
        if self.segment_uploader is not None:
            self.segment_uploader.stop()
            self.segment_uploader.join(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
            if not self.segment_uploader.is_alive():  # what is left stays on disk for the next start
                self.segment_uploader.drain(deadline)
        self.sender.stop()
        self.sender.join(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
        left = self.spool.depth()
        if flushed:
            log.info("spool flushed; bye")
        else:
            log.warning(
                "%d item(s) left in the spool (alerts, event updates, clips); sent on the next start", left
            )
        self.capture.join(timeout=2.0)
        if self.live_server is not None:
            self.live_server.stop()
        self.health.stop()
        if not self.sender.is_alive():  # a sender stuck in a slow request still holds the spool
            self.spool.close()


def _set_confidence_floor(detector: object, floor: float) -> None:
    """The detector drops boxes below its floor before the rules see them: a lowered threshold must lower
    it too. Every backend keeps it in ``conf_floor``; the failover holds a service and a local model."""
    for part in (detector, getattr(detector, "remote", None), getattr(detector, "_local", None)):
        if part is not None and hasattr(part, "conf_floor"):
            part.conf_floor = floor


def _timestamp(value: object) -> float:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _event_object(item: object) -> EventObject:
    if not isinstance(item, Mapping):
        raise TypeError("an event object is not a JSON object")
    return EventObject(
        track_id=int(item["track_id"]),
        label=str(item.get("label", "")),
        alert_type=str(item.get("alert_type", "")),
        first_seen=_timestamp(item["first_seen"]),
        last_seen=_timestamp(item["last_seen"]),
        confidence=float(item.get("confidence") or 0.0),
        zones=tuple(str(zone) for zone in item.get("zones") or ()),
    )
