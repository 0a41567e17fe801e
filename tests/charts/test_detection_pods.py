"""The detection pods fit the chart around them: the Deployment the operator's own builder makes for a
Camera, from the settings the chart gives the operator, is a valid object, is hardened, carries the
chart's worker defaults, and is what the chart's PodMonitor and NetworkPolicy select."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from cctv_operator.config import load_settings
from cctv_operator.kube.builders import deployment_body
from cctv_operator.kube.camera_spec import parse_camera_spec
from support import helm
from support.helm import REPO_ROOT, Renderer


def camera(example: str, spec_overrides: dict | None = None) -> dict:
    docs = yaml.safe_load_all((REPO_ROOT / "crds" / "examples" / example).read_text())
    body = next(doc for doc in docs if doc and doc["kind"] == "Camera")
    body["metadata"].update(namespace="cctv", uid="8c3e2f4a-1b2c-4d5e-8f90-123456789abc")
    body["spec"].update(spec_overrides or {})
    return body


def detection_deployment(renderer: Renderer, variant: str, example: str = "front-door.yaml") -> dict:
    owner = camera(example)
    settings = load_settings(helm.operator_environment(renderer.variant(variant)))
    return deployment_body(owner=owner, spec=parse_camera_spec(owner["spec"]), settings=settings)


@pytest.mark.parametrize("variant", ["default", "clusterwide-gpu"])
def test_the_detection_deployment_is_a_valid_object(renderer: Renderer, variant: str) -> None:
    kubernetes_validate.validate(
        detection_deployment(renderer, variant), kubernetes_validate.latest_version(), strict=True
    )


def test_the_detection_pod_runs_the_charts_worker_image_and_model(renderer: Renderer) -> None:
    pod = detection_deployment(renderer, "default")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "ghcr.io/cctv-analytics/cctv-worker:0.1.0"
    env = helm.env_of(container)
    assert env["MODEL_PATH"]["value"] == "/opt/cctv/models/model.openvino"
    assert env["DJANGO_API_URL"]["value"] == "http://cctv-backend.cctv.svc:8000"
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "768Mi"},
    }


def test_the_detection_pod_is_hardened_like_the_charts_own(renderer: Renderer) -> None:
    pod = detection_deployment(renderer, "default")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the worker image's USER
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    ctx = pod["containers"][0]["securityContext"]
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"]["drop"] == ["ALL"]


def test_the_podmonitor_and_network_policy_select_the_detection_pod(renderer: Renderer) -> None:
    pod_template = detection_deployment(renderer, "default")["spec"]["template"]
    labels = pod_template["metadata"]["labels"]
    monitor = helm.one(renderer.variant("monitoring"), "PodMonitor")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    port_names = {p["name"] for p in pod_template["spec"]["containers"][0]["ports"]}
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] in port_names
    policy = helm.one(renderer.variant("postgresql"), "NetworkPolicy", "-workers")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    metrics_port = next(p for p in pod_template["spec"]["containers"][0]["ports"] if p["name"] == "metrics")
    assert policy["spec"]["ingress"][0]["ports"][0]["port"] == metrics_port["containerPort"]


def test_detection_pods_hold_no_gpu_and_call_the_shared_detector_of_their_pool(renderer: Renderer) -> None:
    pod = detection_deployment(renderer, "clusterwide-gpu")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "nvidia.com/gpu" not in str(container["resources"]) and "nvidia.com/gpu" not in str(pod)
    env = helm.env_of(container)
    assert env["DETECTOR_URL"]["value"] == "grpc://cctv-detector-gpu.cctv.svc:8001"
    assert env["MODEL_PATH"]["value"] == "/opt/cctv/models/model.openvino"  # the fallback in an outage


def test_without_the_shared_detector_the_detection_pod_runs_its_model_in_process(renderer: Renderer) -> None:
    env = helm.env_of(detection_deployment(renderer, "default")["spec"]["template"]["spec"]["containers"][0])
    assert "DETECTOR_URL" not in env


def test_only_the_backend_reaches_the_detection_pods_live_port_and_they_report_their_pod_ip(
    renderer: Renderer,
) -> None:
    pod_template = detection_deployment(renderer, "default")["spec"]["template"]
    (container,) = pod_template["spec"]["containers"]
    live_port = next(p for p in container["ports"] if p["name"] == "live")["containerPort"]
    env = helm.env_of(container)
    assert env["LIVE_PORT"]["value"] == str(live_port)
    assert env["LIVE_ADVERTISE_HOST"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    objects = renderer.variant("postgresql")
    workers = helm.one(objects, "NetworkPolicy", "-workers")
    backend = helm.one(objects, "NetworkPolicy", "-backend")
    backend_labels = backend["spec"]["podSelector"]["matchLabels"]
    admitting = [rule for rule in workers["spec"]["ingress"] if rule["ports"][0]["port"] == live_port]
    assert len(admitting) == 1 and [peer["podSelector"]["matchLabels"] for peer in admitting[0]["from"]] == [
        backend_labels
    ]
    labels = pod_template["metadata"]["labels"]
    rules = backend["spec"]["egress"]
    egress = [rule for rule in rules if rule.get("ports", [{}])[0].get("port") == live_port]
    assert len(egress) == 1
    assert egress[0]["to"][0]["podSelector"]["matchLabels"].items() <= labels.items()
