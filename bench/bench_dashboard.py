"""Page load times of the dashboard with 100k alerts on PostgreSQL.

    .venv/bin/python bench/bench_dashboard.py [--alerts 100000] [--runs 30] [--keep]

Creates the database ``cctv_bench_dashboard`` (dropped again at the end unless ``--keep``), migrates it,
fills it with one watched user's 20 cameras and ``--alerts`` alerts over 30 days (plus another user's
alerts, so scoping is part of every query), then requests each main page ``--runs`` times through
Django's full request stack (middleware, session, templates; no network) and prints median and p95
server time and the number of SQL queries per page.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DB_NAME = "cctv_bench_dashboard"
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def admin_sql(statement: str) -> None:
    import psycopg2

    connection = psycopg2.connect(f"{SERVER_URL}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()


def setup_django() -> None:
    sys.path.insert(0, str(REPO / "backend"))
    os.environ["DATABASE_URL"] = f"{SERVER_URL}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cctv_backend.settings")
    os.environ.setdefault("CCTV_ALLOW_INSECURE_SECRET_KEY", "1")
    os.environ.setdefault("STATIC_MANIFEST", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import warnings

    import django

    # collectstatic has not run here; whitenoise's warning about it is noise for a timing run.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()


def fill(alert_count: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from surveillance.cameras import services
    from surveillance.models import Alert, AlertType

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    watcher = users.create_user("watcher", password="bench-password")
    other = users.create_user("other", password="bench-password")
    rng = random.Random(7)
    now = timezone.now()
    cameras = [
        services.camera_create(
            user=watcher, name=f"Camera {n:02d}", rtsp_url=f"rtsp://u:p@10.0.0.{n}/s", is_active=n % 4 != 0
        )
        for n in range(1, 21)
    ]
    others = [
        services.camera_create(user=other, name=f"Other {n}", rtsp_url=f"rtsp://10.1.0.{n}/s")
        for n in range(5)
    ]
    types = list(AlertType.values)
    weights = [5, 40, 30, 10, 3, 1, 2]
    started = time.perf_counter()
    batch: list[Alert] = []

    def alert_for(camera) -> Alert:
        when = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
        acknowledged = when < now - timedelta(days=1) and rng.random() < 0.9
        kind = rng.choices(types, weights)[0]
        return Alert(
            camera=camera,
            alert_type=kind,
            confidence=round(rng.uniform(0.5, 0.99), 3),
            description=f"{kind} detected",
            detections=[{"label": kind, "confidence": 0.8, "box": [0.1, 0.2, 0.4, 0.9]}],
            occurred_at=when,
            snapshot=f"snapshots/{camera.id}/{when:%Y/%m/%d}/bench.jpg",
            acknowledged=acknowledged,
            acknowledged_at=when + timedelta(minutes=5) if acknowledged else None,
        )

    for index in range(alert_count + alert_count // 10):
        camera = cameras[index % len(cameras)] if index < alert_count else others[index % len(others)]
        batch.append(alert_for(camera))
        if len(batch) == 5000:
            Alert.objects.bulk_create(batch)
            batch.clear()
    Alert.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"filled {alert_count} alerts (+{alert_count // 10} of another user)"
        f" in {time.perf_counter() - started:.1f} s"
    )
    return {"user": watcher, "camera": cameras[3], "alert": Alert.objects.filter(camera=cameras[3]).first()}


def measure(client, url: str, runs: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up (template loading, connection)
    timings = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured.captured_queries)
    return timings, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    try:
        setup_django()
        from django.test import Client
        from django.urls import reverse

        from dashboard.paging import encode_cursor
        from surveillance.events.selectors import alerts_of

        data = fill(args.alerts)
        client = Client(SERVER_NAME="localhost")
        client.force_login(data["user"])
        deep = alerts_of(data["user"]).values_list("occurred_at", "id")[2399]
        newest = alerts_of(data["user"]).order_by("-id").values_list("id", flat=True).first()
        pages = {
            "alert feed (first page)": reverse("dashboard:index"),
            "alert feed, filtered (camera+type+open)": reverse("dashboard:index")
            + f"?camera={data['camera'].id}&type=person&ack=no",
            "alert feed, page 50 (cursor)": reverse("dashboard:index") + f"?before={encode_cursor(*deep)}",
            "alert feed, date range": reverse("dashboard:index")
            + f"?date_from={(deep[0] - timedelta(days=3)).date()}&date_to={deep[0].date()}",
            "live poll (nothing new)": reverse("dashboard:alert-poll") + f"?after={newest}",
            "live poll (50 new)": reverse("dashboard:alert-poll") + f"?after={newest - 50 * 11 // 10}",
            "cameras": reverse("dashboard:cameras"),
            "statistics (30 days)": reverse("dashboard:statistics"),
            "alert detail": reverse("dashboard:alert", args=[data["alert"].id]),
            "zone editor": reverse("dashboard:zones", args=[data["camera"].id]),
        }
        print(f"\n{args.runs} runs per page, server time through Django's full stack, PostgreSQL:")
        print(f"{'page':44} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for name, url in pages.items():
            timings, queries = measure(client, url, args.runs)
            p95 = statistics.quantiles(timings, n=20)[18] if len(timings) >= 2 else timings[0]
            print(f"{name:44} {statistics.median(timings):10.1f} {p95:8.1f} {queries:8d}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")
            print(f"\ndropped database {DB_NAME}")


if __name__ == "__main__":
    main()
