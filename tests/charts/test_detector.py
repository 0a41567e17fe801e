"""The shared detector in the chart: one workload and one Service per node pool, its start contract
(MODEL_PATH, DETECTOR_*_PORT 8000/8001/8002), Triton's health routes as probes, hardened like the chart's
own pods, and a NetworkPolicy that lets only detection pods reach its inference port."""

from __future__ import annotations

import json

import kubernetes_validate
import pytest

from support import helm
from support.helm import Renderer


@pytest.fixture(scope="module")
def objects(renderer: Renderer) -> list[dict]:
    return renderer.variant("clusterwide-gpu")


def test_each_node_pool_gets_a_valid_workload_and_service(objects: list[dict]) -> None:
    gpu = helm.one(objects, "DaemonSet", "-detector-gpu")
    cpu = helm.one(objects, "Deployment", "-detector-cpu")
    assert cpu["spec"]["replicas"] == 2
    for body in (gpu, cpu, *helm.of_kind(objects, "Service")):
        kubernetes_validate.validate(body, kubernetes_validate.latest_version(), strict=True)
    gpu_service = helm.one(objects, "Service", "-detector-gpu")
    cpu_service = helm.one(objects, "Service", "-detector-cpu")
    assert gpu_service["spec"]["internalTrafficPolicy"] == "Local"  # a DaemonSet: frames stay on the node
    assert "internalTrafficPolicy" not in cpu_service["spec"]
    assert {p["port"] for p in gpu_service["spec"]["ports"]} == {8000, 8001, 8002}
    assert gpu_service["spec"]["selector"].items() <= gpu["spec"]["template"]["metadata"]["labels"].items()
    assert (
        not cpu_service["spec"]["selector"].items() <= gpu["spec"]["template"]["metadata"]["labels"].items()
    )


def test_the_gpu_pool_asks_for_the_gpu_and_runs_cuda_with_the_start_contract(objects: list[dict]) -> None:
    pod = helm.one(objects, "DaemonSet", "-detector-gpu")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    env = {k: v["value"] for k, v in helm.env_of(container).items()}
    assert env["DETECTOR_DEVICE"] == "cuda" and env["MODEL_PATH"] == "/opt/cctv/models/model.pt"
    assert (env["DETECTOR_HTTP_PORT"], env["DETECTOR_GRPC_PORT"], env["DETECTOR_METRICS_PORT"]) == (
        "8000",
        "8001",
        "8002",
    )
    assert env["DETECTOR_MAX_BATCH"] == "64" and env["DETECTOR_MAX_QUEUE_DELAY"] == "0.005"
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/models/yolov8/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert container["image"].endswith("@sha256:" + "2" * 64)


def test_the_detector_pod_is_hardened(objects: list[dict]) -> None:
    pod = helm.one(objects, "Deployment", "-detector-cpu")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    container = pod["containers"][0]["securityContext"]
    assert container["readOnlyRootFilesystem"] is True and container["capabilities"]["drop"] == ["ALL"]
    assert {v["name"] for v in pod["volumes"]} == {"tmp", "shm"}


def test_only_detection_pods_reach_the_inference_port(objects: list[dict]) -> None:
    policy = helm.one(objects, "NetworkPolicy", "-detector")
    inference, metrics = policy["spec"]["ingress"]
    assert inference["ports"] == [{"port": 8001, "protocol": "TCP"}]
    assert inference["from"][0]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/managed-by": "cctv-operator"
    }
    assert metrics["ports"] == [{"port": 8002, "protocol": "TCP"}]
    workers = helm.one(objects, "NetworkPolicy", "-workers")
    assert any(rule.get("ports") == [{"port": 8001, "protocol": "TCP"}] for rule in workers["spec"]["egress"])


def test_the_detector_is_off_by_default(renderer: Renderer) -> None:
    objects = renderer.variant("default")
    assert not [o for o in objects if "-detector" in o["metadata"]["name"]]


def test_the_operator_knows_every_pool_by_name_and_the_default_one(objects: list[dict]) -> None:
    operator = helm.one(objects, "Deployment", "-operator")["spec"]["template"]["spec"]["containers"][0]
    env = {k: v.get("value") for k, v in helm.env_of(operator).items()}
    pools = json.loads(env["WORKER_DETECTOR_POOLS"])
    # A Camera's spec.detection.detector names one of these; each is that pool's own Service.
    services = {s["metadata"]["name"] for s in helm.of_kind(objects, "Service")}
    assert set(pools) == {"gpu", "cpu"}
    for name, url in pools.items():
        assert url == f"grpc://cctv-detector-{name}.cctv.svc:8001" and f"cctv-detector-{name}" in services
    assert env["WORKER_DETECTOR_URL"] == pools["gpu"]  # detector.workerPool: the cameras' default


def test_the_operator_may_read_the_worker_pods_readiness(objects: list[dict]) -> None:
    """DetectorReady comes from the worker pods' /readyz: pods get/list, the port open to the operator."""
    role = helm.one(objects, "ClusterRole", "-operator")
    assert any(
        "pods" in rule["resources"] and {"get", "list"} <= set(rule["verbs"]) for rule in role["rules"]
    )
    operator_policy = helm.one(objects, "NetworkPolicy", "-operator")
    assert any(
        rule.get("ports") == [{"port": 9100, "protocol": "TCP"}]
        and rule["to"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/managed-by": "cctv-operator"}
        for rule in operator_policy["spec"]["egress"]
    )
    workers = helm.one(objects, "NetworkPolicy", "-workers")
    from_operator = [
        rule
        for rule in workers["spec"]["ingress"]
        if any(
            peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component")
            == "operator"
            for peer in rule.get("from", [])
        )
    ]
    assert [rule["ports"] for rule in from_operator] == [[{"port": 9100, "protocol": "TCP"}]]


def test_without_a_default_pool_cameras_choose(renderer: Renderer) -> None:
    objects = renderer.with_values(helm.variant_file("clusterwide-gpu"), **{"detector.workerPool": ""})
    operator = helm.one(objects, "Deployment", "-operator")["spec"]["template"]["spec"]["containers"][0]
    env = {k: v.get("value") for k, v in helm.env_of(operator).items()}
    assert env["WORKER_DETECTOR_URL"] == "" and set(json.loads(env["WORKER_DETECTOR_POOLS"])) == {
        "gpu",
        "cpu",
    }


def test_a_default_pool_that_does_not_exist_is_refused(renderer: Renderer) -> None:
    with pytest.raises(
        AssertionError, match=r'detector.workerPool "tpu" is not one of detector.pools \(gpu, cpu\)'
    ):
        renderer.with_values(helm.variant_file("clusterwide-gpu"), **{"detector.workerPool": "tpu"})


def test_the_detectors_policy_is_on_even_where_network_policies_are_off(renderer: Renderer) -> None:
    """Issue 20, High 1: any pod could call the shared detector when networkPolicy.enabled was false."""
    objects = renderer.with_values(helm.variant_file("default"), **{"detector.enabled": "true"})
    policy = helm.one(objects, "NetworkPolicy", "-detector")
    inference = policy["spec"]["ingress"][0]
    assert inference["ports"] == [{"port": 8001, "protocol": "TCP"}]
    assert inference["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/managed-by": "cctv-operator"}}}
    ]
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "NetworkPolicy"] == [
        policy["metadata"]["name"]
    ]
    opted_out = renderer.with_values(
        helm.variant_file("default"), **{"detector.enabled": "true", "detector.networkPolicy": "false"}
    )
    assert not [o for o in opted_out if o["kind"] == "NetworkPolicy"]
