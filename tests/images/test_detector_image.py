"""The shared detector image as the chart runs it: the chart's detector Deployment (detector enabled) gives
the environment, the user, the security context and the emptyDirs (/tmp on disk, /dev/shm in memory);
the container starts the real tritonserver that nvidia-pytriton ships, on the model baked into the image
(the bundled person detector, exported to OpenVINO at build time, as for the worker image).

It must answer Triton's KServe v2 health and repository routes, run one real frame (people beside a bus)
over gRPC the way a worker calls it, with the same detections as the image's own model file run in this
process, serve Triton's nv_inference_* beside our cctv_detector_* on the metrics port, and log no error.
The host's network stands in for the pod's: the ports move to free ones on loopback (the chart's are
8000, 8001, 8002, checked against its container ports below)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from support.containers import Container, Engine, kubernetes_flags, run_container
from support.footage import bus_jpg
from support.helm import Renderer, env_of, variant_file
from support.net import free_port

from .conftest import ImageBuilds, log_errors, pod_and_container

# A cold engine store builds the images first (the detector shares the worker's model export stage).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

MODEL = "yolov8"
CPU_NODE_ERROR = '"CudaDriverHelper has not been initialized."'


class RunningDetector:
    def __init__(self, container: Container, http: int, grpc: int, metrics: int, env: dict[str, str]) -> None:
        self.container, self.http, self.grpc, self.metrics, self.env = container, http, grpc, metrics, env

    def get(self, port: int, path: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{port}{path}", timeout=10)

    def samples(self) -> list:
        response = self.get(self.metrics, "/metrics")
        assert response.status_code == 200, response.text
        return [s for family in text_string_to_metric_families(response.text) for s in family.samples]

    def value(self, name: str, **labels: str) -> float:
        found = [
            s
            for s in self.samples()
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]
        assert found, f"no {name}{labels} on the metrics port"
        return sum(s.value for s in found)


@pytest.fixture(scope="module")
def detector_chart(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    renderer = Renderer(tmp_path_factory.mktemp("helm-home-detector"))
    return renderer.with_values(variant_file("default"), **{"detector.enabled": "true"})


@pytest.fixture(scope="module")
def detector(
    engine: Engine, images: ImageBuilds, detector_chart: list[dict], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningDetector]:
    image = images.ref("detector")
    pod, container = pod_and_container(detector_chart, "Deployment", "-detector-cpu")
    http, grpc, metrics = free_port(), free_port(), free_port()
    overrides = {
        "DETECTOR_HOST": "127.0.0.1",
        "DETECTOR_HTTP_PORT": str(http),
        "DETECTOR_GRPC_PORT": str(grpc),
        "DETECTOR_METRICS_PORT": str(metrics),
        # Two shared, busy cores here: one inference thread (the chart leaves it to the runtime).
        "INFERENCE_THREADS": "1",
    }
    flags, after = kubernetes_flags(
        pod, container, env_overrides=overrides, scratch=tmp_path_factory.mktemp("detector-volumes")
    )
    env = {item["name"]: item.get("value", "") for item in container["env"]} | overrides
    with run_container(engine, image, flags, after, prefix="cctv-detector") as running:
        deadline = time.monotonic() + 300  # Triton and the model on a loaded machine: a minute or more
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{http}/v2/health/ready", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if not running.running():
                pytest.fail(f"the detector image exited before it was ready:\n{running.logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the detector image was not ready within 300 s:\n{running.logs()}")
            time.sleep(0.5)
        yield RunningDetector(running, http, grpc, metrics, env)


def test_the_charts_ports_are_the_ones_the_service_is_told_to_use(detector_chart: list[dict]) -> None:
    # The test moves the ports; what it moves must be what the chart wires together.
    _, container = pod_and_container(detector_chart, "Deployment", "-detector-cpu")
    env = env_of(container)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": 8000, "grpc": 8001, "metrics": 8002}
    told = [env[f"DETECTOR_{name}_PORT"]["value"] for name in ("HTTP", "GRPC", "METRICS")]
    assert told == ["8000", "8001", "8002"]


def test_the_detector_image_answers_triton_health_and_keeps_its_repository_closed(
    detector: RunningDetector,
) -> None:
    assert detector.get(detector.http, "/v2/health/ready").status_code == 200
    assert detector.get(detector.http, "/v2/health/live").status_code == 200
    assert detector.get(detector.http, f"/v2/models/{MODEL}/ready").status_code == 200
    assert json.loads(detector.get(detector.http, f"/v2/models/{MODEL}").text)["versions"] == ["1"]
    # The repository (index, load, unload) needs the detector's own key (issue 20).
    unload = requests.post(
        f"http://127.0.0.1:{detector.http}/v2/repository/models/{MODEL}/unload", data=b"{}", timeout=10
    )
    assert unload.status_code == 403, unload.text
    assert detector.get(detector.http, f"/v2/models/{MODEL}/ready").status_code == 200
    assert detector.get(detector.metrics, "/readyz").status_code == 200
    healthcheck = detector.container.run_healthcheck()
    assert healthcheck.returncode == 0, healthcheck


def test_the_detector_image_detects_people_in_a_real_frame_over_grpc(
    detector: RunningDetector, engine: Engine, tmp_path: Path
) -> None:
    from cctv_worker.detect.loader import choose_model, load_detector
    from cctv_worker.detect.remote import RemoteDetector

    frame = cv2.imread(str(bus_jpg()))
    remote = RemoteDetector(f"grpc://127.0.0.1:{detector.grpc}", MODEL, conf_floor=0.25, timeout=60)
    there = remote.detect(frame)
    assert dict(remote.names) == {0: "Normal", 1: "Fall"}
    assert len(there) >= 3, there  # four people beside the bus; a broken model or pre-processing finds none
    # The same model file the image serves, run in this process: the same detections.
    model_path = detector.env["MODEL_PATH"]
    copied = engine("cp", f"{detector.container.name}:{model_path}", str(tmp_path / Path(model_path).name))
    assert copied.returncode == 0, copied.stderr
    local = load_detector(
        choose_model(str(tmp_path / Path(model_path).name), is_default=False),
        conf_floor=0.25,
        imgsz=640,
        threads=1,
    )
    here = local.detect(frame)
    assert len(here) == len(there), (here, there)
    for a, b in zip(sorted(here, key=lambda d: d.box[0]), sorted(there, key=lambda d: d.box[0]), strict=True):
        assert a.label == b.label
        assert abs(a.confidence - b.confidence) < 0.01, (a, b)
        assert np.allclose(a.box, b.box, atol=0.003), (a.box, b.box)


def test_the_metrics_port_serves_tritons_metrics_beside_ours(detector: RunningDetector) -> None:
    from cctv_worker.detect.remote import RemoteDetector

    before = detector.value("cctv_detector_requests_total", model=MODEL, result="ok")
    RemoteDetector(f"grpc://127.0.0.1:{detector.grpc}", MODEL, conf_floor=0.25, timeout=60).detect(
        cv2.imread(str(bus_jpg()))
    )
    assert detector.value("cctv_detector_requests_total", model=MODEL, result="ok") == before + 1
    assert detector.value("cctv_detector_model_ready", model=MODEL) == 1
    assert detector.value("cctv_detector_batch_size_count", model=MODEL) >= 1
    # Triton's own series, read from its private metrics port by ours, under the names Triton serves (the
    # parser calls a counter's samples *_total).
    text = detector.get(detector.metrics, "/metrics").text
    for name in ("nv_inference_request_success", "nv_inference_count", "nv_inference_queue_duration_us"):
        assert f'\n{name}{{model="{MODEL}",version="1"}} ' in text, name
    assert detector.value("nv_inference_request_success_total", model=MODEL) >= 1
    assert detector.value("nv_inference_count_total", model=MODEL) >= 1


def test_the_image_holds_the_model_every_pool_of_the_chart_names(
    detector: RunningDetector, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The GPU variant (clusterwide-gpu) runs the .pt with torch; the file comes from the same export stage.
    objects = Renderer(tmp_path_factory.mktemp("helm-home-gpu")).variant("clusterwide-gpu")
    paths = set()
    for kind, suffix in (("DaemonSet", "-detector-gpu"), ("Deployment", "-detector-cpu")):
        _, container = pod_and_container(objects, kind, suffix)
        paths.add(env_of(container)["MODEL_PATH"]["value"])
    assert paths == {"/opt/cctv/models/model.pt", "/opt/cctv/models/model.openvino"}
    for path in sorted(paths):
        found = detector.container.exec("test", "-e", path)
        assert found.returncode == 0, f"{path} is not in the detector image"


def test_the_detector_runs_as_the_chart_asks_with_a_clean_log(detector: RunningDetector) -> None:
    container = detector.container
    status = container.process_status()
    assert status["Uid"].split()[:2] == ["10001", "10001"], status["Uid"]
    assert int(status["CapEff"], 16) == 0 and status["NoNewPrivs"].strip() == "1"
    write = container.exec("python", "-c", "open('/opt/cctv/probe', 'w')")
    assert "Read-only file system" in write.stderr, write
    # Where Triton writes: PyTriton's workspace (the server binaries, the model store) under /tmp, the
    # tensors between Triton and the model in /dev/shm, a memory-backed emptyDir (tmpfs).
    binaries = "/tmp/.cache/pytriton/workspace_*/tritonserver/bin/tritonserver"
    workspaces = container.exec("sh", "-c", f"ls -d {binaries}")
    assert workspaces.returncode == 0, workspaces
    shm = container.exec("stat", "-f", "-c", "%T", "/dev/shm")
    assert shm.stdout.strip() == "tmpfs", shm
    logs = container.logs()
    assert not log_errors(logs), logs
    # Triton's own error lines (glog: E<mmdd> ...) count too, but for one a CPU node always gives: Triton's
    # GPU build probes for a CUDA driver at start and says it found none.
    triton = [line for line in logs.splitlines() if re.match(r"^[EF]\d{4} ", line)]
    assert [line for line in triton if CPU_NODE_ERROR not in line] == [], logs
