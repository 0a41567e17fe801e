"""Time to first frame of a camera-day's HLS playback, on PostgreSQL with a large recordings index: the
playlist of one camera-day (8,640 segments) as the API answers it, then the first segment's init section
and media (remuxed to fMP4 by the backend), then PyAV decoding its first frame: what a player does before
it shows anything. Goal: under 1 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cctv_bench \
        .venv/bin/python bench/bench_playlist.py [--cameras 100] [--rows 1000000] [--queries 20]

A scratch database named after DATABASE_URL's (with a suffix) is migrated and dropped at the end;
``--rows`` segment rows are loaded with COPY (10 s segments, back to back, ending now) and vacuumed, one
camera with a whole day; that camera's first segment of the day is a real H.264 MP4 (PyAV's libx264,
1280x720 15 fps, 10 s) in a filesystem media store. The requests go through Django's test client (the
URL routing, the session's authentication, the view), not over a socket.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scratch_django import django_on_scratch_database

SEGMENT = 10


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cameras", type=int, default=100)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    with django_on_scratch_database("playlist", env={"ALLOWED_HOSTS": "testserver"}):
        run(args)


def run(args: argparse.Namespace) -> None:
    import av
    from bench_export import encode_segment
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from surveillance.models import Camera
    from teams.services import personal_team_of

    call_command("migrate", "--noinput", "-v0")
    owner = User.objects.create_user("bench", password="bench-password-1")
    team = personal_team_of(owner)
    Camera.objects.bulk_create(
        [
            Camera(
                user=owner,
                team=team,  # bulk_create skips Camera.save(), which would pick the personal team
                name=f"cam {i}",
                rtsp_url=f"rtsp://10.0.0.1:554/{i}",
                record_mode="continuous",
            )
            for i in range(args.cameras)
        ]
    )
    cameras = list(Camera.objects.order_by("pk").values_list("pk", flat=True))
    day_camera = cameras[0]
    now = datetime.now(UTC).replace(microsecond=0)
    per_camera = max(1, args.rows // args.cameras)
    real = encode_segment(
        Path(settings.MEDIA_ROOT) / "real.mp4", seconds=10, size=(1280, 720), fps=15, bitrate_kbps=4000
    )
    day_first = now - timedelta(seconds=SEGMENT * 8640)

    started = time.monotonic()
    buffer = io.StringIO()
    count = 0

    def row(camera: int, start: datetime) -> str:
        end = start + timedelta(seconds=SEGMENT)
        name = f"recordings/{camera}/{start:%Y/%m/%d}/{int(start.timestamp() * 1000)}-continuous.mp4"
        if camera == day_camera and start == day_first:
            target = Path(settings.MEDIA_ROOT) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            real.rename(target)
        fields = (camera, start.isoformat(), end.isoformat(), 10.0, 1250000, "continuous", name, now)
        return "\t".join(str(field) for field in fields) + "\n"

    with connection.cursor() as cursor:
        raw = cursor.connection

        def flush() -> None:
            buffer.seek(0)
            with raw.cursor() as copy:
                copy.copy_expert(
                    "COPY recordings_recordingsegment"
                    ' (camera_id, start, "end", duration, size, kind, file, created_at) FROM STDIN',
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
        cursor.execute("VACUUM ANALYZE recordings_recordingsegment")
    print(f"loaded {count:,} segment rows of {args.cameras} cameras in {time.monotonic() - started:.0f} s")

    client = Client()
    client.force_login(owner)
    start, end = day_first, now
    playlist_url = (
        f"/api/cameras/{day_camera}/recordings/playlist.m3u8?start={start.isoformat().replace('+00:00', 'Z')}"
        f"&end={end.isoformat().replace('+00:00', 'Z')}"
    )
    base = f"/api/cameras/{day_camera}/recordings/"
    playlists, firsts = [], []
    for _ in range(args.queries):
        from recordings import playback

        playback._recent.items.clear()  # every round remuxes, as a process that has not seen the segment
        t0 = time.perf_counter()
        answer = client.get(playlist_url)
        assert answer.status_code == 200, answer.content[:300]
        text = answer.content.decode()
        t1 = time.perf_counter()
        lines = text.splitlines()
        init_uri = next(line for line in lines if line.startswith("#EXT-X-MAP:URI="))[16:-1]
        media_uri = next(line for line in lines if line and not line.startswith("#"))
        init = client.get(base + init_uri)
        media = client.get(base + media_uri)
        assert init.status_code == 200 and media.status_code == 200, (init.status_code, media.status_code)
        with av.open(io.BytesIO(init.content + media.content)) as container:
            next(container.decode(video=0))
        t2 = time.perf_counter()
        playlists.append(t1 - t0)
        firsts.append(t2 - t0)
    segments = text.count("#EXTINF")

    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[int(q * (len(ordered) - 1))] * 1000

    print(f"playlist of one camera-day ({segments:,} segments, {len(text) / 1e6:.2f} MB): "
          f"p50 {statistics.median(playlists) * 1000:.0f} ms, p95 {p(playlists, 0.95):.0f} ms")  # fmt: skip
    print(f"time to first frame (playlist + init + media remux + first frame decoded): "
          f"p50 {statistics.median(firsts) * 1000:.0f} ms, p95 {p(firsts, 0.95):.0f} ms "
          "(goal < 1000 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
