"""The worker's side of the shared detector without a server: failover decisions (clock injected), the
tensor contract, the address, and the service's batch pipeline and settings (pure parts)."""

from __future__ import annotations

import numpy as np
import pytest

from cctv_worker.config import ConfigError, WorkerConfig
from cctv_worker.detect.base import Detection, DetectorUnavailable
from cctv_worker.detect.failover import FALLBACK, SERVICE, UNAVAILABLE, FailoverDetector
from cctv_worker.detect.postprocess import Letterbox, to_detections
from cctv_worker.detect.protocol import MAX_DETECTIONS, pack, service_address, unpack

FRAME = np.zeros((48, 64, 3), np.uint8)
PERSON = Detection("person", 0.9, (0.1, 0.1, 0.2, 0.4))


class FakeService:
    url = "grpc://detector:8001"
    names = {0: "person"}

    def __init__(self) -> None:
        self.up = True
        self.calls = 0

    def detect(self, image: np.ndarray) -> list[Detection]:
        self.calls += 1
        if not self.up:
            raise DetectorUnavailable("unreachable", "unreachable: connection refused")
        return [PERSON]


class FakeLocal:
    backend = "onnxruntime"
    names = {0: "person"}

    def detect(self, image: np.ndarray) -> list[Detection]:
        return [Detection("person", 0.8, (0.5, 0.5, 0.6, 0.9))]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_without_a_local_model_an_outage_skips_frames_retries_on_schedule_and_recovers() -> None:
    service, clock, errors = FakeService(), Clock(), []
    failover = FailoverDetector(service, None, retry_interval=5.0, clock=clock)
    failover.on_error = errors.append
    assert failover.detect(FRAME) == [PERSON] and failover.state == SERVICE

    service.up = False
    with pytest.raises(DetectorUnavailable):
        failover.detect(FRAME)
    assert failover.state == UNAVAILABLE and "connection refused" in (failover.reason or "")
    clock.now += 1.0
    with pytest.raises(DetectorUnavailable):
        failover.detect(FRAME)
    assert service.calls == 2, "not asked again before the retry interval"
    assert errors == ["unreachable"]

    service.up = True
    clock.now += 5.0
    assert failover.detect(FRAME) == [PERSON]
    assert failover.state == SERVICE and failover.reason is None


def test_with_a_local_model_an_outage_goes_to_it_loaded_once_and_back_to_the_service() -> None:
    service, clock, loads = FakeService(), Clock(), []

    def local() -> FakeLocal:
        loads.append(1)
        return FakeLocal()

    failover = FailoverDetector(service, local, retry_interval=5.0, clock=clock)
    assert failover.detect(FRAME) == [PERSON] and loads == [], "a healthy worker holds no model"
    service.up = False
    for _ in range(3):
        assert failover.detect(FRAME)[0].confidence == 0.8
        clock.now += 1.0
    assert failover.state == FALLBACK and loads == [1]
    service.up = True
    clock.now += 5.0
    assert failover.detect(FRAME) == [PERSON] and failover.state == SERVICE


def test_pack_and_unpack_keep_each_frames_rows_and_pad_the_rest() -> None:
    rows = [np.array([[1, 2, 3, 4, 0.9, 0]], np.float32), np.zeros((0, 6), np.float32)]
    detections, counts = pack(rows)
    assert detections.shape == (2, MAX_DETECTIONS, 6) and counts.tolist() == [[1], [0]]
    assert unpack(detections, counts, 0).tolist() == rows[0].tolist()
    assert unpack(detections, counts, 1).shape == (0, 6)
    with pytest.raises(ValueError, match="outside"):
        unpack(detections, np.array([[MAX_DETECTIONS + 1]]))


