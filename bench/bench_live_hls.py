"""HLS latency (the Safari/iOS live path): how old the segments are when the playlist is read through the
backend, and so how far behind a player that follows the playlist plays.

    .venv/bin/python bench/bench_live_hls.py [--seconds 30] [--size 1280x720] [--fps 15]

Real parts: the test RTSP server (GStreamer, H.264 of a looping street video, a keyframe a second), the
worker process (no detector answers), gunicorn with uvicorn workers; the playlist is read over real
HTTP with the user's token every 0.5 s, as a player reloads it. Each segment carries
``EXT-X-PROGRAM-DATE-TIME``, the wall time its first frame reached the worker, so the figures start at
the worker (the camera's encoder and the network add theirs). Printed, median and p95 over the window:
the time to the first playlist (a new session: a keyframe, then a whole segment); the newest segment's
end age and the newest part's (how stale the freshest media a player can fetch is); where an LL-HLS
player plays (PART-HOLD-BACK behind the newest part), and where a plain HLS player does (three target
durations back from the end of the last segment, RFC 8216's rule): each one's latency from the worker.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import m3u8
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.backend import start_backend
from support.footage import vtest_avi
from support.rtsp_server import start_rtsp_server
from support.worker_process import QUICK_WORKER_ENV, WorkerProcess, camera_env


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=15)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-hls-"))
    with (
        start_rtsp_server(vtest_avi(tmp), fps=args.fps, size=(width, height), loop=True, shared=True) as rtsp,
        start_backend(tmp / "backend") as backend,
    ):
        camera = backend.create_camera("Bench", rtsp.url)
        worker = WorkerProcess(
            {
                **QUICK_WORKER_ENV,
                **camera_env(camera, rtsp.url, backend.url),
                "DETECTOR_URL": "grpc://127.0.0.1:1",
                "HEARTBEAT_INTERVAL": "1",
                "CLIPS_ENABLED": "false",
                "DATA_DIR": str(tmp / "data"),
                "LOG_LEVEL": "WARNING",
            },
            tmp / "worker.log",
        ).start()
        try:
            describe = f"/api/cameras/{camera['id']}/live/"
            deadline = time.monotonic() + 60
            while backend.request("GET", describe).json()["state"] != "live":
                if time.monotonic() > deadline:
                    raise SystemExit("the worker never reported its live address")
                time.sleep(0.5)
            url = backend.request("GET", describe).json()["hls"]
            asked = time.monotonic()
            first = requests.get(url, headers=backend.headers(), timeout=30)
            first.raise_for_status()
            to_first = time.monotonic() - asked
            newest_age: list[float] = []
            player_age: list[float] = []
            edge_age: list[float] = []
            ll_age: list[float] = []
            durations: list[float] = []
            end = time.monotonic() + args.seconds
            while time.monotonic() < end:
                playlist = m3u8.loads(requests.get(url, headers=backend.headers(), timeout=30).text)
                now = time.time()
                segments = [s for s in playlist.segments if s.uri]  # the parts being built: no URI
                building = [s for s in playlist.segments if not s.uri]
                if segments:
                    # The live edge: the end of the newest part (the segment being built starts where the
                    # last complete one ends). An LL-HLS player plays PART-HOLD-BACK behind it.
                    edge = segments[-1].program_date_time.timestamp() + segments[-1].duration
                    edge += sum(part.duration for s in building for part in s.parts)
                    edge_age.append(now - edge)
                    ll_age.append(now - edge + playlist.server_control.part_hold_back)
                    last = segments[-1]
                    newest_age.append(now - (last.program_date_time.timestamp() + last.duration))
                    # A player starts no closer than three target durations to the end of the playlist.
                    back, at = 0.0, len(segments) - 1
                    while at > 0 and back + segments[at].duration < 3 * playlist.target_duration:
                        back += segments[at].duration
                        at -= 1
                    player_age.append(now - segments[at].program_date_time.timestamp())
                    durations.extend(s.duration for s in segments[-1:])
                time.sleep(0.5)  # a player's reload interval (half a target duration)
        finally:
            worker.close()
    print(
        f"HLS through the backend, {width}x{height} at {args.fps} fps, {args.seconds:.0f} s,"
        f" {len(newest_age)} reads"
    )
    print(f"  time to the first playlist (new session): {to_first:.2f} s")
    print(f"  segment duration: median {statistics.median(durations):.2f} s")
    print(
        f"  newest segment's end age at playlist time: median {statistics.median(newest_age):.2f} s,"
        f" p95 {p95(newest_age):.2f} s"
    )
    print(
        f"  newest part's end age (LL-HLS live edge): median {statistics.median(edge_age):.2f} s,"
        f" p95 {p95(edge_age):.2f} s"
    )
    print(
        "  LL-HLS player's position (PART-HOLD-BACK behind the edge):"
        f" median {statistics.median(ll_age):.2f} s,"
        f" p95 {p95(ll_age):.2f} s"
    )
    print(
        "  plain HLS player's position (3 target durations back):"
        f" median {statistics.median(player_age):.2f} s,"
        f" p95 {p95(player_age):.2f} s"
    )


if __name__ == "__main__":
    main()
