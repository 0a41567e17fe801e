"""The whole product, run the way ``scripts/run`` runs it: real backend (gunicorn, SQLite), real RTSP
server looping real footage with people, the operator's sync driving real ``cctv-worker`` processes
with the bundled person detector. Nothing is mocked.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import psutil
import pytest
import requests

from cctv_local.options import DEFAULT_FOOTAGE
from support.net import free_port
from support.product import RunningProduct, start_product, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DEFAULT_FOOTAGE.exists(), reason="demo footage (Debian opencv-doc) not installed"),
]


@pytest.fixture
def product(tmp_path) -> Iterator[RunningProduct]:
    with start_product(
        tmp_path, "--poll-interval", "1", "--confidence", "0.4", "--demo-cameras", "1"
    ) as running:
        yield running


def person_alerts(product: RunningProduct, camera_id: int) -> list[dict]:
    answer = product.api("GET", f"/api/alerts/?camera={camera_id}")
    answer.raise_for_status()
    return [a for a in answer.json()["results"] if a["alert_type"] in ("person", "intrusion")]


def test_demo_camera_alerts_arrive_and_deactivation_stops_its_worker(product):
    cameras = product.api("GET", "/api/cameras/").json()["results"]
    demo = next(c for c in cameras if c["name"] == "Demo camera 1")
    assert demo["is_active"]

    alerts = wait_for(lambda: person_alerts(product, demo["id"]), within=120, what="a person alert")
    first = alerts[0]
    snapshot_path = first["snapshot_url"].removeprefix(product.url)
    assert requests.get(product.url + snapshot_path, timeout=10).status_code == 401  # not without a login
    snapshot = product.api("GET", snapshot_path)
    assert snapshot.status_code == 200
    assert snapshot.content[:3] == b"\xff\xd8\xff"  # a JPEG

    worker_pid = wait_for(lambda: product.worker_pids().get(demo["id"]), within=30, what="the demo worker")
    assert product.api("POST", f"/api/cameras/{demo['id']}/deactivate/").status_code == 200
    wait_for(
        lambda: not psutil.pid_exists(worker_pid) or psutil.Process(worker_pid).status() == "zombie",
        within=40,
        what="the worker of the deactivated camera to stop",
    )
    assert demo["id"] not in product.worker_pids()


def test_a_killed_worker_comes_back_and_a_dead_stream_does_not_disturb_others(product):
    dead_port = free_port()
    created = product.api(
        "POST",
        "/api/cameras/",
        json={"name": "Unreachable", "rtsp_url": f"rtsp://127.0.0.1:{dead_port}/nothing"},
    )
    assert created.status_code == 201, created.text
    dead_id = created.json()["id"]
    assert product.api("POST", f"/api/cameras/{dead_id}/activate/").status_code == 200

    workers = wait_for(
        lambda: len(product.worker_pids()) == 2 and product.worker_pids(), within=40, what="two workers"
    )
    demo_id = next(cid for cid in workers if cid != dead_id)

    alerts_before_kill = len(person_alerts(product, demo_id))
    killed_at = time.time()
    os.kill(workers[demo_id], signal.SIGKILL)
    wait_for(
        lambda: product.worker_pids().get(demo_id) not in (None, workers[demo_id]),
        within=40,
        what="the killed worker to be restarted",
    )

    # The restarted worker starts with no tracks, so the people in view raise new alerts; meanwhile the
    # unreachable camera's worker keeps retrying in the same process, and reports its stream down.
    wait_for(
        lambda: len(person_alerts(product, demo_id)) > alerts_before_kill,
        within=120,
        what="alerts from the restarted demo worker",
    )

    def demo_reports_up_since_restart() -> bool:
        camera = product.api("GET", f"/api/cameras/{demo_id}/").json()
        beat = camera["last_heartbeat_at"]
        return camera["stream_state"] == "up" and datetime.fromisoformat(beat).timestamp() >= killed_at - 1

    wait_for(demo_reports_up_since_restart, within=40, what="a heartbeat 'up' from the restarted worker")
    assert product.worker_pids().get(dead_id) == workers[dead_id]
    dead_camera = product.api("GET", f"/api/cameras/{dead_id}/").json()
    assert dead_camera["stream_state"] in ("down", "connecting", "unknown")


def test_stopping_the_product_leaves_no_process(product):
    wait_for(lambda: product.worker_pids(), within=40, what="a worker")
    started = psutil.Process(product.process.pid).children(recursive=True)
    assert len(started) >= 3  # backend, RTSP server, at least one worker

    product.process.send_signal(signal.SIGINT)
    assert product.process.wait(timeout=60) == 0

    def alive(process: psutil.Process) -> bool:
        try:
            return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    wait_for(lambda: not any(alive(p) for p in started), within=10, what="every child process to exit")


# A password starting with '-' is one random password in 32: before issue 19, argparse read it as an
# option of create_demo and every start of that data dir failed.
DASH_PASSWORD = "-1Yquickstart-pw"


def _rejected_invalid(metrics_text: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == "cctv_backend_alerts_rejected_total" and sample.labels.get("reason") == "invalid"
    )


def _admin_login_works(product: RunningProduct, username: str, password: str) -> bool:
    session = requests.Session()
    form = session.get(f"{product.url}/admin/login/", timeout=10)
    answer = session.post(
        f"{product.url}/admin/login/?next=/admin/",
        data={
            "username": username,
            "password": password,
            "next": "/admin/",
            "csrfmiddlewaretoken": form.cookies["csrftoken"],
        },
        headers={"Referer": f"{product.url}/admin/login/"},
        timeout=10,
    )
    return (
        answer.status_code == 200 and answer.url.endswith("/admin/") and "Site administration" in answer.text
    )


def test_a_second_start_on_the_same_data_dir_works_like_the_first(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "demo_password").write_text(DASH_PASSWORD)
    args = ("--poll-interval", "1", "--confidence", "0.4", "--demo-cameras", "1")
    with start_product(tmp_path, *args) as first:
        assert f"login: demo / {DASH_PASSWORD}" in first.log()
        first_url = next(c for c in first.api("GET", "/api/cameras/").json()["results"])["rtsp_url"]
        first_worker_metrics = re.search(r"worker metrics: (\S+)", first.log())
    with start_product(tmp_path, *args) as second:
        banner = second.log()
        demo = next(c for c in second.api("GET", "/api/cameras/").json()["results"])
        # The demo stream listens on a new port at each start: the camera follows it, and the banner too.
        assert demo["rtsp_url"] != first_url and f"({demo['rtsp_url']})" in banner
        started = time.time()
        alerts = wait_for(
            lambda: [
                a
                for a in person_alerts(second, demo["id"])
                if datetime.fromisoformat(a["started_at"]).timestamp() >= started - 5
            ],
            within=120,
            what="a person alert after the second start",
        )
        assert alerts

        # The banner's admin login is a working one (issue 19: the demo user is no staff member).
        admin = re.search(r"/admin/\s+\(login: (\S+) / (\S+)\)", banner)
        assert admin is not None, banner
        assert _admin_login_works(second, admin.group(1), admin.group(2))

        # One view of the backend's metrics, whichever gunicorn worker answers: scrapes after distinct
        # increments read exactly those counts (not one worker's share, which reads as resets).
        metrics = lambda: _rejected_invalid(requests.get(f"{second.url}/metrics", timeout=10).text)  # noqa: E731
        base = metrics()
        for increments in (3, 5):
            with ThreadPoolExecutor(max_workers=increments) as pool:
                codes = list(
                    pool.map(
                        lambda _: second.api("POST", "/api/send-alert/", json={}).status_code,
                        range(increments),
                    )
                )
            assert set(codes) == {400}
            base += increments
            assert [metrics() for _ in range(8)] == [base] * 8
        # Each worker's metrics port is in the banner, and stays the camera's across starts.
        worker_metrics = re.search(r"worker metrics: (\S+)", banner)
        assert worker_metrics is not None and first_worker_metrics is not None, banner
        assert worker_metrics.group(1) == first_worker_metrics.group(1)
        assert "cctv_frames_read_total" in requests.get(worker_metrics.group(1), timeout=10).text
        delivery_metrics = re.search(r"notifications: (http://127\.0\.0\.1:\d+/metrics)", banner)
        assert delivery_metrics is not None, banner
        assert (
            "cctv_backend_notifications_sent_total"
            in requests.get(delivery_metrics.group(1), timeout=10).text
        )
