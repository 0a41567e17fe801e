"""Single sign-on in the chart: the issuer and client id as values, the client secret only from an existing
Secret (a mounted file with backend.secretsAsFiles, else a secretKeyRef), the same settings in every backend
pod, and the backend's own settings accepting what the chart renders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support import helm
from support.backend import BACKEND_DIR
from support.helm import Renderer

SECRETS_DIR = "/run/secrets/cctv"
SSO = {
    "backend": {
        "sso": {
            "oidc": {
                "issuer": "https://id.example.com/realms/cctv",
                "clientId": "cctv-dashboard",
                "existingSecret": "cctv-oidc",
                "providerName": "Example ID",
                "roleMap": "cctv-admins=Warehouse:admin,cctv-guards=Warehouse:operator",
            },
            "localPasswords": False,
            "trustedProxyNetworks": ["10.42.0.0/16"],
        }
    }
}


def values_file(tmp_path: Path, values: dict) -> Path:
    path = tmp_path / "sso-values.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def backend_pods(objects: list[dict]) -> list[tuple[str, dict]]:
    return [(name, spec) for name, spec in helm.pod_specs(objects) if name.endswith(("-backend", "-migrate"))]


def test_by_default_no_oidc_and_passwords_on(renderer: Renderer) -> None:
    for name, pod in backend_pods(renderer.variant("default")):
        env = helm.env_of(pod["containers"][0])
        assert "OIDC_ISSUER" not in env and "OIDC_CLIENT_SECRET_FILE" not in env, name
        assert env["LOCAL_PASSWORDS"]["value"] == "1" and env["TRUSTED_PROXY_NETWORKS"]["value"] == ""


def test_the_client_secret_is_a_file_of_the_existing_secret_in_every_backend_pod(renderer, tmp_path) -> None:
    pods = backend_pods(renderer.with_values(helm.variant_file("default"), values_file(tmp_path, SSO)))
    assert {name.rsplit("-", 1)[-1] for name, _ in pods} == {"backend", "migrate"}
    for name, pod in pods:
        volume = next(v for v in pod["volumes"] if v["name"] == "backend-secrets")
        sources = [source["secret"] for source in volume["projected"]["sources"]]
        assert {
            "name": "cctv-oidc",
            "items": [{"key": "client-secret", "path": "oidc-client-secret"}],
        } in sources
        for container in pod["containers"]:
            env = helm.env_of(container)
            assert env["OIDC_CLIENT_SECRET_FILE"]["value"] == f"{SECRETS_DIR}/oidc-client-secret", name
            assert "OIDC_CLIENT_SECRET" not in env
            assert env["OIDC_ISSUER"]["value"] == "https://id.example.com/realms/cctv"
            assert env["OIDC_CLIENT_ID"]["value"] == "cctv-dashboard"
            assert env["LOCAL_PASSWORDS"]["value"] == "0"
            assert env["TRUSTED_PROXY_NETWORKS"]["value"] == "10.42.0.0/16"


def test_without_secret_files_the_client_secret_is_a_secret_reference(renderer, tmp_path) -> None:
    values = {"backend": {**SSO["backend"], "secretsAsFiles": False}}
    for _, pod in backend_pods(
        renderer.with_values(helm.variant_file("default"), values_file(tmp_path, values))
    ):
        env = helm.env_of(pod["containers"][0])
        assert env["OIDC_CLIENT_SECRET"]["valueFrom"] == {
            "secretKeyRef": {"name": "cctv-oidc", "key": "client-secret"}
        }


def test_an_issuer_without_a_client_id_fails_to_render(tmp_path) -> None:
    values = {"backend": {"sso": {"oidc": {"issuer": "https://id.example.com"}}}}
    result = helm.run_helm(
        *helm.template_args((helm.variant_file("default"), values_file(tmp_path, values))),
        home=tmp_path / "home",
    )
    assert result.returncode != 0 and "backend.sso.oidc.clientId is required" in result.stderr


@pytest.mark.slow
def test_the_backend_settings_accept_what_the_chart_renders(renderer, tmp_path) -> None:
    pod = dict(backend_pods(renderer.with_values(helm.variant_file("default"), values_file(tmp_path, SSO))))
    env = helm.env_of(next(spec for name, spec in pod.items() if name.endswith("-backend"))["containers"][0])
    (tmp_path / "oidc-client-secret").write_text("from-the-secret\n")
    environment = {key: value for key, value in os.environ.items() if key not in {"PYTEST_CURRENT_TEST"}}
    environment.update(
        {
            name: item["value"]
            for name, item in env.items()
            if name.startswith(("OIDC_", "LOCAL_", "TRUSTED_"))
        }
    )
    environment.update(
        OIDC_CLIENT_SECRET_FILE=str(tmp_path / "oidc-client-secret"),
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    show = (
        "from django.conf import settings as s\n"
        "print(s.OIDC_RP_CLIENT_SECRET, len(s.OIDC_ROLE_MAP), s.LOCAL_PASSWORDS)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", show],
        cwd=BACKEND_DIR, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["from-the-secret", "2", "False"]
