"""Egress of the chart's NetworkPolicies (issue 20, Low): a camera URL cannot reach the cluster's own pods
and Services or the metadata service, notifications never the metadata service, and DNS only the
cluster DNS."""

from __future__ import annotations

from support import helm
from support.helm import Renderer

KUBE_DNS = [
    {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
]


def _policies(renderer: Renderer, **values: str) -> list[dict]:
    objects = renderer.with_values(helm.variant_file("clusterwide-gpu"), **values)
    return [o for o in objects if o["kind"] == "NetworkPolicy"]


def test_camera_egress_excepts_link_local_and_the_cluster_networks(renderer: Renderer) -> None:
    objects = renderer.variant("clusterwide-gpu")
    workers = helm.one(objects, "NetworkPolicy", "-workers")
    blocks = [
        peer["ipBlock"]
        for rule in workers["spec"]["egress"]
        for peer in rule.get("to", [])
        if "ipBlock" in peer
    ]
    everywhere = [block for block in blocks if block["cidr"] == "0.0.0.0/0"]
    assert everywhere and all(
        block["except"] == ["169.254.0.0/16", "10.96.0.0/12", "10.244.0.0/16"] for block in everywhere
    )


def test_notifications_never_reach_the_metadata_service(renderer: Renderer) -> None:
    backend = helm.one(renderer.variant("clusterwide-gpu"), "NetworkPolicy", "-backend")
    blocks = [
        peer["ipBlock"]
        for rule in backend["spec"]["egress"]
        for peer in rule.get("to", [])
        if "ipBlock" in peer
    ]
    assert {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]} in blocks


def test_dns_goes_only_to_the_cluster_dns(renderer: Renderer) -> None:
    for policy in _policies(renderer):
        for rule in policy["spec"].get("egress", []):
            if {"port": 53, "protocol": "UDP"} in rule.get("ports", []):
                assert rule["to"] == KUBE_DNS, policy["metadata"]["name"]
