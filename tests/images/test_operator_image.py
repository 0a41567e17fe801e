"""The operator image as the chart runs it, against the backend image and the Kubernetes API emulator
(tests/support/kmock_cluster.py): an active camera in the backend becomes a Camera resource and that one a
worker Deployment. The kubeconfig stands in for the pod's service account (there is no cluster here)."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import aiohttp
import pytest

from support.containers import Engine, kubernetes_flags, run_container
from support.kmock_cluster import KubernetesCluster, kube_cluster, kubeconfig  # noqa: F401 - fixtures
from support.net import free_port

from .conftest import ImageBuilds, RunningBackend, log_errors, pod_and_container

# A cold engine store builds the images first (the worker image: many minutes on a busy machine).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


async def _eventually(check, *, within: float, what: str):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.2)  # the emulator runs on this loop: poll without blocking it
    raise TimeoutError(what)


async def test_the_operator_image_turns_an_active_camera_into_a_worker_deployment(
    engine: Engine,
    images: ImageBuilds,
    chart: list[dict],
    backend: RunningBackend,
    kube_cluster: KubernetesCluster,  # noqa: F811
    kubeconfig: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    from .conftest import OPERATOR_TOKEN

    camera = backend.api("POST", "/api/cameras/", json={"name": "Lobby", "rtsp_url": "rtsp://10.0.0.9/lobby"})
    assert camera.status_code == 201, camera.text
    camera_id = camera.json()["id"]
    activated = backend.api("POST", f"/api/cameras/{camera_id}/activate/")
    assert activated.status_code == 200, activated.text
    # The container user (10001) must be able to read the kubeconfig mounted into it.
    config = tmp_path / "kubeconfig-for-the-image"
    shutil.copy(kubeconfig, config)
    config.chmod(0o644)
    health_port, metrics_port = free_port(), free_port()
    pod, container = pod_and_container(chart, "Deployment", "-operator")
    overrides = {
        "DJANGO_API_URL": backend.url,
        "KUBECONFIG": "/etc/cctv/kubeconfig",
        "WATCH_NAMESPACE": "default",
        "POLL_INTERVAL": "1",
        "OPERATOR_HEALTH_PORT": str(health_port),
        "OPERATOR_METRICS_PORT": str(metrics_port),
    }
    flags, after = kubernetes_flags(
        pod, container, secrets_data={"cctv-operator": {"token": OPERATOR_TOKEN}}, env_overrides=overrides,
        scratch=tmp_path,
    )  # fmt: skip
    flags += ["--volume", f"{config}:/etc/cctv/kubeconfig:ro"]
    image = images.ref("operator")
    with run_container(engine, image, flags, after, prefix="cctv-operator") as running:
        name = f"camera-{camera_id}"
        try:
            deployment = await _eventually(
                lambda: kube_cluster.live("apps/v1/deployments", "default").get(name), within=120,
                what=f"Deployment {name}",
            )  # fmt: skip
        except TimeoutError:
            pytest.fail(f"no Deployment {name}; operator log:\n{running.logs()}")
        assert str(camera_id) in kube_cluster.live("cctv.io/v1alpha1/cameras", "default").get(name, {}).get(
            "metadata", {}).get("name", ""), "the Camera resource the Deployment belongs to"
        worker = deployment["spec"]["template"]["spec"]["containers"][0]
        assert worker["image"] == next(e["value"] for e in container["env"] if e["name"] == "WORKER_IMAGE")
        assert worker["securityContext"]["readOnlyRootFilesystem"] is True
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{health_port}/healthz") as response:
                assert response.status == 200
            async with session.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert 'cctv_operator_sync_total{result="success"}' in await response.text()
        healthcheck = running.run_healthcheck()
        assert healthcheck.returncode == 0, healthcheck
        status = running.process_status()
        assert status["Uid"].split()[:2] == ["10001", "10001"]
        assert int(status["CapEff"], 16) == 0 and status["NoNewPrivs"].strip() == "1"
        log = running.logs()
    assert not log_errors(log), log


def test_the_operator_image_ships_no_laptop_product(engine: Engine, images: ImageBuilds) -> None:
    # The laptop product (scripts/run: local worker processes, a demo RTSP camera) is no part of a cluster.
    probe = (
        "import importlib.util as u, shutil\n"
        "found = [m for m in ('cctv_operator.local', 'cctv_local') if u.find_spec(m)]\n"
        "print(found, shutil.which('cctv-local'))"
    )
    result = engine("run", "--rm", "--no-healthcheck", "--network", "none", "--entrypoint", "python",
                    images.ref("operator"), "-c", probe)
    assert result.stdout.strip() == "[] None", result.stdout