def test_rows_in_letterboxed_pixels_map_back_to_the_original_frame() -> None:
    # A 1280x720 frame letterboxed to 640: scale 0.5, 140 px of padding above.
    box = Letterbox(scale=0.5, pad_x=0, pad_y=140, width=1280, height=720)
    (found,) = to_detections(
        np.array([[64, 140 + 36, 320, 140 + 180, 0.7, 0]], np.float32), box, {0: "person"}
    )
    assert found.label == "person" and found.box == pytest.approx((0.1, 0.1, 0.5, 0.5))
    assert to_detections(np.array([[0, 0, 1, 1, 0.2, 0]], np.float32), box, {0: "p"}, conf_floor=0.5) == []


@pytest.mark.parametrize("url", ["grpc://detector:8001", "detector.cctv.svc:8001", "127.0.0.1:8001/"])
def test_detector_url_takes_grpc_addresses(url: str) -> None:
    assert service_address(url).endswith(":8001")


@pytest.mark.parametrize("url", ["http://detector:8000", "detector", "grpc://:8001", "detector:port"])
def test_a_detector_url_that_is_not_a_grpc_address_stops_start_up_naming_the_variable(url: str) -> None:
    env = {"CAMERA_ID": "1", "RTSP_URL": "x.mp4", "DJANGO_API_TOKEN": "t", "DETECTOR_URL": url}
    with pytest.raises(ConfigError, match="DETECTOR_URL: expected grpc://host:port"):
        WorkerConfig.from_env(env)


def test_the_service_normalises_uint8_frames_runs_one_batch_and_refuses_wrong_shapes() -> None:
    from cctv_detector.pipeline import run_batch

    seen = []

    def infer(blob: np.ndarray) -> np.ndarray:
        seen.append(blob)
        raw = np.zeros((len(blob), 4 + 2, 10), np.float32)
        raw[:, :4, 0] = [32, 32, 16, 16]  # one box per frame at the centre of a 64 px input
        raw[:, 4, 0] = 0.9
        return raw

    images = np.full((3, 64, 64, 3), 255, np.uint8)
    images[..., 0] = 0  # blue channel off: BGR in, RGB out
    detections, counts = run_batch(images, infer, num_classes=2, size=64, conf_floor=0.5)
    (blob,) = seen
    assert blob.shape == (3, 3, 64, 64) and blob.dtype == np.float32
    assert blob[:, 2].max() == 0.0 and blob[:, 0].min() == 1.0
    assert counts.ravel().tolist() == [1, 1, 1]
    assert detections[0, 0].tolist() == pytest.approx([24, 24, 40, 40, 0.9, 0])
    with pytest.raises(ValueError, match=r"\[batch, 64, 64, 3\]"):
        run_batch(np.zeros((1, 32, 32, 3), np.uint8), infer, num_classes=2, size=64, conf_floor=0.5)
    with pytest.raises(ValueError, match="uint8"):
        run_batch(np.zeros((1, 64, 64, 3), np.float32), infer, num_classes=2, size=64, conf_floor=0.5)


def test_detector_settings_default_to_tritons_ports_and_bad_values_name_the_variable() -> None:
    from cctv_detector.config import ConfigError as DetectorConfigError
    from cctv_detector.config import DetectorConfig

    config = DetectorConfig.from_env({})
    assert (config.http_port, config.grpc_port, config.metrics_port) == (8000, 8001, 8002)
    assert config.model_path == "yolov8n.pt" and config.queue_delay_microseconds == 5000
    with pytest.raises(DetectorConfigError, match="DETECTOR_MAX_BATCH"):
        DetectorConfig.from_env({"DETECTOR_MAX_BATCH": "0"})
    with pytest.raises(DetectorConfigError, match="must differ"):
        DetectorConfig.from_env({"DETECTOR_METRICS_PORT": "8000"})


def test_queue_time_is_read_from_tritons_metrics_in_seconds() -> None:
    from cctv_detector.metrics import queue_seconds

    text = (
        'nv_inference_queue_duration_us{model="yolov8",version="1"} 2500000\n'
        'nv_inference_count{model="yolov8",version="1"} 3\n'
    )
    assert queue_seconds(text) == {"yolov8": 2.5}
