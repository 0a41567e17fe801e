"""The operator's RBAC: exactly what docs/contracts.md lists, no wildcards, Secrets never cluster-wide."""

from __future__ import annotations

import pytest

from support import helm
from support.helm import VARIANTS, Renderer

# docs/contracts.md, "Operator RBAC needs", in its namespace: (apiGroup, resource) -> verbs.
CONTRACT = {
    ("cctv.io", "cameras"): {"get", "list", "watch", "create", "patch", "delete"},
    ("cctv.io", "cameras/status"): {"get", "patch"},
    ("", "secrets"): {"get", "list", "create", "patch", "delete"},
    ("apps", "deployments"): {"get", "list", "watch", "create", "patch", "delete"},
    ("", "events"): {"create"},
    ("", "pods"): {"get", "list"},  # the worker pods' /readyz: the Camera's DetectorReady condition
    ("kopf.dev", "kopfpeerings"): {"get", "list", "watch", "patch"},
}
READ_VERBS = {"get", "list", "watch", "*"}


def grants(roles: list[dict]) -> dict[tuple[str, str], set[str]]:
    granted: dict[tuple[str, str], set[str]] = {}
    for role in roles:
        for rule in role.get("rules", []):
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    granted.setdefault((group, resource), set()).update(rule.get("verbs", []))
    return granted


def roles_bound_to_operator(objects: list[dict], kind: str) -> list[dict]:
    binding_kind = f"{kind}Binding"
    bound = {
        b["roleRef"]["name"]
        for b in helm.of_kind(objects, binding_kind)
        if any(s["kind"] == "ServiceAccount" and s["name"] == "cctv-operator" for s in b["subjects"])
    }
    return [r for r in helm.of_kind(objects, kind) if r["metadata"]["name"] in bound]


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_rule_uses_a_wildcard(renderer: Renderer, variant: str) -> None:
    objects = renderer.variant(variant)
    for role in helm.of_kind(objects, "Role") + helm.of_kind(objects, "ClusterRole"):
        for rule in role["rules"]:
            for field in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
                assert "*" not in rule.get(field, []), f"{role['metadata']['name']}: wildcard in {field}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_cluster_role_lets_anyone_read_secrets(renderer: Renderer, variant: str) -> None:
    for role in helm.of_kind(renderer.variant(variant), "ClusterRole"):
        secret_verbs = grants([role]).get(("", "secrets"), set())
        assert not secret_verbs & READ_VERBS, f"{role['metadata']['name']} reads Secrets cluster-wide"


@pytest.mark.parametrize("variant", ["default", "clusterwide-gpu"])
def test_the_operator_gets_exactly_the_contracts_permissions_in_its_namespace(
    renderer: Renderer, variant: str
) -> None:
    objects = renderer.variant(variant)
    bound = roles_bound_to_operator(objects, "Role") + roles_bound_to_operator(objects, "ClusterRole")
    granted = grants(bound)
    for key, verbs in CONTRACT.items():
        has = sorted(granted.get(key, set()))
        assert verbs <= granted.get(key, set()), f"{key}: needs {sorted(verbs)}, has {has}"
    extra = {key for key in granted if key not in CONTRACT} - {
        ("apiextensions.k8s.io", "customresourcedefinitions"),  # kopf follows the Camera CRD
        ("kopf.dev", "clusterkopfpeerings"),  # cluster-wide peering
        ("", "namespaces"),  # cluster-wide kopf follows namespaces
    }
    assert not extra, f"permissions beyond the contract: {sorted(extra)}"
    for key, verbs in granted.items():
        if key in CONTRACT:
            assert verbs == CONTRACT[key], f"{key}: {sorted(verbs)} is more than {sorted(CONTRACT[key])}"


def test_the_namespaced_operator_has_no_cluster_role_but_the_read_only_crd_one(renderer: Renderer) -> None:
    objects = renderer.variant("default")
    cluster_grants = grants(roles_bound_to_operator(objects, "ClusterRole"))
    assert cluster_grants == {("apiextensions.k8s.io", "customresourcedefinitions"): {"list", "watch"}}
    role = helm.one(objects, "Role", "cctv-operator")
    assert role["metadata"]["namespace"] == "cctv"


def test_the_cluster_wide_operator_keeps_secrets_in_the_release_namespace(renderer: Renderer) -> None:
    objects = renderer.variant("clusterwide-gpu")
    cluster_grants = grants(roles_bound_to_operator(objects, "ClusterRole"))
    assert ("cctv.io", "cameras") in cluster_grants
    assert ("", "secrets") not in cluster_grants
    secrets_role = helm.one(objects, "Role", "-operator-secrets")
    assert secrets_role["metadata"]["namespace"] == "cctv"
    operator = helm.one(objects, "Deployment", "-operator")
    env = helm.env_of(operator["spec"]["template"]["spec"]["containers"][0])
    assert env["WATCH_NAMESPACE"]["value"] == ""
    assert env["CAMERA_NAMESPACE"]["value"] == "cctv"


def test_cluster_scoped_names_carry_the_namespace_so_two_releases_do_not_collide(helm_home) -> None:
    objects_a = helm.render((helm.variant_file("clusterwide-gpu"),), home=helm_home, namespace="site-a")
    objects_b = helm.render((helm.variant_file("clusterwide-gpu"),), home=helm_home, namespace="site-b")
    names_a = {o["metadata"]["name"] for o in objects_a if o["kind"].startswith("Cluster")}
    names_b = {o["metadata"]["name"] for o in objects_b if o["kind"].startswith("Cluster")}
    assert names_a and not names_a & names_b
