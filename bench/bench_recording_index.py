"""The recordings index at scale, on PostgreSQL: segment registrations per second, one camera-day's
recordings query (p50/p95) over a large table, the API's answer for it, and a retention pass deleting
the oldest ``--retention-hours`` of every camera (its rate, and what a day of 1,000 cameras would take).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cctv_bench \
        .venv/bin/python bench/bench_recording_index.py \
        [--cameras 1000] [--rows 1000000] [--threads 4] [--seconds 10] [--retention-hours 1]

``--cameras 100 --rows 1000000 --retention-hours 24`` deletes a whole day of each camera (8,640 segments
each, as a day of 1,000 cameras would per camera) where 10 M rows do not fit the disk.

A scratch database named after DATABASE_URL's (with a suffix) is migrated and dropped at the end.
``--rows`` segment rows are loaded with COPY (10 s segments, ``rows / cameras`` per camera, back to back,
ending now), then vacuumed; one camera also gets a whole day so that the query reads 8,640 rows.
Registrations run the upload's index path
(``recordings.services`` minus the MP4 check and the byte copy: the key lookup, the insert under the
(camera, start) constraint) from ``--threads`` threads, each with its own connection. The retention pass
is ``recordings.services`` deleting rows and calling the storage for their objects (the filesystem here:
the objects do not exist, so the storage's share is the call only).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "backend"))

from support.backend import scratch_postgres_database  # noqa: E402

SEGMENT = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument(
        "--retention-hours",
        type=float,
        default=1.0,
        help="how much of every camera's oldest footage the retention pass deletes",
    )
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server")
    # Named after DATABASE_URL's database (a prefix of one's own on a shared server), with a suffix.
    prefix = server.rpartition("/")[2].split("?")[0] or "cctv_bench_index"
    with scratch_postgres_database(server, prefix=prefix) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DEBUG", "1")
        os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-index-media-"))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cctv_backend.settings")
        import django

        django.setup()
        run(args)
        from django.db import connections

        connections.close_all()


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, connections
    from recordings import selectors, services
    from recordings.models import RecordingSegment

    from surveillance.models import Camera

    call_command("migrate", "--noinput", "-v0")
    owner = User.objects.create_user("bench", password="bench-password-1")
    Camera.objects.bulk_create(
        [
            Camera(user=owner, name=f"cam {i}", rtsp_url=f"rtsp://10.0.0.1:554/{i}", record_mode="continuous")
            for i in range(args.cameras)
        ]
    )
    cameras = list(Camera.objects.order_by("pk").values_list("pk", flat=True))
    now = datetime.now(UTC).replace(microsecond=0)
    per_camera = max(1, args.rows // args.cameras)
    day_camera = cameras[0]

    started = time.monotonic()
    buffer = io.StringIO()
    count = 0

    def row(camera: int, start: datetime) -> str:
        end = start + timedelta(seconds=SEGMENT)
        name = f"recordings/{camera}/{start:%Y/%m/%d}/{int(start.timestamp() * 1000)}-continuous.mp4"
        fields = (camera, start.isoformat(), end.isoformat(), 10.0, 1250000, "continuous", name, now)
        return "\t".join(str(field) for field in fields) + "\n"  # str(datetime): ISO with a space

    with connection.cursor() as cursor:
        raw = cursor.connection

        def flush() -> None:
            buffer.seek(0)
            with raw.cursor() as copy:
                copy.copy_expert(
                    "COPY recordings_recordingsegment"
                    ' (camera_id, start, "end", duration, size, kind, file, created_at)'
                    " FROM STDIN",
                    buffer,
                )
            buffer.seek(0)
            buffer.truncate()

        for camera in cameras:
            rows = 8640 if camera == day_camera else per_camera
            first = now - timedelta(seconds=SEGMENT * rows)
            for index in range(rows):
                buffer.write(row(camera, first + timedelta(seconds=SEGMENT * index)))
                count += 1
            if buffer.tell() > 32 * 1024 * 1024:
                flush()
        flush()
        # A steady state: autovacuum has long since visited the table (its visibility map lets the
        # recordings query read the covering index alone), which a fresh COPY has not.
        cursor.execute("VACUUM ANALYZE recordings_recordingsegment")
    loaded = time.monotonic() - started
    print(
        f"loaded {count:,} segment rows of {args.cameras} cameras in {loaded:.0f} s "
        f"({count / loaded:,.0f} rows/s, COPY)"
    )

    # --- registrations ---
    stop = threading.Event()
    done = [0] * args.threads
    errors: list[BaseException] = []

    def register(slot: int) -> None:
        try:
            mine = cameras[slot :: args.threads]
            base = now + timedelta(seconds=1)
            index = 0
            while not stop.is_set():
                camera_id = mine[index % len(mine)]
                start = base + timedelta(seconds=SEGMENT * (index // len(mine)))
                if not RecordingSegment.objects.filter(camera_id=camera_id, start=start).exists():
                    RecordingSegment.objects.create(
                        camera_id=camera_id,
                        start=start,
                        end=start + timedelta(seconds=SEGMENT),
                        duration=SEGMENT,
                        size=1_250_000,
                        kind="continuous",
                        file=f"recordings/{camera_id}/x/{int(start.timestamp() * 1000)}-continuous.mp4",
                    )
                done[slot] += 1
                index += 1
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=register, args=(slot,)) for slot in range(args.threads)]
    for worker in workers:
        worker.start()
    time.sleep(args.seconds)  # the measurement window
    stop.set()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    print(
        f"registrations: {sum(done) / args.seconds:,.0f} segments/s from {args.threads} threads "
        f"(1,000 cameras with 10 s segments need 100/s)"
    )

    # --- the recordings query, one camera-day: what the API runs (segments as JSON written by PostgreSQL,
    # gaps from the covered runs), then the portable path (rows to Python) for comparison ---
    day_start = now - timedelta(days=1)
    prefix = f"http://localhost/api/cameras/{day_camera}/recordings/segments/"

    def timed(query) -> tuple[float, float]:
        times = []
        for _ in range(args.queries):
            t0 = time.perf_counter()
            query()
            times.append(time.perf_counter() - t0)
        times.sort()
        return statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000

    document = selectors.camera_recordings_document(
        user=owner, camera_id=day_camera, start=day_start, end=now, url_prefix=prefix, now=now
    )
    assert document is not None
    segments = document.segments_json.count('"url"')
    p50, p95 = timed(
        lambda: selectors.camera_recordings_document(
            user=owner, camera_id=day_camera, start=day_start, end=now, url_prefix=prefix, now=now
        )
    )
    print(
        f"recordings query, one camera-day ({segments:,} segments, "
        f"{len(document.gaps)} gaps): p50 {p50:.1f} ms, p95 {p95:.1f} ms (goal p95 < 50 ms; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )

    def portable():
        return selectors.camera_recordings(
            user=owner, camera_id=day_camera, start=day_start, end=now, now=now
        )

    found = portable()
    p50, p95 = timed(portable)
    print(
        f"  the portable path (SQLite's: {len(found.segments):,} rows to Python): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )

    # --- the same through the API view: the selector and the JSON (8,640 URLs) ---
    from recordings.views import RecordingsApi
    from rest_framework.test import APIRequestFactory, force_authenticate

    view = RecordingsApi.as_view()
    factory = APIRequestFactory()
    window = {"start": day_start.isoformat(), "end": now.isoformat()}
    answer: list = []

    def api() -> None:
        request = factory.get(f"/api/cameras/{day_camera}/recordings/", window, HTTP_HOST="localhost")
        force_authenticate(request, user=owner)
        response = view(request, pk=day_camera)
        answer[:] = [response.status_code, response.content]

    p50, p95 = timed(api)
    assert answer[0] == 200, answer[1][:500]
    print(
        f"recordings API answer, one camera-day ({len(answer[1]) / 1e6:.1f} MB of JSON): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )

    # --- retention: the oldest --retention-hours of every camera ---
    Camera.objects.update(retain_continuous_days=1, retain_events_days=1)
    # Every camera's oldest hours are past one day (the day camera loses more: its older hours too).
    oldest = now - timedelta(seconds=SEGMENT * per_camera)
    purge_at = oldest + timedelta(days=1, hours=args.retention_hours)
    expired = RecordingSegment.objects.filter(end__lt=purge_at - timedelta(days=1)).count()
    t0 = time.monotonic()
    result = services.recordings_purge(now=purge_at)
    took = time.monotonic() - t0
    rate = result.retention / took
    print(
        f"retention pass: {result.retention:,} segments (of {expired:,} expected) deleted in {took:.1f} s "
        f"({rate:,.0f}/s; a day of 1,000 cameras is 8.64 M: about {8_640_000 / max(1.0, rate):,.0f} s "
        f"at this rate; goal < 60 s)"
    )


if __name__ == "__main__":
    main()
