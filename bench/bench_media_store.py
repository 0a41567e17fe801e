"""Media store benchmark: upload and serve latency of a snapshot and a clip on each store.

    .venv/bin/python bench/bench_media_store.py [--snapshots 50] [--clips 20] [--clip-mib 4]

Stores: the filesystem (a temp folder), and a real S3 store (SeaweedFS on loopback, cctv_local.object_store)
served both ways: ``s3-proxy`` (the backend streams) and ``s3-redirect`` (the backend answers 302 to a
presigned URL; the time includes the browser's GET of it from the store). Measured in this process, through
``surveillance.media_store`` (what the views call after their access check): an upload is the storage's
``save`` of the bytes (what alert and clip ingest do once the request is read); a serve is ``serve()`` on a
request plus reading the whole body (a snapshot) or a 1 MiB range (a clip). The access check and HTTP
framing to the browser are the same on every store and left out. Prints p50 / p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "backend"), str(ROOT / "operator" / "laptop")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cctv_backend.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402

from cctv_backend.settings.media import media_storage  # noqa: E402
from cctv_local.object_store import REGION, ObjectStore  # noqa: E402
from surveillance import media_store  # noqa: E402

SNAPSHOT_BYTES = 50 * 1024  # about a 1080p JPEG snapshot


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"


def timed(count: int, action: Callable[[int], None]) -> list[float]:
    samples = []
    for index in range(count):
        start = time.perf_counter()
        action(index)
        samples.append(time.perf_counter() - start)
    return samples


def read_served(path: str, **headers: str) -> int:
    request = RequestFactory().get("/media/" + path, **{f"HTTP_{k.upper()}": v for k, v in headers.items()})
    response = media_store.serve(request, path, content_type="application/octet-stream")
    if response.status_code == 302:
        follow = urllib.request.Request(response["Location"], headers=headers)  # noqa: S310
        # The store's own http URL on loopback.
        with urllib.request.urlopen(follow, timeout=30) as answer:  # noqa: S310
            return len(answer.read())
    return sum(len(chunk) for chunk in response.streaming_content)  # type: ignore[attr-defined]


def run_store(label: str, args: argparse.Namespace) -> None:
    snapshot = secrets.token_bytes(SNAPSHOT_BYTES)
    clip = secrets.token_bytes(args.clip_mib * 1024 * 1024)
    store = media_store.store()
    snaps = timed(
        args.snapshots, lambda i: store.save(f"snapshots/bench/{label}-{i}.jpg", ContentFile(snapshot))
    )
    clips = timed(args.clips, lambda i: store.save(f"clips/bench/{label}-{i}.mp4", ContentFile(clip)))
    served_snaps = timed(args.snapshots, lambda i: read_served(f"snapshots/bench/{label}-{i}.jpg"))
    served_clips = timed(
        args.clips, lambda i: read_served(f"clips/bench/{label}-{i}.mp4", Range="bytes=0-1048575")
    )
    print(f"{label:12} upload snapshot ({SNAPSHOT_BYTES // 1024} KiB)    {percentiles(snaps)}")
    print(f"{label:12} upload clip ({args.clip_mib} MiB)          {percentiles(clips)}")
    print(f"{label:12} serve snapshot (whole)        {percentiles(served_snaps)}")
    print(f"{label:12} serve clip (1 MiB range)      {percentiles(served_clips)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--snapshots", type=int, default=50)
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--clip-mib", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-media-") as scratch:
        folder = Path(scratch)
        with override_settings(MEDIA_ROOT=folder / "media"):
            run_store("filesystem", args)
        with ObjectStore(folder / "s3", access_key="bench", secret_key=secrets.token_hex(20)) as s3:
            s3.ensure_bucket("bench")
            entry = media_storage(
                store="s3",
                bucket="bench",
                endpoint_url=s3.endpoint,
                region=REGION,
                path_style=True,
                access_key=s3.access_key,
                secret_key=s3.secret_key,
                timeout=10.0,
                expiry=300,
            )
            for mode in ("proxy", "redirect"):
                storages = {
                    "default": entry,
                    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
                }
                with override_settings(STORAGES=storages, MEDIA_SERVE_MODE=mode):
                    run_store(f"s3-{mode}", args)


if __name__ == "__main__":
    main()
