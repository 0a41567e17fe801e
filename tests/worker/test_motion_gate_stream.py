"""The motion gate in the real worker, on footage over the real RTSP server: a person walking into a
still scene is alerted on the same frame with the gate as without, while the still scene costs almost
no inference; motion only inside a mask runs none (the whole worker process).

The footage is vtest.avi's street emptied by a median over time, into which one of bus.jpg's
pedestrians walks (tests/support/footage.py ``walk_in_video``). The model is the real person detector.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import pytest
from prometheus_client import CollectorRegistry

from cctv_worker.capture.stream import Frame
from cctv_worker.config import WorkerConfig
from cctv_worker.decisions.filters import Rules
from cctv_worker.detect.loader import choose_model, load_detector
from cctv_worker.worker import Worker
from support.footage import walk_in_video
from support.rtsp_server import start_rtsp_server
from support.worker_process import WorkerProcess

from .backend_double import AlertBackend
from .helpers import wait_for

MakeWorker = Callable[..., WorkerProcess]


@pytest.fixture
def make_worker(tmp_path: Path, person_onnx: Path) -> Iterator[MakeWorker]:
    started: list[WorkerProcess] = []

    def make(rtsp_url: str, backend: AlertBackend, **env: str) -> WorkerProcess:
        base = {
            "CAMERA_ID": "1", "RTSP_URL": rtsp_url, "DJANGO_API_URL": backend.url,
            "DJANGO_API_TOKEN": backend.token, "MODEL_PATH": str(person_onnx),
            # Normal only: the model scores a cloth on the empty lawn as "Fall" at about 0.5.
            "ALERT_CLASS_MAP": "Normal=person", "DETECT_FPS": "2",
            "STREAM_TIMEOUT": "5", "RECONNECT_DELAY": "0.5", "RECONNECT_MAX_DELAY": "1",
            "HEARTBEAT_INTERVAL": "1",
            "INFERENCE_THREADS": "1", "DATA_DIR": str(tmp_path / f"data-{len(started)}"),
            "SHUTDOWN_GRACE": "2", "ALERT_COOLDOWN": "600",
        }  # fmt: skip
        worker = WorkerProcess({**base, **env}, tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.close()


class CountingDetector:
    """The real detector, counting its runs. Both workers get the very same frame objects, so one
    inference per frame is shared between them (same frame, same answer): half the CPU of the test."""

    last: list = [None, None]  # [the frame's image (held, so that its identity stays unique), result]

    def __init__(self, detector) -> None:
        self.inner, self.backend, self.names, self.runs = detector, detector.backend, detector.names, 0

    def health(self):
        return self.inner.health()

    def watch(self, on_error) -> None:
        self.inner.watch(on_error)

    def detect(self, image):
        self.runs += 1
        if self.last[0] is not image:
            self.last[:] = [image, self.inner.detect(image)]
        return self.last[1]


def in_process_worker(tmp_path: Path, name: str, detector, clock, **env: str) -> Worker:
    config = WorkerConfig.from_env({
        "CAMERA_ID": "1", "RTSP_URL": "rtsp://unused", "DJANGO_API_TOKEN": "t",
        "DATA_DIR": str(tmp_path / name), "ALERT_COOLDOWN": "600", "METRICS_PORT": "0",
        "CLIPS_ENABLED": "false", **env,
    })  # fmt: skip
    rules = Rules(class_map={"Normal": "person"}, confidence=config.confidence_threshold)
    return Worker(config, detector, rules, registry=CollectorRegistry(), clock=clock)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_person_walking_in_is_alerted_on_the_same_frame_with_the_gate_as_without(
    tmp_path: Path, person_onnx: Path
) -> None:
    """Both workers' pipelines (gate on, gate off) get the very same frames, read from the real RTSP
    server at 2 per second: the first frame with the person alerts in both. In lockstep, so that a
    loaded machine (fewer frames analysed) cannot decide the outcome."""
    model = load_detector(choose_model(str(person_onnx), is_default=False), conf_floor=0.5, imgsz=640,
                          threads=1)  # fmt: skip
    now = [0.0]
    gated_detector, ungated_detector = CountingDetector(model), CountingDetector(model)
    gated = in_process_worker(tmp_path, "gated", gated_detector, lambda: now[0], FORCED_DETECT_INTERVAL="5")
    ungated = in_process_worker(tmp_path, "ungated", ungated_detector, lambda: now[0], MOTION_GATE="false")
    first_alert: dict[str, int] = {}
    clip = walk_in_video(tmp_path, tmp_path / "walk-in.avi", still_seconds=12, walk_seconds=6)
    with start_rtsp_server(clip, fps=10, size=(768, 576)) as server:  # 20 s of footage, not looped
        capture = cv2.VideoCapture(server.url, cv2.CAP_FFMPEG)
        try:
            for index in range(200):
                ok, image = capture.read()
                if not ok:
                    break
                if index % 5:  # 2 analysed frames per second of stream time
                    continue
                now[0] = index / 10
                frame = Frame(image, index, time.time())
                for name, worker in (("gated", gated), ("ungated", ungated)):
                    worker.process(frame)
                    if worker.spool.depth() and name not in first_alert:
                        first_alert[name] = index
        finally:
            capture.release()
    samples = index // 5
    assert index >= 190, f"the stream ended after {index} frames"
    assert "ungated" in first_alert, "the person was never detected: the test proves nothing"
    assert first_alert.get("gated") == first_alert["ungated"], first_alert
    assert first_alert["ungated"] >= 120  # after the still part: nobody before the walk
    gated_skipped = gated.registry.get_sample_value("cctv_frames_gated_total", {"camera": "1"})
    # The still part cost the gated worker the first frame and a forced one every 5 s; the walk, all.
    assert ungated_detector.runs == samples + 1
    assert gated_detector.runs <= samples + 1 - 20, (gated_detector.runs, samples)
    assert gated_skipped == ungated_detector.runs - gated_detector.runs
    for worker in (gated, ungated):
        worker.spool.close()


@pytest.mark.slow
def test_motion_only_inside_a_mask_runs_no_inference(tmp_path: Path, make_worker: MakeWorker) -> None:
    clip = walk_in_video(tmp_path, tmp_path / "walk-in.avi", still_seconds=2, walk_seconds=5)
    backend = AlertBackend().start()
    walk_area = '[{"name": "road", "points": [[0.25, 0.25], [1, 0.25], [1, 0.8], [0.25, 0.8]]}]'
    try:
        with start_rtsp_server(clip, fps=10, size=(768, 576), loop=True, shared=True) as server:
            worker = make_worker(server.url, backend, MOTION_MASKS=walk_area, FORCED_DETECT_INTERVAL="0")
            wait_for(lambda: worker.value("cctv_frames_motion_checked_total", camera="1") >= 12,
                     timeout=90, what="12 checked samples, the walk included")  # fmt: skip
            checked = worker.value("cctv_frames_motion_checked_total", camera="1")
            inferred = worker.value("cctv_frames_inferred_total", camera="1")
            with_motion = worker.value("cctv_frames_motion_total", camera="1")
            reconnects = worker.value("cctv_stream_reconnects_total", camera="1")
    finally:
        backend.stop()
    assert reconnects == 0
    assert with_motion == 0
    assert inferred == 1, f"{inferred} inferences of {checked} samples (1 expected: the first frame)"
    assert backend.alerts == []


@pytest.mark.slow
def test_the_capture_decodes_keyframes_only_while_the_scene_is_quiet(
    tmp_path: Path, person_onnx: Path
) -> None:
    from cctv_worker.capture.stream import DecodeMode
    from support.footage import bus_jpg, empty_street

    model = load_detector(choose_model(str(person_onnx), is_default=False), conf_floor=0.5, imgsz=640,
                          threads=1)  # fmt: skip
    now = [0.0]
    worker = in_process_worker(tmp_path, "w", model, lambda: now[0], EVENT_GRACE="6")
    street = cv2.imread(str(empty_street(tmp_path)))
    people = cv2.resize(cv2.imread(str(bus_jpg())), (street.shape[1], street.shape[0]))
    modes = []
    for t, image in enumerate([street] * 6 + [people] * 3 + [street] * 12):
        now[0] = float(t)
        worker.process(Frame(image, t, 1_700_000_000.0 + t))
        modes.append(worker.capture.decode_mode)
    assert modes[3:6] == [DecodeMode.KEYFRAMES] * 3  # quiet for 3 s: keyframes only
    assert modes[6] is DecodeMode.ALL  # the people came in: every frame at once
    assert worker.events.open == {} and modes[-1] is DecodeMode.KEYFRAMES  # event closed, quiet again
    # While their event was open nothing moved after t=6 (the same picture), yet every frame decoded.
    assert all(m is DecodeMode.ALL for m in modes[6:10])
    worker.spool.close()

    always = in_process_worker(tmp_path, "all", model, lambda: now[0], MOTION_IDLE_DECODE="all")
    for t in range(8):
        now[0] = float(t)
        always.process(Frame(street, t, 1_700_000_000.0 + t))
    assert always.capture.decode_mode is DecodeMode.ALL
    always.spool.close()
