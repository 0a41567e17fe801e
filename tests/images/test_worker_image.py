"""The worker image as the operator runs it: the pod spec comes from the operator's own builders (with the
chart's worker settings), and the container joins a network namespace that reaches nothing but two ports
of this host, a real RTSP server (people at a bus stop) and the backend image. With the model baked into
the image (the bundled person detector), it sends a person alert, answers /healthz and /readyz, serves
live fragments that the backend image relays, and can reach nothing else."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from cctv_operator.config import load_settings
from cctv_operator.kube import builders
from cctv_operator.kube.camera_spec import parse_camera_spec
from cctv_operator.models import DesiredCamera
from support.containers import Container, Engine, kubernetes_flags, run_container, wait_until
from support.footage import bus_jpg
from support.helm import operator_environment
from support.private_link import PrivateLink
from support.rtsp_server import start_rtsp_server

from .conftest import ImageBuilds, RunningBackend, log_errors

# A cold engine store builds the images first (the worker image: many minutes on a busy machine).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

METRICS_PORT = 9100


@pytest.fixture(scope="module")
def worker(
    engine: Engine,
    images: ImageBuilds,
    chart: list[dict],
    backend: RunningBackend,
    link: PrivateLink | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Container, dict]]:
    if link is None:
        pytest.skip("the worker image's private network needs root (ip netns, nft): run the tests as root")
    image = images.ref("worker")
    with start_rtsp_server(bus_jpg(), fps=10, size=(480, 640), host=link.host_ip) as rtsp:
        created = backend.api("POST", "/api/cameras/", json={"name": "Bus stop", "rtsp_url": rtsp.url})
        assert created.status_code == 201, created.text
        camera = created.json()
        # An ingest token works only while its camera is active (the operator only runs active ones).
        activated = backend.api("POST", f"/api/cameras/{camera['id']}/activate/")
        assert activated.status_code == 200, activated.text
        link.allow_only(rtsp.port, int(urlsplit(backend.link_url).port or 0))
        # The Deployment the operator would make for this camera, with the chart's worker settings.
        desired = DesiredCamera(
            id=camera["id"], name=camera["name"], rtsp_url=rtsp.url, ingest_token=camera["ingest_token"]
        )
        owner = builders.camera_body(desired, "cctv")
        owner["metadata"]["uid"] = "00000000-0000-0000-0000-000000000001"
        settings = load_settings(operator_environment(chart))
        spec = parse_camera_spec(owner["spec"])
        deployment = builders.deployment_body(owner=owner, spec=spec, settings=settings)
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        encoded = builders.secret_data(desired)
        secret = {key: base64.b64decode(value).decode() for key, value in encoded.items()}
        overrides = {
            # The cluster's Service name for the backend is this host's end of the link here.
            "DJANGO_API_URL": backend.link_url,
            # The bundled detector's classes (Normal, Fall) are both a person (the COCO map has neither).
            "ALERT_CLASS_MAP": "Normal=person,Fall=person",
            "DETECT_FPS": "4",
            "INFERENCE_THREADS": "1",
            # The pod IP (the downward API's; the harness's stand-in is loopback): the link's inside end,
            # where the backend image dials the live port.
            "LIVE_ADVERTISE_HOST": link.inside_ip,
        }
        flags, after = kubernetes_flags(
            pod, container, secrets_data={f"camera-{camera['id']}": secret, **_by_ref(container, secret)},
            env_overrides=overrides, scratch=tmp_path_factory.mktemp("worker-volumes"),
        )  # fmt: skip
        network = f"ns:{link.netns_path}"
        with run_container(engine, image, flags, after, network=network, prefix="cctv-worker") as running:
            yield running, camera


def _by_ref(container: dict, secret: dict[str, str]) -> dict[str, dict[str, str]]:
    """Every Secret name the container's variables refer to, holding the camera's values."""
    refs = (item.get("valueFrom", {}).get("secretKeyRef") for item in container["env"])
    names = {ref["name"] for ref in refs if ref is not None}
    return {name: secret for name in names}


def test_the_worker_image_sends_a_person_alert_to_the_backend(
    worker: tuple[Container, dict], backend: RunningBackend
) -> None:
    container, camera = worker

    def alerts() -> list[dict]:
        # The API filters by camera (the backend's own tests cover that filter).
        return backend.api("GET", "/api/alerts/", params={"camera": camera["id"]}).json()["results"]

    try:
        found = wait_until(alerts, within=240, what="a person alert from the worker image", every=1)
    except TimeoutError:
        pytest.fail(f"no alert; worker log:\n{container.logs()}")
    assert found[0]["alert_type"] == "person"
    assert found[0]["snapshot_url"]


def test_the_worker_image_answers_health_and_readiness(
    worker: tuple[Container, dict], link: PrivateLink
) -> None:
    base = f"http://{link.inside_ip}:{METRICS_PORT}"
    ready = wait_until(lambda: requests.get(f"{base}/readyz", timeout=3).status_code == 200, within=180,
                       what="the worker's /readyz")
    assert ready
    assert requests.get(f"{base}/healthz", timeout=3).status_code == 200
    assert "cctv_frames_inferred_total" in requests.get(f"{base}/metrics", timeout=3).text
    healthcheck = worker[0].run_healthcheck()
    assert healthcheck.returncode == 0, healthcheck


def test_the_worker_image_serves_live_fragments_through_the_backend_image(
    worker: tuple[Container, dict], backend: RunningBackend
) -> None:
    container, camera = worker
    described = lambda: backend.api("GET", f"/api/cameras/{camera['id']}/live/").json()  # noqa: E731
    try:
        wait_until(lambda: described()["state"] == "live", within=180, what="the live view", every=1)
    except TimeoutError:
        pytest.fail(f"the worker never reported a live address; worker log:\n{container.logs()}")
    assert described()["codec"].startswith("avc1.")
    with backend.api("GET", f"/api/cameras/{camera['id']}/live/stream/", stream=True) as response:
        assert response.status_code == 200, response.text
        data = b""
        for chunk in response.iter_content(16384):
            data += chunk
            if data.count(b"moof") >= 3:
                break
    # The init segment, then fragments: the camera's own H.264, remuxed by the image's PyAV.
    assert data[4:8] == b"ftyp" and b"moov" in data and data.count(b"moof") >= 3


def test_the_worker_reaches_nothing_but_the_camera_and_the_backend(
    worker: tuple[Container, dict], link: PrivateLink
) -> None:
    container, _ = worker
    probe = (
        "import socket, sys\n"
        "try:\n"
        "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close(); print('reached')\n"
        "except OSError as error: print('blocked', type(error).__name__)\n"
    )
    # Another service on the same host, on the same link: not allowed (the listener would accept).
    with socket.socket() as listener:
        listener.bind((link.host_ip, 0))
        listener.listen()
        port = str(listener.getsockname()[1])
        other = container.exec("python", "-c", probe, link.host_ip, port, timeout=30)
    # 192.0.2.1 (TEST-NET-1): no route, so the kernel refuses at once and nothing leaves the namespace.
    outside = container.exec("python", "-c", probe, "192.0.2.1", "80", timeout=30)
    assert other.stdout.startswith("blocked"), other
    assert outside.stdout.startswith("blocked"), outside


def test_the_worker_runs_as_the_operator_asks_with_a_clean_log(worker: tuple[Container, dict]) -> None:
    container, _ = worker
    status = container.process_status()
    assert status["Uid"].split()[:2] == ["10001", "10001"], status["Uid"]
    assert int(status["CapEff"], 16) == 0 and status["NoNewPrivs"].strip() == "1"
    write = container.exec("python", "-c", "open('/opt/cctv/probe', 'w')")
    assert "Read-only file system" in write.stderr, write
    assert not log_errors(container.logs()), container.logs()

