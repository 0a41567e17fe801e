"""The worker's Prometheus metrics, defined once. Names are a contract (docs/contracts.md): the
Grafana dashboard and the alert rules in the Helm chart use exactly these.

Metrics live on a registry passed in (the worker's own, or a fresh one per test) rather than the
global default, and every child is bound to this worker's ``camera`` label up front, with the label
values that mean something pre-initialised so that rates start from 0 instead of "no data".
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.process_collector import ProcessCollector

from cctv_worker.decisions.alert_types import ALERT_TYPES

# Why a send attempt failed: the values of cctv_alerts_failed_total{result}.
FAILURE_RESULTS = ("timeout", "unreachable", "server_error", "unauthorized", "rejected")
# Why the shared detector did not answer a frame: the values of cctv_detector_service_errors_total{result}.
DETECTOR_SERVICE_RESULTS = ("timeout", "unreachable", "rejected")
# How a live-view session on the worker's live port went: the values of cctv_live_sessions_total{result}.
LIVE_SESSION_RESULTS = ("started", "busy", "down", "unauthorized", "dropped")

# Why a recording segment never reached the backend: the values of cctv_segments_dropped_total{reason}.
# spool_full: the local spool passed SEGMENT_SPOOL_MAX_BYTES (oldest first); expired: older than its
# retention before it could be uploaded; rejected: the backend refused it for good (4xx).
SEGMENT_DROP_REASONS = ("spool_full", "expired", "rejected")

# CPU inference of a nano model takes 10-150 ms; a large model or a starved CPU up to seconds.
_INFERENCE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0)
_POST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class WorkerMetrics:
    def __init__(self, registry: CollectorRegistry, camera: int | str, *, process: bool = False) -> None:
        cam = str(camera)
        self.registry = registry
        if process:  # process_resident_memory_bytes, process_cpu_seconds_total, ...
            ProcessCollector(registry=registry)

        def counter(name: str, doc: str) -> Counter:
            return Counter(name, doc, ["camera"], registry=registry).labels(camera=cam)

        def gauge(name: str, doc: str) -> Gauge:
            return Gauge(name, doc, ["camera"], registry=registry).labels(camera=cam)

        self.frames_read = counter("cctv_frames_read_total", "Frames received from the stream.")
        self.frames_inferred = counter("cctv_frames_inferred_total", "Frames run through the detector.")
        # The motion gate: share of frames with motion = motion / checked; inference runs per second =
        # rate(cctv_frames_inferred_total); frames the gate saved the detector = gated.
        self.frames_checked = counter(
            "cctv_frames_motion_checked_total", "Sampled frames the motion gate looked at."
        )
        self.frames_motion = counter("cctv_frames_motion_total", "Sampled frames in which something moved.")
        self.frames_gated = counter(
            "cctv_frames_gated_total", "Sampled frames the motion gate kept from the detector (no motion)."
        )
        self.frames_dropped = counter(
            "cctv_frames_dropped_total",
            "Sampled frames replaced by a newer one before the detector was free.",
        )
        self.spool_dropped = counter(
            "cctv_spool_messages_dropped_total",
            "Spooled messages (alerts, event updates, clips) discarded because the spool was full (oldest"
            " first).",
        )
        self.stream_reconnects = counter("cctv_stream_reconnects_total", "Attempts to reconnect the stream.")
        self._sink_packets_dropped = Counter(
            "cctv_sink_packets_dropped_total",
            "Video packets a packet sink (clips, live) fell too far behind to take, dropped up to a"
            " keyframe.",
            ["camera", "sink"],
            registry=registry,
        )
        self.live_viewers = gauge("cctv_live_viewers", "Viewers of the live view connected now.")
        self.live_bytes_sent = counter("cctv_live_bytes_sent_total", "Bytes of live fMP4 sent to viewers.")
        self._live_sessions = Counter(
            "cctv_live_sessions_total",
            "Live-view sessions by outcome (started, busy, down, unauthorized, dropped).",
            ["camera", "result"],
            registry=registry,
        )
        for result in LIVE_SESSION_RESULTS:
            self._live_sessions.labels(camera=cam, result=result)
        self.stream_up = gauge("cctv_stream_up", "1 while the stream is connected and delivering.")
        self.stream_fps = gauge("cctv_stream_fps", "Frames per second received from the stream.")
        self.last_frame_timestamp = gauge(
            "cctv_last_frame_timestamp_seconds", "Unix time of the last frame received."
        )
        self.spool_depth = gauge("cctv_spool_depth", "Alerts waiting in the spool for the backend.")
        self.event_updates_sent = counter(
            "cctv_event_updates_sent_total", "Event updates (objects, close) acknowledged by the backend."
        )
        self.clips_recorded = counter("cctv_clips_recorded_total", "Event clips finished on disk.")
        self.clip_recorded_bytes = counter(
            "cctv_clip_recorded_bytes_total", "Bytes of event clips finished on disk."
        )
        self.clips_from_recordings = counter(
            "cctv_clips_from_recordings_total",
            "Event clips sent as a reference to the recording segments that hold them (not their bytes).",
        )
        self.clips_sent = counter("cctv_clips_sent_total", "Event clips acknowledged by the backend.")
        self.clip_upload_duration = Histogram(
            "cctv_clip_upload_duration_seconds",
            "Time of one clip upload attempt.",
            ["camera"],
            buckets=_POST_BUCKETS,
            registry=registry,
        ).labels(camera=cam)
        # Recording (issue 23): 10 s segments of the stream's own packets, spooled and uploaded.
        self.segments_recorded = counter(
            "cctv_segments_recorded_total", "Recording segments finished on disk."
        )
        self.segment_recorded_bytes = counter(
            "cctv_segment_recorded_bytes_total", "Bytes of recording segments finished on disk."
        )
        self.segments_uploaded = counter(
            "cctv_segments_uploaded_total", "Recording segments acknowledged by the backend."
        )
        self.segment_spool_bytes = gauge(
            "cctv_segment_spool_bytes", "Bytes of finished segments on disk waiting for the backend."
        )
        self._segments_dropped = Counter(
            "cctv_segments_dropped_total",
            "Recording segments deleted before the backend had them, by reason (spool_full, expired,"
            " rejected).",
            ["camera", "reason"],
            registry=registry,
        )
        for reason in SEGMENT_DROP_REASONS:
            self._segments_dropped.labels(camera=cam, reason=reason)
        self.inference_duration = Histogram(
            "cctv_inference_duration_seconds",
            "Time to run the detector on one frame.",
            ["camera"],
            buckets=_INFERENCE_BUCKETS,
            registry=registry,
        ).labels(camera=cam)
        self.alert_post_duration = Histogram(
            "cctv_alert_post_duration_seconds",
            "Time of one POST /api/send-alert/ attempt.",
            ["camera"],
            buckets=_POST_BUCKETS,
            registry=registry,
        ).labels(camera=cam)

        self._detections = Counter(
            "cctv_detections_total",
            "Detections that passed the filters, by class.",
            ["camera", "label"],
            registry=registry,
        )
        self._alerts_sent = Counter(
            "cctv_alerts_sent_total",
            "Alerts acknowledged by the backend.",
            ["camera", "alert_type"],
            registry=registry,
        )
        self._alerts_failed = Counter(
            "cctv_alerts_failed_total",
            "Failed send attempts, by reason.",
            ["camera", "result"],
            registry=registry,
        )
        self._camera = cam
        self._remote = False
        for alert_type in sorted(ALERT_TYPES):
            self._alerts_sent.labels(camera=cam, alert_type=alert_type)
        for result in FAILURE_RESULTS:
            self._alerts_failed.labels(camera=cam, result=result)

    def gate_decision(self, *, motion: bool, detect: bool) -> None:
        self.frames_checked.inc()
        if motion:
            self.frames_motion.inc()
        if not detect:
            self.frames_gated.inc()

    def detection(self, label: str) -> None:
        # Labels come from the model's class list: bounded, so safe as a label value.
        self._detections.labels(camera=self._camera, label=label).inc()

    def alert_sent(self, alert_type: str) -> None:
        self._alerts_sent.labels(camera=self._camera, alert_type=alert_type).inc()

    def alert_failed(self, result: str) -> None:
        if result not in FAILURE_RESULTS:
            raise ValueError(f"unknown failure result {result!r}")
        self._alerts_failed.labels(camera=self._camera, result=result).inc()

    def use_detector_service(self) -> None:
        """Adds the shared detector's series (only workers with DETECTOR_URL have them)."""
        self._remote = True
        self.detector_service_up = Gauge(
            "cctv_detector_service_up",
            "1 while the shared detector answers this worker; 0 while frames go to the local fallback"
            " or are skipped.",
            ["camera"],
            registry=self.registry,
        ).labels(camera=self._camera)
        self.detector_service_up.set(1)
        self._detector_errors = Counter(
            "cctv_detector_service_errors_total",
            "Frames the shared detector did not answer, by reason (timeout, unreachable, rejected).",
            ["camera", "result"],
            registry=self.registry,
        )
        for result in DETECTOR_SERVICE_RESULTS:
            self._detector_errors.labels(camera=self._camera, result=result)

    def detector_service_error(self, result: str) -> None:
        self._detector_errors.labels(camera=self._camera, result=result).inc()

    def live_session(self, result: str) -> None:
        self._live_sessions.labels(camera=self._camera, result=result).inc()

    def segments_dropped(self, reason: str, count: int = 1) -> None:
        if reason not in SEGMENT_DROP_REASONS:
            raise ValueError(f"unknown segment drop reason {reason!r}")
        self._segments_dropped.labels(camera=self._camera, reason=reason).inc(count)

    def sink_packet_dropped(self, sink: str) -> Callable[[], None]:
        """The counter of one packet sink's dropped packets, pre-initialised, as a callable."""
        child = self._sink_packets_dropped.labels(camera=self._camera, sink=sink)
        return child.inc
