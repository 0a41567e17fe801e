"""Backend and delivery process SIGKILLed with deliveries pending: after a restart every alert is
delivered, each under one delivery id, so a receiver that deduplicates by X-CCTV-Delivery sees each once.

Real processes (gunicorn, ``manage.py deliver_notifications``), a real receiver, the database of
``DATABASE_URL`` (a scratch database on PostgreSQL, a file on SQLite).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from backend.images import jpeg_base64
from support.backend import (
    BACKEND_DIR,
    DEMO_PASSWORD,
    DEMO_USER,
    PYTHON,
    _manage,
    backend_env,
    scratch_postgres_database,
    server_argv,
    wait_ready,
)
from support.net import free_port
from support.receiver import WebhookReceiver

ALERTS = 60


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as handle:
        return subprocess.Popen(argv, cwd=BACKEND_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)  # polling a condition with a deadline


@contextlib.contextmanager
def _database_url(tmp_path: Path):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        with scratch_postgres_database(url, prefix="cctv_notify") as scratch:
            yield scratch
    else:
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"


@pytest.mark.slow
@pytest.mark.database  # the outbox's leases and row locks on the suite's database: run on both
def test_killed_backend_and_delivery_process_lose_and_duplicate_nothing(tmp_path):
    receiver = WebhookReceiver(delay=0.05).start()
    with _database_url(tmp_path) as database_url:
        env = backend_env(
            tmp_path,
            database_url=database_url,
            NOTIFY_ALLOWED_NETWORKS="127.0.0.0/8",
            NOTIFY_METRICS_PORT="0",
            NOTIFY_LEASE_SECONDS="2",
            NOTIFY_POLL_SECONDS="0.1",
            NOTIFY_CONCURRENCY="4",
            NOTIFY_BATCH_SIZE="8",
            NOTIFY_CHANNEL_RATE_PER_MINUTE="1000",  # 60 alerts in well under a minute, all to be sent
        )
        _manage("migrate", "--noinput", "-v0", env=env)
        demo = _manage("create_demo", "--username", DEMO_USER, "--password", DEMO_PASSWORD, "--json", env=env)
        token = json.loads(demo.stdout.strip().splitlines()[-1])["token"]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = tmp_path / "processes.log"
        headers = {"Authorization": f"Token {token}"}

        def start_backend() -> subprocess.Popen:
            process = _spawn(server_argv(port, workers=1), env, log)
            wait_ready(url, process, log_path=log)
            return process

        def start_delivery() -> subprocess.Popen:
            return _spawn([PYTHON, "manage.py", "deliver_notifications"], env, log)

        backend, delivery = start_backend(), start_delivery()
        try:
            door = {"name": "Door", "rtsp_url": "rtsp://10.0.0.5/live"}
            camera = requests.post(f"{url}/api/cameras/", json=door, headers=headers, timeout=30).json()
            channel = requests.post(
                f"{url}/api/notifications/channels/",
                json={"kind": "webhook", "name": "ops", "url": receiver.url},
                headers=headers,
                timeout=30,
            )
            assert channel.status_code == 201, channel.text
            image = jpeg_base64()
            posted: set[int] = set()

            def post_all() -> None:
                # As the worker's spool does: each alert is sent until acknowledged, under its own key.
                for number in range(ALERTS):
                    body = {"camera_id": camera["id"], "alert_type": "person", "confidence": 0.9,
                            "image_base64": image, "description": f"alert {number}"}  # fmt: skip
                    while True:
                        try:
                            response = requests.post(
                                f"{url}/api/send-alert/", json=body, timeout=10,
                                headers={**headers, "Idempotency-Key": f"crash-{number}"},
                            )  # fmt: skip
                            if response.status_code in (200, 201):
                                posted.add(response.json()["id"])
                                break
                        except requests.RequestException:
                            pass
                        time.sleep(0.2)  # the backend is down: try again shortly

            poster = threading.Thread(target=post_all, daemon=True)
            poster.start()
            _wait(lambda: len(receiver.requests) >= 10, 60, "the first deliveries")
            _kill(delivery)  # mid-batch: some deliveries were sent, their results never recorded
            _wait(lambda: len(posted) >= 25, 60, "more alerts while nothing delivers")
            _kill(backend)  # mid-ingest
            time.sleep(1)  # both stay down a moment: a real outage, not a race to restart
            backend, delivery = start_backend(), start_delivery()
            poster.join(180)
            assert len(posted) == ALERTS
            _wait(lambda: len(set(receiver.delivery_ids())) >= ALERTS, 120, "every alert delivered")
            time.sleep(3)  # longer than the lease: a late duplicate would show up now
        finally:
            _kill(delivery)
            _kill(backend)
            receiver.stop()

    by_alert = collections.defaultdict(set)
    for request in receiver.requests:
        by_alert[json.loads(request.body)["alert"]["id"]].add(request.headers["X-CCTV-Delivery"])
    assert set(by_alert) == posted  # every alert, nothing invented
    assert all(len(ids) == 1 for ids in by_alert.values())  # one delivery id per alert: dedup works
    resent = len(receiver.requests) - len(set(receiver.delivery_ids()))
    # Only what was in flight when the delivery process died may come twice (same id): at most a batch.
    assert resent <= 8, resent
    print(f"alerts {ALERTS}, requests {len(receiver.requests)}, resent after the kill (same id) {resent}")
