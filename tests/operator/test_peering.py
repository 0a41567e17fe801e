"""Only the acting replica syncs: kopf's peering rule, applied to the sync loop."""

from __future__ import annotations

import datetime

import pytest_asyncio
from conftest import NAMESPACE, eventually

from cctv_operator.handlers.peering import may_act

NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)


def peer(priority: int, seconds_ago: float = 0, lifetime: int = 60) -> dict:
    seen = NOW - datetime.timedelta(seconds=seconds_ago)
    return {"priority": priority, "lifetime": lifetime, "lastseen": seen.isoformat()}


def test_alone_in_the_peering_object_the_replica_acts():
    assert may_act({"me": peer(0)}, identity="me", priority=0, now=NOW)
    assert may_act({}, identity="me", priority=0, now=NOW)


def test_a_live_peer_with_higher_priority_holds_the_replica_back():
    assert not may_act({"me": peer(0), "other": peer(10)}, identity="me", priority=0, now=NOW)


def test_a_live_peer_with_the_same_priority_holds_both_back_as_in_kopf():
    assert not may_act({"me": peer(5), "other": peer(5)}, identity="me", priority=5, now=NOW)


def test_lower_priority_and_dead_peers_do_not_count():
    status = {"me": peer(5), "low": peer(1), "dead": peer(10, seconds_ago=120), "junk": {"priority": "x"}}
    assert may_act(status, identity="me", priority=5, now=NOW)


PEERING = "cctv-operator"


@pytest_asyncio.fixture()
async def peering_with_a_stronger_peer(kube_cluster, operator_env, monkeypatch):
    """A KopfPeering object where another live replica of higher priority holds the lead."""
    monkeypatch.setenv("OPERATOR_PEERING_NAME", PEERING)
    seen = datetime.datetime.now(datetime.UTC).isoformat()
    await kube_cluster.post(f"/apis/kopf.dev/v1/namespaces/{NAMESPACE}/kopfpeerings", json={
        "apiVersion": "kopf.dev/v1", "kind": "KopfPeering",
        "metadata": {"name": PEERING, "namespace": NAMESPACE},
        "status": {"leader-elsewhere": {"priority": 100, "lifetime": 600, "lastseen": seen}},
    })


async def test_standby_replica_neither_reads_the_backend_nor_writes_until_the_leader_is_gone(
    peering_with_a_stronger_peer, backend, kube_cluster, running_operator
):
    backend.activate(5)
    gate_checks = lambda: [r for r in kube_cluster.all_requests  # noqa: E731
                           if r.resource is not None and r.resource.plural == "kopfpeerings"
                           and r.method.value == "GET" and r.name == PEERING]
    await eventually(lambda: running_operator.memo.sync_state.get("standby"), what="standby")
    seen = len(gate_checks())
    await eventually(lambda: len(gate_checks()) >= seen + 3, what="three more gate checks")
    assert backend.requests == 0
    assert kube_cluster.live("cctv.io/v1alpha1/cameras", NAMESPACE) == {}

    await kube_cluster.patch(f"/apis/kopf.dev/v1/namespaces/{NAMESPACE}/kopfpeerings/{PEERING}",
                             json={"status": {"leader-elsewhere": None}},
                             headers={"Content-Type": "application/merge-patch+json"})
    await eventually(lambda: "camera-5" in kube_cluster.live("apps/v1/deployments", NAMESPACE),
                     what="the Deployment, once this replica leads")
    assert running_operator.memo.sync_state["standby"] is False
