"""A Camera's detector choice and its DetectorReady condition, end to end through kopf and the emulated API.

The operator resolves `spec.detection.detector` against its pools (WORKER_DETECTOR_POOLS): an unknown
pool is an error on the Camera (conditions and a Warning Event) and starts nothing. For a worker that
calls a shared detector it reads the worker pod's /readyz and mirrors the detector state into
DetectorReady. The emulator runs no kubelet: the test writes the Pod (address, phase) as a kubelet
would, and the pod's /readyz is served by the worker's own HealthServer and readiness code (the
Worker's `_ready` on a real StreamStatus and FailoverDetector) on a loopback port.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import types

import pytest
from conftest import NAMESPACE, eventually
from prometheus_client import CollectorRegistry

from cctv_worker.capture.watchdog import StreamState, StreamStatus
from cctv_worker.detect.base import DetectorUnavailable
from cctv_worker.detect.failover import FailoverDetector
from cctv_worker.health import HealthServer
from cctv_worker.worker import Worker

CAMERAS = "cctv.io/v1alpha1/cameras"
DEPLOYMENTS = "apps/v1/deployments"
DEFAULT_URL = "grpc://cctv-detector-cpu:8001"
POOLS = {"cpu": DEFAULT_URL, "gpu-a": "grpc://cctv-detector-gpu-a:8001"}

SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "lobby-stream", "namespace": NAMESPACE},
    "data": {
        "rtsp-url": base64.b64encode(b"rtsp://lobby/stream").decode(),
        "ingest-token": base64.b64encode(b"cam_42_abc").decode(),
    },
}


@pytest.fixture()
def operator_env(operator_env, monkeypatch):  # the conftest's, plus a default detector and two pools
    extra = {
        "WORKER_DETECTOR_URL": DEFAULT_URL,
        "WORKER_DETECTOR_POOLS": json.dumps(POOLS),
        "WORKER_PROBE_TIMEOUT": "0.5",
    }
    for key, value in extra.items():
        monkeypatch.setenv(key, value)
    return {**operator_env, **extra}


def _camera(detector: str | None = None) -> dict:
    detection = {} if detector is None else {"detector": detector}
    return {
        "apiVersion": "cctv.io/v1alpha1",
        "kind": "Camera",
        "metadata": {"name": "lobby", "namespace": NAMESPACE},
        "spec": {"cameraId": 42, "secretRef": {"name": "lobby-stream"}, "detection": detection},
    }


def _condition(kube_cluster, kind: str) -> dict | None:
    status = kube_cluster.live(CAMERAS, NAMESPACE).get("lobby", {}).get("status") or {}
    return next((c for c in status.get("conditions") or [] if c["type"] == kind), None)


def _env(kube_cluster) -> dict[str, str]:
    deployment = kube_cluster.live(DEPLOYMENTS, NAMESPACE)["camera-42"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value") for item in container["env"]}


class _Service:
    """The shared detector as the worker's FailoverDetector sees it; `up` says whether it answers."""

    url = DEFAULT_URL
    names = {0: "person"}

    def __init__(self) -> None:
        self.up = True

    def detect(self, image):
        if not self.up:
            raise DetectorUnavailable("unreachable", "is unreachable (connection refused)")
        return []


class _WorkerPod:
    """A worker's health port: the real HealthServer answering with the Worker's own readiness code."""

    def __init__(self, *, fallback: bool) -> None:
        self.service = _Service()
        self.detector = FailoverDetector(
            self.service, (lambda: _NoModel()) if fallback else None, retry_interval=0.0
        )
        status = StreamStatus(stall_timeout=60.0)
        status.set_state(StreamState.UP)
        status.frame_seen()
        worker = types.SimpleNamespace(
            status=status, detector=self.detector, sender=types.SimpleNamespace(rejection=None)
        )
        self.server = HealthServer(
            "127.0.0.1", 0, CollectorRegistry(), live=lambda: (True, {}), ready=lambda: Worker._ready(worker)
        )
        self.server.start()
        self.lock = threading.Lock()

    def frame(self) -> None:
        """One frame through the detector, as the worker's loop would run it."""
        with contextlib.suppress(DetectorUnavailable):  # the worker skips the frame and stays up
            self.detector.detect(None)

    def stop(self) -> None:
        self.server.stop()


class _NoModel:
    backend = "local"
    names = {0: "person"}

    def detect(self, image):
        return []


