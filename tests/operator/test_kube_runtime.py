"""The Kubernetes runtime of the sync against the emulated API over HTTP."""

from __future__ import annotations

import pytest
from conftest import NAMESPACE
from operator_backend import camera_payload, desired_cameras

from cctv_operator.runtimes.kubernetes import CameraConflict, KubernetesRuntime

CAMERAS = "cctv.io/v1alpha1/cameras"
SECRETS = "v1/secrets"


def desired(camera_id, **changes):
    return desired_cameras([camera_payload(camera_id, **changes)])[camera_id]


async def test_applied_cameras_are_listed_back_equal(kube, kube_cluster):
    runtime = KubernetesRuntime(kube, NAMESPACE)
    cameras = [desired(1), desired(2, detect_fps=4)]
    for camera in cameras:
        await runtime.apply(camera)
    assert await runtime.list_managed() == {c.id: c for c in cameras}


async def test_applying_an_unchanged_camera_writes_nothing_new(kube, kube_cluster):
    runtime = KubernetesRuntime(kube, NAMESPACE)
    await runtime.apply(desired(1))
    await runtime.list_managed()
    versions = kube_cluster.live(CAMERAS, NAMESPACE)["camera-1"]["metadata"]["resourceVersion"]
    await runtime.apply(desired(1))  # patches with the same content are no-ops on the server
    assert kube_cluster.live(CAMERAS, NAMESPACE)["camera-1"]["metadata"]["resourceVersion"] == versions


async def test_hand_made_cameras_are_not_listed_as_managed(kube, kube_cluster):
    await kube_cluster.post("/apis/cctv.io/v1alpha1/namespaces/default/cameras", json={
        "apiVersion": "cctv.io/v1alpha1", "kind": "Camera",
        "metadata": {"name": "lobby", "namespace": NAMESPACE},
        "spec": {"cameraId": 1, "secretRef": {"name": "lobby"}}})
    assert await KubernetesRuntime(kube, NAMESPACE).list_managed() == {}


async def test_hand_made_camera_with_the_syncs_name_is_not_taken_over(kube, kube_cluster):
    hand_made = {"apiVersion": "cctv.io/v1alpha1", "kind": "Camera",
                 "metadata": {"name": "camera-1", "namespace": NAMESPACE},
                 "spec": {"cameraId": 1, "secretRef": {"name": "mine"}}}
    await kube_cluster.post("/apis/cctv.io/v1alpha1/namespaces/default/cameras", json=hand_made)
    with pytest.raises(CameraConflict):
        await KubernetesRuntime(kube, NAMESPACE).apply(desired(1))
    assert kube_cluster.live(CAMERAS, NAMESPACE)["camera-1"]["spec"]["secretRef"] == {"name": "mine"}


async def test_camera_whose_secret_was_deleted_is_listed_as_changed_and_repaired(kube, kube_cluster):
    runtime = KubernetesRuntime(kube, NAMESPACE)
    await runtime.apply(desired(1))
    await kube_cluster.delete("/api/v1/namespaces/default/secrets/camera-1")
    listed = await runtime.list_managed()
    assert listed[1] != desired(1)
    await runtime.apply(desired(1))
    assert (await runtime.list_managed())[1] == desired(1)


async def test_removed_camera_takes_its_secret_along_and_a_second_removal_is_fine(kube, kube_cluster):
    runtime = KubernetesRuntime(kube, NAMESPACE)
    await runtime.apply(desired(1))
    await runtime.remove(1)
    await runtime.remove(1)
    assert kube_cluster.live(CAMERAS, NAMESPACE) == {} and kube_cluster.live(SECRETS, NAMESPACE) == {}
