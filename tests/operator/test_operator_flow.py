"""The operator end to end: kopf and the real `kubernetes` client against the emulated API over
HTTP, with the backend's active-cameras endpoint served by an HTTP double on the same loop."""

from __future__ import annotations

from conftest import NAMESPACE, eventually

CAMERAS = "cctv.io/v1alpha1/cameras"
SECRETS = "v1/secrets"
DEPLOYMENTS = "apps/v1/deployments"


async def test_activated_camera_gets_a_camera_a_secret_and_a_deployment(backend, kube_cluster, running_operator):
    backend.activate(5)
    deployment = await eventually(lambda: kube_cluster.live(DEPLOYMENTS, NAMESPACE).get("camera-5"),
                                  what="Deployment camera-5")
    camera = kube_cluster.live(CAMERAS, NAMESPACE)["camera-5"]
    secret = kube_cluster.live(SECRETS, NAMESPACE)["camera-5"]
    assert camera["spec"]["cameraId"] == 5
    assert "rtsp" not in str(camera["spec"])
    assert set(secret["data"]) == {"rtsp-url", "ingest-token"}
    assert deployment["metadata"]["ownerReferences"][0]["uid"] == camera["metadata"]["uid"]

