"""Every pod the chart runs is hardened: non-root, read-only root filesystem with emptyDir scratch, no
capabilities, RuntimeDefault seccomp, resource limits, and no API token unless it talks to the API."""

from __future__ import annotations

import pytest

from support import helm
from support.helm import VARIANTS, Renderer

# The only pod of the chart that needs the Kubernetes API.
NEEDS_API = {"Deployment/cctv-operator"}


def _containers(spec: dict) -> list[dict]:
    return spec.get("initContainers", []) + spec["containers"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_runs_as_non_root_with_a_read_only_root_and_no_capabilities(
    renderer: Renderer, variant: str
) -> None:
    for where, spec in helm.pod_specs(renderer.variant(variant)):
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, where
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        for container in _containers(spec):
            ctx = container.get("securityContext", {})
            what = f"{where} container {container['name']}"
            assert ctx.get("runAsNonRoot") is True, what
            assert isinstance(ctx.get("runAsUser"), int) and ctx["runAsUser"] > 0, what
            assert ctx.get("readOnlyRootFilesystem") is True, what
            assert ctx.get("allowPrivilegeEscalation") is False, what
            assert ctx.get("privileged") is False, what
            assert ctx.get("capabilities", {}).get("drop") == ["ALL"], what
            assert not ctx.get("capabilities", {}).get("add"), what
            assert ctx.get("seccompProfile", {}).get("type") == "RuntimeDefault", what


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_has_cpu_and_memory_requests_and_limits(renderer: Renderer, variant: str) -> None:
    for where, spec in helm.pod_specs(renderer.variant(variant)):
        for container in _containers(spec):
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), f"{where}: {kind} {resources}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_only_the_operator_gets_a_service_account_token(renderer: Renderer, variant: str) -> None:
    objects = renderer.variant(variant)
    for where, spec in helm.pod_specs(objects):
        assert spec.get("automountServiceAccountToken") is (where in NEEDS_API), where
    for account in helm.of_kind(objects, "ServiceAccount"):
        assert account.get("automountServiceAccountToken") is False, account["metadata"]["name"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_writable_paths_are_emptydir_or_volume_mounts(renderer: Renderer, variant: str) -> None:
    # A read-only root needs scratch space: every long-running container mounts /tmp from an emptyDir.
    for where, spec in helm.pod_specs(renderer.variant(variant)):
        if where.startswith("Pod/"):
            continue  # the helm test pod writes nothing
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in _containers(spec):
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{where}: no scratch /tmp"
            assert "emptyDir" in volumes[mounts["/tmp"]], where


def test_the_media_volume_is_a_claim_when_persistence_is_on_and_scratch_otherwise(renderer: Renderer) -> None:
    default = helm.one(renderer.variant("default"), "Deployment", "-backend")
    volumes = {v["name"]: v for v in default["spec"]["template"]["spec"]["volumes"]}
    assert volumes["media"]["persistentVolumeClaim"]["claimName"] == "cctv-backend-media"
    pvc = helm.one(renderer.variant("default"), "PersistentVolumeClaim", "-media")
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"

    scratch = renderer.with_values(helm.variant_file("default"), **{"backend.persistence.enabled": "false"})
    backend = helm.one(scratch, "Deployment", "-backend")
    volumes = {v["name"]: v for v in backend["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes["media"]
    assert not helm.of_kind(scratch, "PersistentVolumeClaim")


def test_network_policies_cover_every_component_when_enabled(renderer: Renderer) -> None:
    objects = renderer.variant("postgresql")
    selected = [p["spec"]["podSelector"]["matchLabels"] for p in helm.of_kind(objects, "NetworkPolicy")]
    components = {labels.get("app.kubernetes.io/component") for labels in selected}
    assert {"backend", "migrations", "operator", "postgresql"} <= components
    assert {"app.kubernetes.io/managed-by": "cctv-operator"} in selected  # the detection pods
    assert not helm.of_kind(renderer.variant("default"), "NetworkPolicy")


def test_network_policy_lets_detection_pods_reach_only_dns_the_backend_and_the_cameras(
    renderer: Renderer,
) -> None:
    policy = helm.one(renderer.variant("postgresql"), "NetworkPolicy", "-workers")
    egress = policy["spec"]["egress"]
    assert [p["port"] for p in egress[0]["ports"]] == [53, 53]
    assert egress[1]["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "backend"
    assert egress[2]["to"] == [{"ipBlock": {"cidr": "192.0.2.0/24"}}]
    assert [p["port"] for p in egress[2]["ports"]] == [554, 8554]
    assert len(egress) == 3
