"""The backend image as the chart runs it: the migrate Job's script, then the Deployment's container
(read-only root, uid 10001, no capabilities, emptyDirs only where the chart mounts them) on PostgreSQL:
health, readiness, the dashboard's static files from the image, /metrics, and a clean log."""

from __future__ import annotations

import re

import pytest
import requests

from .conftest import RunningBackend, log_errors

# A cold engine store builds the images first (the worker image: many minutes on a busy machine).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


def test_the_migrate_job_runs_clean_on_a_read_only_root(backend: RunningBackend) -> None:
    assert "Applying" in backend.migrate_output or "No migrations to apply" in backend.migrate_output
    assert not log_errors(backend.migrate_output), backend.migrate_output


def test_the_server_answers_health_and_readiness(backend: RunningBackend) -> None:
    health = requests.get(f"{backend.url}/healthz", timeout=10)
    ready = requests.get(f"{backend.url}/readyz", timeout=10)
    assert health.status_code == 200 and ready.status_code == 200, (health.text, ready.text)


def test_the_dashboard_and_its_static_files_are_served_from_the_image(backend: RunningBackend) -> None:
    login = requests.get(f"{backend.url}/dashboard/", timeout=10)
    assert login.status_code == 200, login.status_code
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', login.text)
    assert any(asset.endswith(".css") for asset in assets), assets
    for asset in assets:
        response = requests.get(f"{backend.url}{asset}", timeout=10)
        assert response.status_code == 200, asset
        assert response.content, asset


def test_the_api_works_against_postgresql(backend: RunningBackend) -> None:
    created = backend.api("POST", "/api/cameras/", json={"name": "Gate", "rtsp_url": "rtsp://10.0.0.5/gate"})
    assert created.status_code == 201, created.text
    listed = backend.api("GET", "/api/cameras/").json()
    names = [camera["name"] for camera in listed.get("results", listed)]
    assert "Gate" in names


def test_metrics_add_up_the_gunicorn_workers(backend: RunningBackend) -> None:
    for _ in range(3):
        requests.get(f"{backend.url}/healthz", timeout=10)
    metrics = requests.get(f"{backend.url}/metrics", timeout=10)
    assert metrics.status_code == 200
    assert "cctv_backend" in metrics.text or "django_http" in metrics.text, metrics.text[:500]
    # Multi-process mode: the chart's PROMETHEUS_MULTIPROC_DIR (an in-memory emptyDir) holds the files.
    listing = backend.container.exec("ls", "/run/prometheus")
    assert listing.returncode == 0 and listing.stdout.strip(), listing


def test_the_process_runs_as_the_chart_asks(backend: RunningBackend) -> None:
    status = backend.container.process_status()
    assert status["Uid"].split()[:2] == ["10001", "10001"], status["Uid"]
    assert status["Gid"].split()[:2] == ["10001", "10001"], status["Gid"]
    assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0, status["CapEff"]
    assert status["NoNewPrivs"].strip() == "1"
    write = backend.container.exec("python", "-c", "open('/app/backend/probe', 'w')")
    assert write.returncode != 0 and "Read-only file system" in write.stderr, write
    for writable in ("/tmp", "/data/media", "/run/prometheus"):
        probe = backend.container.exec("python", "-c", f"open('{writable}/probe', 'w').write('x')")
        assert probe.returncode == 0, (writable, probe.stderr)


def test_the_log_has_no_error(backend: RunningBackend) -> None:
    requests.get(f"{backend.url}/readyz", timeout=10)
    log = backend.container.logs()
    assert "Booting worker" in log, log
    assert not log_errors(log), log
