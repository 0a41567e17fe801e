"""Backend benchmark: alert ingest throughput and alert-list latency, over real HTTP on PostgreSQL.

    .venv/bin/python bench/bench_backend.py [--alerts 400] [--clients 4] [--rows 100000] [--workers 2]

1. Ingest: ``--clients`` concurrent clients POST /api/send-alert/ with a ~50 KB JPEG snapshot (each with
   its own idempotency key) to gunicorn; prints alerts/s and latency percentiles.
2. List: bulk-inserts ``--rows`` alerts with SQL, then times GET /api/alerts/ (default page, filters, a
   deep page, cursor pages); prints p50/p95 per query.

Uses a scratch database on the PostgreSQL server of ``BENCH_POSTGRES_URL``
(default postgres://postgres@127.0.0.1:5432/cctv_bench) and drops it afterwards.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.backend import scratch_postgres_database, start_backend

TARGET_JPEG_BYTES = 50 * 1024


def jpeg_of_about(size: int) -> bytes:
    """A camera-like JPEG of roughly ``size`` bytes (noise compresses poorly, like a real scene)."""
    side = 160
    while True:
        image = Image.frombytes("RGB", (side * 16 // 9, side), os.urandom(side * 16 // 9 * side * 3))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=70)
        if buffer.tell() >= size:
            return buffer.getvalue()
        side += 4


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_ingest(backend, camera: dict, *, alerts: int, clients: int) -> None:
    image = jpeg_of_about(TARGET_JPEG_BYTES)
    payload = {
        "camera_id": camera["id"],
        "alert_type": "person",
        "confidence": 0.9,
        "image_base64": base64.b64encode(image).decode(),
        "description": "bench",
    }
    local = threading.local()
    latencies: list[float] = []

    def post(index: int) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Token {camera['ingest_token']}"
        started = time.perf_counter()
        response = local.session.post(
            f"{backend.url}/api/send-alert/",
            json={**payload, "idempotency_key": f"bench-{index}-{uuid.uuid4().hex}"},
            timeout=60,
        )
        latencies.append(time.perf_counter() - started)
        return response.status_code

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(post, range(min(20, alerts))))  # warm up connections and workers
        latencies.clear()
        started = time.perf_counter()
        statuses = list(pool.map(post, range(20, 20 + alerts)))
        elapsed = time.perf_counter() - started
    assert set(statuses) == {201}, set(statuses)
    print(
        f"ingest: {alerts} alerts, {len(image)} B JPEG each, {clients} clients: "
        f"{alerts / elapsed:.1f} alerts/s "
        f"(p50 {percentile(latencies, 0.5) * 1000:.1f} ms, p95 {percentile(latencies, 0.95) * 1000:.1f} ms)"
    )


def bulk_insert(database_url: str, camera_id: int, rows: int) -> None:
    with psycopg2.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO surveillance_alert (camera_id, alert_type, confidence, description, detections,
                    occurred_at, created_at, snapshot, acknowledged, payload_digest)
                SELECT %s,
                    (ARRAY['intrusion', 'person', 'vehicle', 'suspicious', 'violence', 'fire',
                            'smoke'])[1 + i %% 7],
                    0.5 + (i %% 50) / 100.0, 'bench row', '[]'::jsonb,
                    now() - make_interval(secs => i * 20), now(), 'snapshots/bench.jpg', i %% 5 = 0, ''
                FROM generate_series(1, %s) AS i
                """,
                [camera_id, rows],
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE surveillance_alert")


def bench_list(backend, camera: dict, *, requests_per_query: int) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {backend.user_token}"
    queries = {
        "GET /api/alerts/": {},
        "?camera=": {"camera": camera["id"]},
        "?alert_type=fire": {"alert_type": "fire"},
        "?acknowledged=false": {"acknowledged": "false"},
        "?since= (last day)": {"since": "now-1d"},
        "?page=1000": {"page": 1000},
        "?pagination=cursor": {"pagination": "cursor"},
    }
    from datetime import UTC, datetime, timedelta

    for name, params in queries.items():
        if params.get("since") == "now-1d":
            params = {"since": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
        times = []
        for _ in range(requests_per_query):
            started = time.perf_counter()
            response = session.get(f"{backend.url}/api/alerts/", params=params, timeout=60)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:300]
        print(
            f"list {name:<22} p50 {statistics.median(times) * 1000:7.1f} ms   "
            f"p95 {percentile(times, 0.95) * 1000:7.1f} ms   ({requests_per_query} requests)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--list-requests", type=int, default=100)
    args = parser.parse_args()
    server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/cctv_bench")

    with (
        tempfile.TemporaryDirectory() as scratch,
        scratch_postgres_database(server, prefix="cctv_bench") as db,
    ):
        env = {"LOG_LEVEL": "WARNING"}
        with start_backend(Path(scratch), database_url=db, workers=args.workers, env=env) as backend:
            print(
                f"backend: gunicorn (uvicorn workers), {args.workers} workers x 8 requests at once, "
                "PostgreSQL; "
                f"client: {args.clients} threads"
            )
            camera = backend.create_camera("Bench", "rtsp://bench:secret@127.0.0.1:8554/bench")
            bench_ingest(backend, camera, alerts=args.alerts, clients=args.clients)
            bulk_insert(db, camera["id"], args.rows)
            print(f"list: {args.rows} bulk-inserted alerts (+{args.alerts + 20} ingested)")
            bench_list(backend, camera, requests_per_query=args.list_requests)


if __name__ == "__main__":
    main()
