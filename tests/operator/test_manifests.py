"""Every object the operator renders or ships validates: built-in kinds with kubernetes-validate
(strict, Kubernetes 1.37 schemas), Cameras against the CRD's own openAPIV3Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from operator_backend import camera_payload, desired_cameras

from cctv_operator.config import load_settings
from cctv_operator.kube import builders
from cctv_operator.kube.camera_spec import parse_camera_spec

REPO = Path(__file__).resolve().parents[2]
CRD_PATH = REPO / "crds" / "camera.yaml"
K8S_VERSION = "1.37.0"


def _crd() -> dict[str, Any]:
    return yaml.safe_load(CRD_PATH.read_text())


def _camera_schema() -> dict[str, Any]:
    return _crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def validate_camera(body: dict[str, Any]) -> None:
    assert body["apiVersion"] == "cctv.io/v1alpha1" and body["kind"] == "Camera"
    jsonschema.validate(body, _camera_schema(), format_checker=jsonschema.FormatChecker())


def validate_builtin(body: dict[str, Any]) -> None:
    kubernetes_validate.validate(body, K8S_VERSION, strict=True)


SETTINGS = load_settings({
    "DJANGO_API_URL": "http://backend:8000", "DJANGO_API_TOKEN": "t",
    "WORKER_NODE_SELECTOR": '{"nvidia.com/gpu.present": "true"}',
    "WORKER_TOLERATIONS": '[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]',
    "WORKER_RESOURCES": '{"limits": {"nvidia.com/gpu": 1, "memory": "4Gi"}, "requests": {"cpu": "1"}}',
})
ANSWERS = {
    "defaults": camera_payload(1),
    "every field": camera_payload(2, detect_fps=2.5, alert_types=[], zones=[], min_box_area=0.02),
    "many zones": camera_payload(3, zones=[
        {"name": f"z{i}", "points": [[0, 0], [1, 0], [1, 1], [0, 1]], "intrusion": i % 2 == 0}
        for i in range(5)
    ]),
}


def _owned(camera: dict[str, Any]) -> dict[str, Any]:
    """The Camera as the API server returns it (with a uid), as the reconcile sees it."""
    return {**camera, "metadata": {**camera["metadata"], "uid": "0b6e3f4e-2a7c-4f43-9d4e-7a1f3c2b9a10"}}


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_rendered_camera_validates_against_the_crd_schema(answer):
    [camera] = desired_cameras([answer]).values()
    validate_camera(builders.camera_body(camera, "cctv"))


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_rendered_secret_validates_strictly(answer):
    [camera] = desired_cameras([answer]).values()
    validate_builtin(builders.secret_body(camera, "cctv"))


DEFAULT_SETTINGS = load_settings({"DJANGO_API_URL": "http://b", "DJANGO_API_TOKEN": "t"})


@pytest.mark.parametrize("settings", [SETTINGS, DEFAULT_SETTINGS],
                         ids=["gpu settings", "default settings"])
@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_rendered_deployment_validates_strictly(answer, settings):
    [camera] = desired_cameras([answer]).values()
    body = _owned(builders.camera_body(camera, "cctv"))
    deployment = builders.deployment_body(owner=body, spec=parse_camera_spec(body["spec"]), settings=settings)
    builders.with_config_hash(deployment, body["spec"], builders.secret_data(camera))
    validate_builtin(deployment)


def test_a_deployment_that_is_not_a_deployment_is_refused_by_the_validator():
    # Guards the two tests above: the validator really is strict about unknown fields.
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_builtin({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                          "spec": {"selector": {}, "template": {}, "replica": 1}})


def test_a_camera_with_an_unknown_alert_type_is_refused_by_the_crd_schema():
    [camera] = desired_cameras([camera_payload(1)]).values()
    body = builders.camera_body(camera, "cctv")
    body["spec"]["detection"]["alertTypes"] = ["ufo"]
    with pytest.raises(jsonschema.ValidationError):
        validate_camera(body)


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


EXAMPLES = sorted((REPO / "crds" / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_manifests_validate(path):
    documents = _documents(path)
    assert any(doc["kind"] == "Camera" for doc in documents)
    for doc in documents:
        if doc["kind"] == "Camera":
            validate_camera(doc)
            parse_camera_spec(doc["spec"])  # and the operator understands it
        else:
            validate_builtin(doc)


def test_example_gpu_camera_renders_a_valid_deployment():
    documents = _documents(REPO / "crds" / "examples" / "gpu-camera.yaml")
    [camera] = [d for d in documents if d["kind"] == "Camera"]
    body = _owned({**camera, "metadata": {**camera["metadata"], "namespace": "cctv"}})
    deployment = builders.deployment_body(owner=body, spec=parse_camera_spec(body["spec"]), settings=SETTINGS)
    validate_builtin(deployment)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert {"name": "MODEL_PATH", "value": "yolov8s.pt"} in container["env"]


def test_reference_rbac_validates_and_grants_what_the_contract_lists():
    documents = _documents(REPO / "operator" / "deploy" / "rbac.yaml")
    for doc in documents:
        validate_builtin(doc)
    [role] = [doc for doc in documents if doc["kind"] == "Role"]
    grants = {(group, resource): set(rule["verbs"])
              for rule in role["rules"] for group in rule["apiGroups"] for resource in rule["resources"]}
    assert grants[("cctv.io", "cameras")] >= {"get", "list", "watch", "create", "patch", "delete"}
    assert grants[("cctv.io", "cameras/status")] >= {"patch"}
    assert grants[("", "secrets")] >= {"get", "list", "create", "patch", "delete"}
    assert grants[("apps", "deployments")] >= {"get", "list", "watch", "create", "patch", "delete"}
    assert grants[("", "events")] >= {"create"}
    assert grants[("", "pods")] >= {"get", "list"}  # DetectorReady: the worker pods' /readyz
    assert grants[("kopf.dev", "kopfpeerings")] >= {"get", "list", "watch", "patch"}
