"""Export throughput: the export job's copy (exports.jobs.run: the segment index read, every packet
remuxed by PyAV into one MP4, the file stored) from the filesystem media store, in MB/s of recorded
segments read. The goal is 50 MB/s on this machine: an export is a copy, never an encode.

    .venv/bin/python bench/bench_export.py [--minutes 10] [--size 1280x720] [--bitrate 4000] [--rounds 3]

Real parts: H.264 segments of 10 s made by PyAV's libx264 at the camera-like bitrate asked for (one
encoded, stored under each segment's name, as the worker's uploads are), their index rows in a SQLite
database of its own (DATABASE_URL of this process, in a temporary folder), the media store on the local
disk, and the job's own code. The database answers a few queries per export; the time is the copy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def encode_segment(path: Path, *, seconds: int, size: tuple[int, int], fps: int, bitrate_kbps: int) -> Path:
    """Noise with motion (so libx264 spends the bitrate asked for), a keyframe each second."""
    width, height = size
    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = bitrate_kbps * 1000
        stream.options = {"g": str(fps), "preset": "ultrafast"}
        for index in range(seconds * fps):
            image = np.roll(base, index * 4, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="the exported range")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--bitrate", type=int, default=4000, help="kbit/s of the segments")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    width, height = (int(value) for value in args.size.split("x"))
    scratch = Path(tempfile.mkdtemp(prefix="bench-export-"))
    os.environ.update(
        {
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{scratch / 'db.sqlite3'}",
            "MEDIA_ROOT": str(scratch / "media"),
            "MEDIA_STORE": "filesystem",
            "DJANGO_SETTINGS_MODULE": "cctv_backend.settings",
        }
    )
    sys.path.insert(0, str(ROOT / "backend"))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone
    from recordings.models import RecordingSegment, segment_path

    from exports import jobs
    from exports.models import Export
    from surveillance.models import Camera

    try:
        call_command("migrate", verbosity=0)
        segment = encode_segment(
            scratch / "segment.mp4", seconds=10, size=(width, height), fps=args.fps, bitrate_kbps=args.bitrate
        )
        size = segment.stat().st_size
        user = User.objects.create_user("bench")
        camera = Camera.objects.create(user=user, name="Bench", rtsp_url="rtsp://10.0.0.1/s")
        count = round(args.minutes * 6) + 1
        t0 = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
        rows = []
        for index in range(count):
            start = t0 + timedelta(seconds=10 * index)
            row = RecordingSegment(
                camera=camera, start=start, end=start + timedelta(seconds=10), duration=10.0, size=size,
                kind="continuous",
            )  # fmt: skip
            name = segment_path(row, f"{index}.mp4")
            target = scratch / "media" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(segment, target)
            row.file.name = name
            rows.append(row)
        RecordingSegment.objects.bulk_create(rows)
        print(
            f"{count} segments of 10 s, {width}x{height} {args.fps} fps, {size / 1e6:.2f} MB each "
            f"({size * 8 / 10 / 1000:.0f} kbit/s), filesystem store, {args.minutes:g}-minute export"
        )
        rates = []
        for round_ in range(args.rounds):
            export = Export.objects.create(
                user=user, camera=camera, name=f"bench {round_}", start=t0 + timedelta(seconds=3.5),
                end=t0 + timedelta(seconds=3.5 + args.minutes * 60),
            )  # fmt: skip
            claimed = jobs.claim_next()
            assert claimed is not None and claimed.pk == export.pk
            began = time.perf_counter()
            status = jobs.run(claimed)
            took = time.perf_counter() - began
            export.refresh_from_db()
            assert status == "done", export.error
            read = sum(piece.size for piece in jobs.pieces_of(export))
            rates.append(read / took / 1e6)
            print(
                f"round {round_ + 1}: {read / 1e6:.0f} MB read, {export.size / 1e6:.0f} MB written in "
                f"{took:.2f} s: {rates[-1]:.0f} MB/s (export {export.duration:.1f} s of footage)"
            )
        print(f"export throughput: median {statistics.median(rates):.0f} MB/s (goal >= 50 MB/s)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
