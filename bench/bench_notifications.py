"""Notification benchmark: a burst of alerts delivered to a real webhook receiver, over real processes.

    .venv/bin/python bench/bench_notifications.py [--alerts 1000] [--clients 8] [--sqlite]

gunicorn + ``manage.py deliver_notifications`` + a loopback HTTP receiver; one webhook channel.
1. Live burst: ``--clients`` concurrent clients POST ``--alerts`` alerts while the delivery process runs;
   prints deliveries/s and the latency from each alert's POST to its arrival at the receiver (p50/p95/max).
2. Backlog drain: the same number of alerts queued while the delivery process is stopped, then started;
   prints how fast it empties the outbox (deliveries/s).
Checks that every alert arrived and that each arrived under one delivery id.

PostgreSQL by default (a scratch database on ``BENCH_POSTGRES_URL``, default
postgres://postgres@127.0.0.1:5432/cctv_bench, dropped afterwards); ``--sqlite`` for the laptop default.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.backend import BACKEND_DIR, PYTHON, scratch_postgres_database, start_backend, stop_process
from support.receiver import WebhookReceiver


def small_jpeg() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), (40, 90, 160)).save(buffer, "JPEG", quality=80)
    return base64.b64encode(buffer.getvalue()).decode()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def post_alerts(backend, camera_id: int, *, count: int, clients: int, tag: str) -> dict[int, float]:
    """POST ``count`` alerts concurrently; returns {alert id: time the POST started}."""
    image = small_jpeg()
    session = requests.Session()

    def post(number: int) -> tuple[int, float]:
        started = time.time()
        response = session.post(
            f"{backend.url}/api/send-alert/",
            json={"camera_id": camera_id, "alert_type": "person", "confidence": 0.9, "image_base64": image,
                  "description": f"{tag} {number}"},
            headers={**backend.headers(), "Idempotency-Key": f"{tag}-{number}"},
            timeout=60,
        )  # fmt: skip
        response.raise_for_status()
        return response.json()["id"], started

    with ThreadPoolExecutor(clients) as pool:
        return dict(pool.map(post, range(count)))


def wait_delivered(receiver: WebhookReceiver, alert_ids: set[int], *, timeout: float) -> dict[int, float]:
    """Wait until every alert reached the receiver; returns {alert id: first arrival time}."""
    deadline = time.monotonic() + timeout
    arrived: dict[int, float] = {}
    seen = 0
    while True:
        # Only the requests that came since the last look are parsed (the receiver shares this process).
        for request in receiver.requests[seen:]:
            alert_id = json.loads(request.body)["alert"]["id"]
            if alert_id in alert_ids and alert_id not in arrived:
                arrived[alert_id] = request.at
            seen += 1
        if len(arrived) == len(alert_ids):
            return arrived
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(arrived)} of {len(alert_ids)} delivered within {timeout} s")
        time.sleep(0.1)  # polling the receiver's record with a deadline


def check_once_each(receiver: WebhookReceiver, alert_ids: set[int]) -> None:
    ids_by_alert: dict[int, set[str]] = {}
    for request in receiver.requests:
        alert_id = json.loads(request.body)["alert"]["id"]
        ids_by_alert.setdefault(alert_id, set()).add(request.headers["X-CCTV-Delivery"])
    assert all(len(ids_by_alert[alert_id]) == 1 for alert_id in alert_ids), "an alert under two delivery ids"


def start_delivery(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as handle:
        return subprocess.Popen(
            [PYTHON, "manage.py", "deliver_notifications"], cwd=BACKEND_DIR, env=env, stdout=handle,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def run(database_url: str | None, args, tmp: Path) -> None:
    env = {
        "NOTIFY_ALLOWED_NETWORKS": "127.0.0.0/8",
        "NOTIFY_METRICS_PORT": "0",
        "NOTIFY_CONCURRENCY": str(args.concurrency),
        "NOTIFY_POLL_SECONDS": "0.2",
    }
    with WebhookReceiver() as receiver, start_backend(
        tmp, database_url=database_url, workers=args.workers, threads=4, env=env
    ) as backend:  # fmt: skip
        camera = backend.create_camera("Bench", "rtsp://10.0.0.5/live")
        backend.request(
            "POST",
            "/api/notifications/channels/",
            json={"kind": "webhook", "name": "bench", "url": receiver.url},
        ).raise_for_status()
        log = tmp / "delivery.log"
        delivery = start_delivery(backend.env, log)
        try:
            # 1. Live burst.
            posted = post_alerts(backend, camera["id"], count=args.alerts, clients=args.clients, tag="live")
            arrived = wait_delivered(receiver, set(posted), timeout=600)
            latencies = [arrived[alert_id] - posted[alert_id] for alert_id in posted]
            span = max(arrived.values()) - min(posted.values())
            print(f"live burst: {args.alerts} alerts from {args.clients} clients, all delivered")
            print(f"  first POST to last delivery {span:.2f} s: {args.alerts / span:.0f} deliveries/s")
            print(
                f"  latency POST -> receiver: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
                f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
            )
            # 2. Backlog drain.
            stop_process(delivery)
            queued = post_alerts(
                backend, camera["id"], count=args.alerts, clients=args.clients, tag="backlog"
            )
            started = time.time()
            delivery = start_delivery(backend.env, log)
            drained = wait_delivered(receiver, set(queued), timeout=600)
            drain = max(drained.values()) - started
            print(f"backlog drain: {args.alerts} queued, delivery process started: {drain:.2f} s, "
                  f"{args.alerts / drain:.0f} deliveries/s (includes the process's start-up)")  # fmt: skip
            check_once_each(receiver, set(posted) | set(queued))
            print("each alert arrived under one delivery id")
        finally:
            stop_process(delivery)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=16, help="NOTIFY_CONCURRENCY")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    print(f"CPU cores: {os.cpu_count()}; database: {'SQLite' if args.sqlite else 'PostgreSQL'}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.sqlite:
            run(None, args, Path(tmp))
        else:
            server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/cctv_bench")
            with scratch_postgres_database(server, prefix="cctv_bench_notify") as url:
                run(url, args, Path(tmp))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
