"""The backend's SECRET_KEY and DATABASE_URL reach it as mounted files, not environment variables (issue
20): the rendered pods name the files with SECRET_KEY_FILE / DATABASE_URL_FILE, mount them read-only from
the Secret, and the backend's own settings read what the chart wrote there."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import helm
from support.backend import BACKEND_DIR
from support.helm import Renderer

SECRETS_DIR = "/run/secrets/cctv"


def _backend_pods(objects: list[dict]) -> list[tuple[str, dict]]:
    """(name, pod spec) of the backend Deployment and the migrations Job: both run the backend's settings."""
    return [
        (name, spec)
        for name, spec in helm.pod_specs(objects)
        if name.endswith("-backend") or name.endswith("-migrate")
    ]


@pytest.mark.parametrize("variant", ["default", "monitoring"])
def test_every_backend_container_gets_its_secrets_as_files_and_none_as_variables(
    renderer: Renderer, variant: str
) -> None:
    pods = _backend_pods(renderer.variant(variant))
    assert {name.rsplit("-", 1)[-1] for name, _ in pods} == {"backend", "migrate"}
    for name, pod in pods:
        volume = next(v for v in pod["volumes"] if v["name"] == "backend-secrets")
        # Group-readable only: the pod's fsGroup owns the files, nobody else may read them.
        assert volume["projected"]["defaultMode"] == 0o440, name
        for container in pod["containers"]:
            env = helm.env_of(container)
            assert "SECRET_KEY" not in env and "DATABASE_URL" not in env, (name, container["name"])
            assert env["SECRET_KEY_FILE"] == {"name": "SECRET_KEY_FILE", "value": f"{SECRETS_DIR}/secret-key"}
            assert env["DATABASE_URL_FILE"]["value"] == f"{SECRETS_DIR}/database-url"
            mount = next(m for m in container["volumeMounts"] if m["name"] == "backend-secrets")
            assert mount == {"name": "backend-secrets", "mountPath": SECRETS_DIR, "readOnly": True}


def test_the_in_chart_postgresql_keeps_its_composed_url_and_mounts_only_the_secret_key(
    renderer: Renderer,
) -> None:
    for name, pod in _backend_pods(renderer.variant("postgresql")):
        volume = next(v for v in pod["volumes"] if v["name"] == "backend-secrets")
        sources = volume["projected"]["sources"]
        paths = [item["path"] for source in sources for item in source["secret"]["items"]]
        assert paths == ["secret-key"], name
        env = helm.env_of(pod["containers"][0])
        assert "DATABASE_URL_FILE" not in env
        assert env["DATABASE_URL"]["value"].startswith("postgres://cctv:$(CCTV_DATABASE_PASSWORD)@")


def test_secrets_as_files_off_gives_the_variables_from_the_secret_as_before(renderer: Renderer) -> None:
    objects = renderer.with_values(helm.variant_file("default"), **{"backend.secretsAsFiles": "false"})
    for name, pod in _backend_pods(objects):
        assert all(v["name"] != "backend-secrets" for v in pod.get("volumes", [])), name
        env = helm.env_of(pod["containers"][0])
        assert env["SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "cctv-backend", "key": "secret-key"}
        database = env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert database == {"name": "cctv-backend", "key": "database-url"}
        assert "SECRET_KEY_FILE" not in env and "DATABASE_URL_FILE" not in env


def test_the_backend_reads_the_files_the_chart_mounts(renderer: Renderer, tmp_path: Path) -> None:
    """What the kubelet would write into the projected volume (the Secret's values, file per item), read
    by the backend's settings with the rendered variables pointing at it."""
    objects = renderer.variant("default")
    secret = helm.one(objects, "Secret", "cctv-backend")
    pod = dict(_backend_pods(objects))["Deployment/cctv-backend"]
    volume = next(v for v in pod["volumes"] if v["name"] == "backend-secrets")
    mounted = tmp_path / "secrets"
    mounted.mkdir()
    for source in volume["projected"]["sources"]:
        assert source["secret"]["name"] == "cctv-backend"
        for item in source["secret"]["items"]:
            (mounted / item["path"]).write_bytes(base64.b64decode(secret["data"][item["key"]]))
    rendered = helm.env_of(pod["containers"][0])
    dropped = {"SECRET_KEY", "DATABASE_URL", "PYTEST_CURRENT_TEST"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    for name in ("SECRET_KEY_FILE", "DATABASE_URL_FILE"):
        env[name] = rendered[name]["value"].replace(SECRETS_DIR, str(mounted))
    env.update(DEBUG="0", ALLOWED_HOSTS="localhost", MEDIA_ROOT=str(tmp_path / "media"))
    code = (
        "from django.conf import settings; db = settings.DATABASES['default']; "
        "print(len(settings.SECRET_KEY), db['HOST'], db['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=BACKEND_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    key = base64.b64decode(secret["data"]["secret-key"]).decode()
    database = base64.b64decode(secret["data"]["database-url"]).decode()
    host = database.split("@", 1)[1].split(":", 1)[0].split("/", 1)[0]
    name = database.rsplit("/", 1)[-1].split("?", 1)[0]
    assert result.stdout.split() == [str(len(key)), host, name]


@pytest.mark.parametrize("variant", helm.VARIANTS)
def test_every_file_a_container_is_told_to_read_is_mounted_in_it(renderer: Renderer, variant: str) -> None:
    # A `*_FILE` variable pointing at a path no volume provides stops that container at start-up: the
    # media store's reconcile CronJob named SECRET_KEY_FILE without mounting the secrets (found merging).
    for name, pod in helm.pod_specs(renderer.variant(variant)):
        volumes = {volume["name"] for volume in pod.get("volumes", [])}
        for container in pod["containers"] + pod.get("initContainers", []):
            mounts = container.get("volumeMounts", [])
            for variable, item in helm.env_of(container).items():
                if not variable.endswith("_FILE") or "value" not in item:
                    continue
                covering = [m for m in mounts if item["value"].startswith(m["mountPath"].rstrip("/") + "/")]
                assert covering, (variant, name, container["name"], variable, item["value"])
                assert all(m["name"] in volumes for m in covering), (variant, name, covering)