async def _running_pod(kube_cluster, port: int) -> None:
    """Write the worker's Pod as the ReplicaSet and kubelet would: its labels, its port, running."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "camera-42-abc12",
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/name": "cctv-worker", "cctv.io/camera-id": "42"},
        },
        "spec": {
            "containers": [
                {"name": "worker", "image": "w", "ports": [{"name": "metrics", "containerPort": port}]}
            ]
        },
    }
    await kube_cluster.post(f"/api/v1/namespaces/{NAMESPACE}/pods", json=pod)
    await kube_cluster.patch(
        f"/api/v1/namespaces/{NAMESPACE}/pods/camera-42-abc12/status",
        json={"status": {"phase": "Running", "podIP": "127.0.0.1"}},
        headers={"Content-Type": "application/merge-patch+json"},
    )


async def test_unknown_pool_is_an_error_on_the_camera_and_a_known_one_is_used(kube_cluster, running_operator):
    await kube_cluster.post(f"/api/v1/namespaces/{NAMESPACE}/secrets", json=SECRET)
    await kube_cluster.post(f"/apis/cctv.io/v1alpha1/namespaces/{NAMESPACE}/cameras", json=_camera("gpu-b"))

    detector = await eventually(lambda: _condition(kube_cluster, "DetectorReady"), what="DetectorReady")
    assert (detector["status"], detector["reason"]) == ("False", "UnknownDetector")
    assert "'gpu-b'" in detector["message"] and "cpu, gpu-a" in detector["message"]
    ready = _condition(kube_cluster, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "UnknownDetector")
    assert kube_cluster.live(DEPLOYMENTS, NAMESPACE) == {}  # nothing started on a guess
    events = await eventually(
        lambda: [
            e
            for e in kube_cluster.live("v1/events", NAMESPACE).values()
            if e.get("reason") == "UnknownDetector"
        ],
        what="a warning Event",
    )
    assert events[0]["type"] == "Warning" and "gpu-b" in events[0]["message"]
    assert running_operator.error is None  # no crash, no retry storm: the operator is still there

    await kube_cluster.patch(
        f"/apis/cctv.io/v1alpha1/namespaces/{NAMESPACE}/cameras/lobby",
        json={"spec": {"detection": {"detector": "gpu-a"}}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    await eventually(lambda: "camera-42" in kube_cluster.live(DEPLOYMENTS, NAMESPACE), what="the Deployment")
    env = _env(kube_cluster)
    assert (env["DETECTOR_URL"], env["DETECTOR"]) == (POOLS["gpu-a"], "gpu-a")
    # No pod has answered yet: the operator says it does not know rather than guessing.
    detector = await eventually(
        lambda: (c := _condition(kube_cluster, "DetectorReady")) and c["reason"] != "UnknownDetector" and c,
        what="DetectorReady after the fix",
    )
    assert (detector["status"], detector["reason"]) == ("Unknown", "WorkerNotReporting")


@pytest.mark.parametrize("choice", ["local", None])
async def test_in_process_and_default_choices(kube_cluster, running_operator, choice):
    await kube_cluster.post(f"/api/v1/namespaces/{NAMESPACE}/secrets", json=SECRET)
    await kube_cluster.post(f"/apis/cctv.io/v1alpha1/namespaces/{NAMESPACE}/cameras", json=_camera(choice))
    await eventually(lambda: "camera-42" in kube_cluster.live(DEPLOYMENTS, NAMESPACE), what="the Deployment")
    env = _env(kube_cluster)
    if choice == "local":
        assert "DETECTOR_URL" not in env and env["DETECTOR"] == "local"
        await eventually(lambda: _condition(kube_cluster, "Ready"), what="Ready")
        assert _condition(kube_cluster, "DetectorReady") is None  # the worker's own model: Ready says it all
    else:
        assert env["DETECTOR_URL"] == DEFAULT_URL and env["DETECTOR"] == ""  # the operator-wide default


@pytest.mark.parametrize("fallback", [False, True], ids=["no-local-model", "local-fallback"])
async def test_detector_ready_follows_the_workers_detector_state(kube_cluster, running_operator, fallback):
    pod = _WorkerPod(fallback=fallback)
    try:
        await kube_cluster.post(f"/api/v1/namespaces/{NAMESPACE}/secrets", json=SECRET)
        await kube_cluster.post(f"/apis/cctv.io/v1alpha1/namespaces/{NAMESPACE}/cameras", json=_camera())
        await _running_pod(kube_cluster, pod.server.port)

        def detector_reason(reason):
            return lambda: (c := _condition(kube_cluster, "DetectorReady")) and c["reason"] == reason and c

        answering = await eventually(detector_reason("ServiceAnswering"), what="DetectorReady=True")
        assert answering["status"] == "True" and DEFAULT_URL in answering["message"]

        pod.service.up = False  # the detector is killed; the worker's next frame finds out
        pod.frame()
        reason = "LocalFallback" if fallback else "ServiceUnavailable"
        down = await eventually(detector_reason(reason), what=f"DetectorReady={reason}")
        assert down["status"] == "False"
        assert "unreachable" in down["message"] and DEFAULT_URL in down["message"]
        assert ("own model" if fallback else "not analysed") in down["message"]
        events = await eventually(
            lambda: [
                e
                for e in kube_cluster.live("v1/events", NAMESPACE).values()
                if e.get("reason") == f"Detector{reason}"
            ],
            what="a warning Event",
        )
        assert events[0]["type"] == "Warning"

        pod.service.up = True  # back: the worker's next try uses it again, and so does the condition
        pod.frame()
        back = await eventually(detector_reason("ServiceAnswering"), what="DetectorReady=True again")
        assert back["status"] == "True"

        pod.stop()  # the pod stops answering: unknown, with the reason
        gone = await eventually(detector_reason("WorkerNotReporting"), what="DetectorReady=Unknown")
        assert gone["status"] == "Unknown" and "did not answer" in gone["message"]
    finally:
        pod.stop()


async def test_pods_the_operator_may_not_list_leave_the_worker_alone(kube_cluster, running_operator):
    """An operator whose Role predates `pods` (or a cluster without them): DetectorReady is Unknown, the
    Deployment and the Ready condition are managed as before."""
    del kube_cluster.resources["v1/pods"]  # the emulated API now answers 404 to a pod list
    await kube_cluster.post(f"/api/v1/namespaces/{NAMESPACE}/secrets", json=SECRET)
    await kube_cluster.post(f"/apis/cctv.io/v1alpha1/namespaces/{NAMESPACE}/cameras", json=_camera())
    await eventually(lambda: "camera-42" in kube_cluster.live(DEPLOYMENTS, NAMESPACE), what="the Deployment")
    detector = await eventually(lambda: _condition(kube_cluster, "DetectorReady"), what="DetectorReady")
    assert (detector["status"], detector["reason"]) == ("Unknown", "WorkerNotReporting")
    assert "cannot list the worker's pods" in detector["message"]
    assert _condition(kube_cluster, "Ready")["reason"] == "WorkerNotReady"


async def test_a_worker_that_cannot_read_its_stream_says_why_on_the_camera(kube_cluster, running_operator):
    # Issue 19: "Stream down" gave no cause. The worker's own readiness code (on a real StreamStatus
    # whose last open was refused) answers /readyz, and the Camera's Ready condition carries the reason.
    status = StreamStatus(stall_timeout=60.0)
    status.set_state(StreamState.DOWN)
    status.set_error("connection refused: nothing listens at that address and port")
    detector = FailoverDetector(_Service(), None, retry_interval=0.0)
    worker = types.SimpleNamespace(
        status=status, detector=detector, sender=types.SimpleNamespace(rejection=None)
    )
    server = HealthServer(
        "127.0.0.1", 0, CollectorRegistry(), live=lambda: (True, {}), ready=lambda: Worker._ready(worker)
    )
    server.start()
    try:
        await kube_cluster.post(f"/api/v1/namespaces/{NAMESPACE}/secrets", json=SECRET)
        await kube_cluster.post(f"/apis/cctv.io/v1alpha1/namespaces/{NAMESPACE}/cameras", json=_camera())
        await _running_pod(kube_cluster, server.port)
        ready = await eventually(
            lambda: (c := _condition(kube_cluster, "Ready")) and c["reason"] == "StreamDown" and c,
            what="Ready=False StreamDown",
        )
        assert ready["status"] == "False"
        refused = "connection refused: nothing listens at that address and port"
        assert ready["message"] == f"the worker cannot read its stream: {refused}"
        camera = kube_cluster.live(CAMERAS, NAMESPACE)["lobby"]
        assert camera["status"]["streamState"] == "Down"
    finally:
        server.stop()
