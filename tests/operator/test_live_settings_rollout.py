"""What the operator rolls when a camera's settings change (issue 19): a change of live settings only
(zones, thresholds, lengths, ...) updates the Camera and rolls no pod (the worker reads them from the
backend); a restart setting (detect fps, frame skip, detector, stream) rolls it. A hand-applied Camera
(not the sync's) has no backend settings to read: every change rolls it, as before. kopf and the real
`kubernetes` client against the emulated API over HTTP, the backend's answer from its HTTP double."""

from __future__ import annotations

import base64

from conftest import NAMESPACE, eventually
from test_operator_flow import _converged, _deployment, _env

CAMERAS = "cctv.io/v1alpha1/cameras"
ZONE = {"name": "porch", "points": [[0.0, 0.0], [0.5, 0.0], [0.5, 0.5]], "exclusive": False}


def _observed(kube_cluster, name: str, generation: int):
    """The Camera once the reconcile has seen ``generation`` of it."""
    camera = kube_cluster.live(CAMERAS, NAMESPACE).get(name) or {}
    ok = camera.get("metadata", {}).get("generation") == generation
    return camera if ok and (camera.get("status") or {}).get("observedGeneration") == generation else None


def _template(deployment):
    return deployment["spec"]["template"]


async def test_a_live_only_change_updates_the_camera_but_rolls_no_pod(
    backend, kube_cluster, running_operator
):
    backend.activate(5)
    first = await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    assert _env(first)["SETTINGS_INTERVAL"]["value"] == "2"  # its worker reads live settings from the backend
    await eventually(lambda: _observed(kube_cluster, "camera-5", 1), what="generation 1 reconciled")

    backend.activate(
        5, confidence_threshold=0.8, zones=[ZONE], alert_types=["person"], cooldown_seconds=5,
        event_grace_seconds=3, event_max_seconds=60, pre_roll_seconds=2, post_roll_seconds=2,
        min_box_area=0.01, forced_detect_interval=1.0, object_filters={"person": {"min_area": 0.001}},
        motion_masks=[{"name": "tree", "points": [[0.6, 0.6], [1.0, 0.6], [1.0, 1.0]]}],
    )
    camera = await eventually(lambda: _observed(kube_cluster, "camera-5", 2), what="generation 2 reconciled")
    assert camera["spec"]["detection"]["confidenceThreshold"] == 0.8
    assert camera["spec"]["detection"]["zones"][0]["name"] == "porch"
    await _converged(kube_cluster, running_operator)
    after = _deployment(kube_cluster)
    # Not a byte of the pod template changed: no new ReplicaSet, the running pod keeps running.
    assert _template(after) == _template(first)
    assert after["metadata"].get("generation") == first["metadata"].get("generation")
    annotations = first["spec"]["template"]["metadata"]["annotations"]
    assert camera["status"]["configHash"] == annotations["cctv.io/config-hash"]


async def test_a_restart_change_rolls_the_pod_with_the_current_live_settings_too(
    backend, kube_cluster, running_operator
):
    backend.activate(5)
    first = await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    backend.activate(5, confidence_threshold=0.8)  # live only: nothing rolls
    await eventually(lambda: _observed(kube_cluster, "camera-5", 2), what="generation 2 reconciled")
    backend.activate(5, confidence_threshold=0.8, detect_fps=2.5)  # a restart setting

    def rolled():
        deployment = _deployment(kube_cluster)
        return deployment if _template(deployment) != _template(first) else None

    deployment = await eventually(rolled, what="the pod template changed")
    env = _env(deployment)
    assert env["DETECT_FPS"]["value"] == "2.5"
    assert env["CONFIDENCE_THRESHOLD"]["value"] == "0.8"  # a new pod starts with the current values


async def test_a_stream_change_rolls_the_pod(backend, kube_cluster, running_operator):
    backend.activate(5)
    first = await eventually(lambda: _deployment(kube_cluster), what="Deployment camera-5")
    backend.activate(5, rtsp_url="rtsp://cam.example/other")
    await eventually(lambda: _template(_deployment(kube_cluster)) != _template(first), what="rolled")


HAND_MADE_SECRET = {
    "apiVersion": "v1", "kind": "Secret",
    "metadata": {"name": "lobby-stream", "namespace": NAMESPACE},
    "data": {"rtsp-url": base64.b64encode(b"rtsp://lobby/stream").decode(),
             "ingest-token": base64.b64encode(b"cam_42_abc").decode()},
}


async def test_a_hand_applied_camera_rolls_on_a_live_setting_change_its_spec_is_its_truth(
    backend, kube_cluster, running_operator
):
    await kube_cluster.post("/api/v1/namespaces/default/secrets", json=HAND_MADE_SECRET)
    await kube_cluster.post("/apis/cctv.io/v1alpha1/namespaces/default/cameras", json={
        "apiVersion": "cctv.io/v1alpha1", "kind": "Camera",
        "metadata": {"name": "lobby", "namespace": NAMESPACE},
        "spec": {"cameraId": 42, "secretRef": {"name": "lobby-stream"}},
    })
    first = await eventually(lambda: _deployment(kube_cluster, "camera-42"), what="Deployment camera-42")
    assert _env(first)["SETTINGS_INTERVAL"]["value"] == "0"
    await kube_cluster.patch(
        "/apis/cctv.io/v1alpha1/namespaces/default/cameras/lobby",
        json={"spec": {"detection": {"confidenceThreshold": 0.9}}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    deployment = await eventually(
        lambda: (d := _deployment(kube_cluster, "camera-42")) and _template(d) != _template(first) and d,
        what="the hand-applied Camera's pod rolled",
    )
    assert _env(deployment)["CONFIDENCE_THRESHOLD"]["value"] == "0.9"
