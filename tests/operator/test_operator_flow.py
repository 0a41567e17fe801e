"""The operator end to end: kopf and the real `kubernetes` client against the emulated API over
HTTP, with the backend's active-cameras endpoint served by an HTTP double on the same loop."""

from __future__ import annotations

import asyncio
import base64

import pytest
from conftest import NAMESPACE, eventually

from cctv_operator.kube.reconciler import reconcile_camera

CAMERAS = "cctv.io/v1alpha1/cameras"
SECRETS = "v1/secrets"
DEPLOYMENTS = "apps/v1/deployments"


def _deployment(kube_cluster, name="camera-5"):
    return kube_cluster.live(DEPLOYMENTS, NAMESPACE).get(name)


def _config_hash(deployment):
    return deployment["spec"]["template"]["metadata"]["annotations"]["cctv.io/config-hash"]


def _env(deployment):
    return {item["name"]: item for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}


async def _converged(kube_cluster, running_operator):
    """Wait until two more sync passes and a reconcile pass ran after everything settled."""
    passes = running_operator.sample("cctv_operator_sync_total", result="success")
    await eventually(
        lambda: running_operator.sample("cctv_operator_sync_total", result="success") >= passes + 2,
        what="two more sync passes")


async def test_activated_camera_gets_a_camera_secret_and_deployment(backend, kube_cluster, running_operator):
    backend.activate(5)
    deployment = await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    camera = kube_cluster.live(CAMERAS, NAMESPACE)["camera-5"]
    secret = kube_cluster.live(SECRETS, NAMESPACE)["camera-5"]

    managed = {"app.kubernetes.io/managed-by": "cctv-operator", "cctv.io/camera-id": "5"}
    assert camera["metadata"]["labels"] == managed
    assert secret["metadata"]["labels"] == managed
    assert deployment["metadata"]["labels"].items() >= managed.items()
    assert camera["spec"]["cameraId"] == 5
    assert "rtsp://" not in str(camera) and "cam_5_" not in str(camera)  # credentials only in the Secret
    assert base64.b64decode(secret["data"]["rtsp-url"]).decode() == backend.cameras[5]["rtsp_url"]
    assert base64.b64decode(secret["data"]["ingest-token"]).decode() == backend.cameras[5]["ingest_token"]

    owner = deployment["metadata"]["ownerReferences"]
    assert owner == [{"apiVersion": "cctv.io/v1alpha1", "kind": "Camera", "name": "camera-5",
                      "uid": camera["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}

    env = _env(deployment)
    assert env["CAMERA_ID"]["value"] == "5"
    assert env["RTSP_URL"]["valueFrom"] == {"secretKeyRef": {"name": "camera-5", "key": "rtsp-url"}}
    token_ref = {"secretKeyRef": {"name": "camera-5", "key": "ingest-token"}}
    assert env["DJANGO_API_TOKEN"]["valueFrom"] == token_ref
    assert env["DJANGO_API_URL"]["value"] == "http://cctv-backend.cctv.svc:8000"
    assert env["ALERT_TYPES"]["value"] == "person,vehicle,intrusion"
    assert env["METRICS_PORT"]["value"] == "9100"

    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert container["image"] == "registry.example/cctv-worker:1.0"

    status = await eventually(lambda: kube_cluster.live(CAMERAS, NAMESPACE)["camera-5"].get("status"),
                              what="Camera status")
    assert status["observedGeneration"] == camera["metadata"]["generation"]
    [ready] = status["conditions"]
    assert (ready["type"], ready["status"], ready["reason"]) == ("Ready", "False", "WorkerNotReady")
    assert ready["lastTransitionTime"]


async def test_deactivated_camera_loses_its_camera_secret_and_deployment(
    backend, kube_cluster, running_operator
):
    backend.activate(5)
    backend.activate(6)
    await eventually(lambda: _deployment(kube_cluster, "camera-6"), what="Deployment camera-6")
    backend.deactivate(5)
    await eventually(lambda: "camera-5" not in kube_cluster.live(CAMERAS, NAMESPACE), what="Camera deleted")
    # The runtime deletes the Camera first (its pod goes with it), then the Secret the pod used.
    await eventually(lambda: "camera-5" not in kube_cluster.live(SECRETS, NAMESPACE), what="Secret deleted")
    # The emulator collects garbage through owner references, as the real controller manager does.
    assert "camera-5" not in kube_cluster.live(DEPLOYMENTS, NAMESPACE)
    assert set(kube_cluster.live(CAMERAS, NAMESPACE)) == {"camera-6"}


async def test_a_camera_deleted_while_its_drift_reconcile_is_in_flight_is_gone_within_seconds(
    backend, kube_cluster, running_operator
):
    # kopf keeps the finalizer until the Camera's drift timer has stopped. Hold the Camera's reconcile
    # lock on the operator's own loop: the next drift run waits inside its reconcile, as one does
    # that is mid-way through its API calls when the deletion arrives. With kopf's defaults the
    # stopped timer was looked at again only a minute later (cancellation_polling), and the Camera,
    # its Secret and Deployment outlived the deactivation by that long.
    backend.activate(5)
    await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    lock = running_operator.memo.locks[(NAMESPACE, "camera-5")]
    loop = running_operator.loop
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(lock.acquire(), loop))
    try:
        await asyncio.sleep(1.0)  # the drift timer (every 0.5 s here) is now waiting for the lock
        backend.deactivate(5)
        await asyncio.sleep(2.0)  # the deletion arrives while the drift run still waits
    finally:
        loop.call_soon_threadsafe(lock.release)
    await eventually(lambda: "camera-5" not in kube_cluster.live(CAMERAS, NAMESPACE), within=10.0,
                     what="Camera deleted")
    await eventually(lambda: "camera-5" not in kube_cluster.live(SECRETS, NAMESPACE), what="Secret deleted")


async def test_became_ready_deployment_makes_the_camera_ready(backend, kube_cluster, running_operator):
    backend.activate(5)
    await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    # Stand in for the Deployment controller, which the emulator does not run.
    await kube_cluster.patch("/apis/apps/v1/namespaces/default/deployments/camera-5/status",
                             json={"status": {"availableReplicas": 1, "readyReplicas": 1}},
                             headers={"Content-Type": "application/merge-patch+json"})
    status = await eventually(
        lambda: (s := kube_cluster.live(CAMERAS, NAMESPACE)["camera-5"].get("status"))
        and s["conditions"][0]["status"] == "True" and s,
        what="Ready=True")
    assert status["streamState"] == "Up"
    assert status["conditions"][0]["reason"] == "WorkerReady"


async def test_changed_detection_config_updates_the_camera_and_rolls_the_deployment(
    backend, kube_cluster, running_operator
):
    backend.activate(5)
    first = await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    backend.activate(5, confidence_threshold=0.8, alert_types=["fire", "smoke"], detect_fps=2.5)

    def rolled():
        deployment = _deployment(kube_cluster)
        return deployment if _config_hash(deployment) != _config_hash(first) else None

    deployment = await eventually(rolled, what="a new config hash")
    camera = kube_cluster.live(CAMERAS, NAMESPACE)["camera-5"]
    assert camera["spec"]["detection"]["confidenceThreshold"] == 0.8
    assert camera["metadata"]["generation"] == 2
    env = _env(deployment)
    assert env["CONFIDENCE_THRESHOLD"]["value"] == "0.8"
    assert env["ALERT_TYPES"]["value"] == "fire,smoke"
    assert env["DETECT_FPS"]["value"] == "2.5"

    backend.activate(5, confidence_threshold=0.8, alert_types=["fire", "smoke"], detect_fps=None)
    await eventually(lambda: "DETECT_FPS" not in _env(_deployment(kube_cluster)), what="DETECT_FPS removed")
    assert "detectFps" not in kube_cluster.live(CAMERAS, NAMESPACE)["camera-5"]["spec"]["detection"]


async def test_rotated_ingest_token_rolls_the_deployment(backend, kube_cluster, running_operator):
    backend.activate(5)
    first = await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    backend.activate(5, ingest_token="cam_5_rotated")
    await eventually(lambda: _config_hash(_deployment(kube_cluster)) != _config_hash(first), what="new hash")
    secret = kube_cluster.live(SECRETS, NAMESPACE)["camera-5"]
    assert base64.b64decode(secret["data"]["ingest-token"]) == b"cam_5_rotated"


async def test_deleted_deployment_comes_back(backend, kube_cluster, running_operator, kube):
    backend.activate(5)
    first = await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    await kube_cluster.delete("/apis/apps/v1/namespaces/default/deployments/camera-5")
    again = await eventually(
        lambda: (d := _deployment(kube_cluster)) and d["metadata"]["uid"] != first["metadata"]["uid"] and d,
        what="a new Deployment")
    assert _config_hash(again) == _config_hash(first)


async def test_hand_edited_deployment_is_put_back(backend, kube_cluster, running_operator):
    backend.activate(5)
    await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    await kube_cluster.patch("/apis/apps/v1/namespaces/default/deployments/camera-5",
                             json={"spec": {"replicas": 3, "strategy": {"type": "RollingUpdate"}}},
                             headers={"Content-Type": "application/merge-patch+json"})
    await eventually(lambda: _deployment(kube_cluster)["spec"]["replicas"] == 1, what="replicas put back")
    assert _deployment(kube_cluster)["spec"]["strategy"] == {"type": "Recreate"}


HAND_MADE_SECRET = {
    "apiVersion": "v1", "kind": "Secret",
    "metadata": {"name": "lobby-stream", "namespace": NAMESPACE},
    "data": {"rtsp-url": base64.b64encode(b"rtsp://lobby/stream").decode(),
             "ingest-token": base64.b64encode(b"cam_42_abc").decode()},
}


def _hand_made_camera(**spec):
    return {
        "apiVersion": "cctv.io/v1alpha1", "kind": "Camera",
        "metadata": {"name": "lobby", "namespace": NAMESPACE},
        "spec": {"cameraId": 42, "secretRef": {"name": "lobby-stream"}, **spec},
    }


async def test_hand_made_camera_gets_a_deployment_and_is_never_deleted_by_the_sync(
    backend, kube_cluster, running_operator
):
    backend.activate(5)
    await kube_cluster.post("/api/v1/namespaces/default/secrets", json=HAND_MADE_SECRET)
    await kube_cluster.post("/apis/cctv.io/v1alpha1/namespaces/default/cameras", json=_hand_made_camera())
    deployment = await eventually(lambda: _deployment(kube_cluster, "camera-42"), what="Deployment camera-42")
    assert _env(deployment)["RTSP_URL"]["valueFrom"]["secretKeyRef"]["name"] == "lobby-stream"
    assert deployment["metadata"]["ownerReferences"][0]["name"] == "lobby"

    backend.deactivate(5)  # a valid answer that removes cameras: only the sync's own go
    await eventually(lambda: "camera-5" not in kube_cluster.live(CAMERAS, NAMESPACE), what="camera-5 removed")
    await _converged(kube_cluster, running_operator)
    assert "lobby" in kube_cluster.live(CAMERAS, NAMESPACE)
    assert "lobby-stream" in kube_cluster.live(SECRETS, NAMESPACE)
    assert "camera-42" in kube_cluster.live(DEPLOYMENTS, NAMESPACE)


async def test_invalid_spec_reports_invalid_spec_and_creates_no_deployment(
    backend, kube_cluster, running_operator
):
    # A real API server's schema check would refuse this; the emulator does not validate, which
    # lets the test prove the operator's own check (e.g. a CRD applied without its schema).
    await kube_cluster.post("/api/v1/namespaces/default/secrets", json=HAND_MADE_SECRET)
    await kube_cluster.post("/apis/cctv.io/v1alpha1/namespaces/default/cameras",
                            json=_hand_made_camera(detection={"frameSkip": 0, "alertTypes": ["ufo"]}))
    status = await eventually(lambda: kube_cluster.live(CAMERAS, NAMESPACE)["lobby"].get("status"),
                              what="Camera status")
    [ready] = status["conditions"]
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "frameSkip" in ready["message"] and "alertTypes" in ready["message"]  # as the spec names them
    assert status["observedGeneration"] == 1
    await _converged(kube_cluster, running_operator)
    assert kube_cluster.live(DEPLOYMENTS, NAMESPACE) == {}
    events = await eventually(lambda: [e for e in kube_cluster.live("v1/events", NAMESPACE).values()
                                       if e.get("reason") == "InvalidSpec"], what="a warning Event")
    assert len(events) == 1  # once, not on every drift pass
    assert events[0]["type"] == "Warning" and events[0]["involvedObject"]["name"] == "lobby"


@pytest.mark.parametrize("mode", ["down", "error500", "garbage", "timeout", "malformed"])
async def test_failing_backend_deletes_nothing_counts_the_error_and_recovers(
    backend, kube_cluster, running_operator, mode
):
    backend.activate(5)
    backend.activate(6)
    await eventually(lambda: len(kube_cluster.live(DEPLOYMENTS, NAMESPACE)) == 2, what="two Deployments")
    deletes_before = [r for r in kube_cluster.writes if r.method.value == "DELETE"]

    backend.mode = mode
    backend.deactivate(6)  # would be removed, if a failed answer were ever trusted
    reason = {"down": "unreachable", "error500": "http_error", "garbage": "bad_json",
              "timeout": "timeout", "malformed": "invalid_answer"}[mode]
    await eventually(lambda: running_operator.sample("cctv_operator_sync_errors_total", reason=reason) >= 2,
                     what=f"two {reason} errors counted")
    assert running_operator.sample("cctv_operator_sync_total", result="error") >= 2
    assert [r for r in kube_cluster.writes if r.method.value == "DELETE"] == deletes_before
    assert set(kube_cluster.live(CAMERAS, NAMESPACE)) == {"camera-5", "camera-6"}

    backend.mode = "ok"
    await eventually(lambda: set(kube_cluster.live(CAMERAS, NAMESPACE)) == {"camera-5"}, what="converged")
    assert set(kube_cluster.live(DEPLOYMENTS, NAMESPACE)) == {"camera-5"}


async def test_unchanged_state_is_reconciled_again_without_any_write(
    backend, kube_cluster, running_operator, kube, settings
):
    for camera_id in (5, 6, 7):
        backend.activate(camera_id)
    await eventually(lambda: len(kube_cluster.live(DEPLOYMENTS, NAMESPACE)) == 3, what="three Deployments")
    await eventually(lambda: all(c.get("status") for c in kube_cluster.live(CAMERAS, NAMESPACE).values()),
                     what="three statuses")
    await _converged(kube_cluster, running_operator)
    writes = len(kube_cluster.writes)

    # Three explicit reconciles of each Camera, several sync passes, and drift-timer passes.
    for _ in range(3):
        for camera in kube_cluster.live(CAMERAS, NAMESPACE).values():
            await reconcile_camera(camera, kube=kube, settings=settings)
    timer_runs = running_operator.sample("cctv_operator_reconcile_duration_seconds_count")
    await eventually(
        lambda: running_operator.sample("cctv_operator_reconcile_duration_seconds_count") >= timer_runs + 3,
        what="drift timer passes")
    await _converged(kube_cluster, running_operator)
    assert kube_cluster.writes[writes:] == []


async def test_operator_exports_its_metrics(backend, kube_cluster, running_operator):
    backend.activate(5)
    backend.activate(6)
    await eventually(lambda: running_operator.sample("cctv_operator_managed_cameras") == 2, what="gauge")
    assert running_operator.sample("cctv_operator_desired_cameras") == 2
    assert running_operator.sample("cctv_operator_sync_total", result="success") >= 1
    await eventually(lambda: running_operator.sample("cctv_operator_reconcile_duration_seconds_count") >= 2,
                     what="reconciles timed")


async def test_camera_with_refused_settings_keeps_running_while_the_others_sync(
    backend, kube_cluster, running_operator
):
    backend.activate(5)
    first = await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    backend.activate(5, frame_skip=0)  # out of bounds: refused, camera-5 stays as it was
    backend.activate(6)
    await eventually(lambda: _deployment(kube_cluster, "camera-6"), what="Deployment camera-6")
    await eventually(
        lambda: running_operator.sample("cctv_operator_sync_errors_total", reason="invalid_camera") >= 1,
        what="the refusal counted")
    assert _config_hash(_deployment(kube_cluster)) == _config_hash(first)
    assert kube_cluster.live(CAMERAS, NAMESPACE)["camera-5"]["spec"]["detection"]["frameSkip"] == 30


async def test_a_detection_sub_stream_goes_through_the_secret_and_leaves_with_it(
    backend, kube_cluster, running_operator
):
    sub = "rtsp://viewer:subsecret@192.0.2.5:554/sub"
    backend.activate(5, detect_rtsp_url=sub)
    deployment = await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    secret = kube_cluster.live(SECRETS, NAMESPACE)["camera-5"]
    assert base64.b64decode(secret["data"]["detect-rtsp-url"]).decode() == sub
    ref = {"secretKeyRef": {"name": "camera-5", "key": "detect-rtsp-url", "optional": True}}
    assert _env(deployment)["DETECT_RTSP_URL"]["valueFrom"] == ref
    camera = kube_cluster.live(CAMERAS, NAMESPACE)["camera-5"]
    assert "subsecret" not in str(camera) and "subsecret" not in str(deployment)  # only in the Secret

    backend.activate(5)  # the sub-stream removed: the key leaves the Secret, and the pod rolls
    await eventually(
        lambda: "detect-rtsp-url" not in kube_cluster.live(SECRETS, NAMESPACE)["camera-5"]["data"],
        what="the sub-stream key removed from the Secret",
    )
    await eventually(lambda: _config_hash(_deployment(kube_cluster)) != _config_hash(deployment), what="roll")
