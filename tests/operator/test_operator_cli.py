"""The `cctv-operator` entry point: configuration errors stop it; settings map onto kopf's options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cctv_operator.cli import run_options
from cctv_operator.config import load_settings

REPO = Path(__file__).resolve().parents[2]
REQUIRED = {"DJANGO_API_URL": "http://backend:8000", "DJANGO_API_TOKEN": "t"}


def test_bad_configuration_exits_2_with_one_message_naming_the_variable():
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    env.update(REQUIRED, POLL_INTERVAL="soon", PYTHONPATH=str(REPO / "operator"))
    result = subprocess.run([sys.executable, "-m", "cctv_operator"], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("cctv-operator: invalid operator configuration: POLL_INTERVAL:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_one_namespace_is_watched_when_configured():
    options = run_options(load_settings({**REQUIRED, "WATCH_NAMESPACE": "cctv"}))
    assert options["namespaces"] == ["cctv"] and "clusterwide" not in options
    assert options["liveness_endpoint"] == "http://0.0.0.0:8080/healthz"


def test_empty_namespace_means_cluster_wide_and_peering_is_opt_in():
    options = run_options(load_settings({**REQUIRED, "OPERATOR_PEERING_NAME": "cctv"}))
    assert options["clusterwide"] is True and options["peering_name"] == "cctv"
    assert "peering_name" not in run_options(load_settings(REQUIRED))
