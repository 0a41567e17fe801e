"""The environment the chart gives each component is one that component accepts: the operator's rendered
variables are fed to the operator's own settings model, and the worker defaults it passes on come out as
the JSON the operator expects."""

from __future__ import annotations

import json

import pytest

from cctv_operator.config import load_settings
from support import helm
from support.helm import VARIANTS, Renderer

SECRET_PLACEHOLDER = helm.SECRET_PLACEHOLDER
operator_environment = helm.operator_environment


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_operator_accepts_the_environment_the_chart_gives_it(renderer: Renderer, variant: str) -> None:
    env = operator_environment(renderer.variant(variant))
    settings = load_settings(env)  # raises ConfigError naming the variable if the chart got one wrong
    assert str(settings.django_api_url).rstrip("/") == "http://cctv-backend.cctv.svc:8000"
    assert settings.worker_image.startswith("ghcr.io/cctv-analytics/cctv-worker")
    assert settings.django_api_token.get_secret_value() == SECRET_PLACEHOLDER


def test_the_operator_token_comes_from_a_secret_and_never_from_a_plain_value(renderer: Renderer) -> None:
    container = helm.one(renderer.variant("default"), "Deployment", "-operator")["spec"]["template"]["spec"][
        "containers"
    ][0]
    token = helm.env_of(container)["DJANGO_API_TOKEN"]
    assert token["valueFrom"]["secretKeyRef"] == {"name": "cctv-operator", "key": "token"}
    secret = helm.one(renderer.variant("default"), "Secret", "cctv-operator")
    assert set(secret["data"]) == {"token"}


def test_a_generated_operator_token_is_forty_hex_characters_like_a_drf_token(renderer: Renderer) -> None:
    import base64
    import re

    secret = helm.one(renderer.variant("default"), "Secret", "cctv-operator")
    token = base64.b64decode(secret["data"]["token"]).decode()
    assert re.fullmatch(r"[0-9a-f]{40}", token)


def test_namespaced_operator_watches_only_the_release_namespace(renderer: Renderer) -> None:
    settings = load_settings(operator_environment(renderer.variant("default")))
    assert settings.watch_namespace == "cctv"
    assert not settings.clusterwide


def test_worker_defaults_reach_the_operator_as_json(renderer: Renderer) -> None:
    settings = load_settings(operator_environment(renderer.variant("default")))
    assert settings.worker_resources == {"requests": {"cpu": "100m", "memory": "256Mi"},
                                         "limits": {"cpu": "1", "memory": "768Mi"}}
    assert settings.worker_node_selector == {}
    assert settings.worker_tolerations == []
    assert settings.worker_model_path == "/opt/cctv/models/model.openvino"


def test_the_gpu_goes_to_the_shared_detector_and_workers_get_its_address(renderer: Renderer) -> None:
    settings = load_settings(operator_environment(renderer.variant("clusterwide-gpu")))
    assert "nvidia.com/gpu" not in json.dumps(settings.worker_resources)
    assert settings.worker_node_selector == {"node-role.example.com/video": "true"}
    assert settings.worker_tolerations == []
    assert settings.worker_detector_url == "grpc://cctv-detector-gpu.cctv.svc:8001"
    assert settings.worker_image.endswith("@sha256:" + "0" * 64)


def test_without_the_shared_detector_workers_get_no_detector_address(renderer: Renderer) -> None:
    assert load_settings(operator_environment(renderer.variant("default"))).worker_detector_url == ""


def test_backend_allows_its_service_names_ingress_hosts_and_the_pod_ip(renderer: Renderer) -> None:
    backend = helm.one(renderer.variant("postgresql"), "Deployment", "-backend")
    env = helm.env_of(backend["spec"]["template"]["spec"]["containers"][0])
    hosts = env["ALLOWED_HOSTS"]["value"].split(",")
    # Kubelet probes and Prometheus scrapes use the pod IP as Host: $(POD_IP) expands from the variable
    # defined before it.
    assert "$(POD_IP)" in hosts
    assert list(env).index("POD_IP") < list(env).index("ALLOWED_HOSTS")
    assert {"cctv-backend", "cctv-backend.cctv.svc", "localhost", "cctv.example.com"} <= set(hosts)


def test_in_chart_postgresql_password_lives_only_in_its_secret(renderer: Renderer) -> None:
    objects = renderer.variant("postgresql")
    backend = helm.one(objects, "Deployment", "-backend")
    env = helm.env_of(backend["spec"]["template"]["spec"]["containers"][0])
    assert env["DATABASE_URL"]["value"] == "postgres://cctv:$(CCTV_DATABASE_PASSWORD)@cctv-postgresql:5432/cctv"
    password = env["CCTV_DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert password == {"name": "cctv-postgresql", "key": "password"}
    assert "database-url" not in helm.one(objects, "Secret", "cctv-backend")["data"]


def test_external_database_url_can_come_from_the_users_own_secret(renderer: Renderer) -> None:
    objects = renderer.variant("monitoring")
    backend = helm.one(objects, "Deployment", "-backend")
    env = helm.env_of(backend["spec"]["template"]["spec"]["containers"][0])
    # Mounted as files (backend.secretsAsFiles, the default): tests/charts/test_backend_secret_files.py.
    assert env["DATABASE_URL_FILE"]["value"] == "/run/secrets/cctv/database-url"
    sources = {
        source["secret"]["name"]: source["secret"]["items"]
        for volume in backend["spec"]["template"]["spec"]["volumes"]
        if volume["name"] == "backend-secrets"
        for source in volume["projected"]["sources"]
    }
    assert sources["cctv-database"] == [{"key": "url", "path": "database-url"}]
    assert sources["cctv-backend-secret"] == [{"key": "secret-key", "path": "secret-key"}]
    # With every secret supplied by the user the chart renders none of its own.
    assert not helm.of_kind(objects, "Secret")
