"""The `cctv-operator` entry point: configuration errors stop it; settings map onto kopf's options."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from conftest import eventually
from operator_backend import TOKEN

from cctv_operator.cli import run_options
from cctv_operator.config import load_settings
from support.net import free_port

REPO = Path(__file__).resolve().parents[2]
REQUIRED = {"DJANGO_API_URL": "http://backend:8000", "DJANGO_API_TOKEN": "t"}


@pytest.mark.slow
def test_bad_configuration_exits_2_with_one_message_naming_the_variable():
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    env.update(REQUIRED, POLL_INTERVAL="soon", PYTHONPATH=str(REPO / "operator"))
    result = subprocess.run([sys.executable, "-m", "cctv_operator"], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("cctv-operator: invalid operator configuration: POLL_INTERVAL:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_one_namespace_is_watched_when_configured():
    options = run_options(load_settings({**REQUIRED, "WATCH_NAMESPACE": "cctv"}), identity="me")
    assert options["namespaces"] == ["cctv"] and "clusterwide" not in options
    assert options["liveness_endpoint"] == "http://0.0.0.0:8080/healthz"
    assert options["identity"] == "me"


def test_empty_namespace_means_cluster_wide_and_peering_is_opt_in():
    options = run_options(load_settings({**REQUIRED, "OPERATOR_PEERING_NAME": "cctv"}), identity="me")
    assert options["clusterwide"] is True and options["peering_name"] == "cctv"
    assert "standalone" not in options
    without = run_options(load_settings(REQUIRED), identity="me")
    assert "peering_name" not in without and without["standalone"] is True


@pytest.mark.slow
async def test_console_entry_point_runs_the_operator_and_stops_on_sigterm(backend, kube_cluster, kubeconfig):
    metrics_port, health_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "operator"), "KUBECONFIG": str(kubeconfig),
           "DJANGO_API_URL": backend.url, "DJANGO_API_TOKEN": TOKEN, "POLL_INTERVAL": "0.2",
           "WATCH_NAMESPACE": "default", "OPERATOR_METRICS_PORT": str(metrics_port),
           "OPERATOR_HEALTH_PORT": str(health_port)}
    backend.activate(3)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cctv_operator", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        await eventually(lambda: "camera-3" in kube_cluster.live("apps/v1/deployments", "default"),
                         within=60, what="the Deployment made by the subprocess")
        async with aiohttp.ClientSession() as session:
            async def fetch(url: str) -> str:
                async with session.get(url) as response:
                    assert response.status == 200
                    return await response.text()

            metrics = await fetch(f"http://127.0.0.1:{metrics_port}/metrics")
            assert 'cctv_operator_sync_total{result="success"}' in metrics
            assert "cctv_operator_managed_cameras 1.0" in metrics
            health = await fetch(f"http://127.0.0.1:{health_port}/healthz")
            assert '"ok": true' in health
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()[-2000:]
