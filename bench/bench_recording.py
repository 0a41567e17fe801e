"""Recording cost: worker CPU with RECORD_MODE=continuous against the same worker with RECORD_MODE=off, in
one run (alternating, so that the machine's other load hits both alike), and the worker's disk while the
backend is unreachable (it grows as the bitrate says and stops at SEGMENT_SPOOL_MAX_BYTES).

    .venv/bin/python bench/bench_recording.py [--seconds 20] [--rounds 2] [--size 1920x1080] [--fps 15]

Real parts: the test RTSP server (GStreamer, H.264 of a looping street video, one shared pipeline as a
camera has), the worker process (its detector points at an address that never answers, so the frames'
inference does not hide the recording path: capture, the pre-roll ring, the segment sink and the
uploader), gunicorn receiving and checking the segments. CPU is each process's user+system time over the
window, in % of one core.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.backend import start_backend
from support.footage import vtest_avi
from support.net import free_port
from support.process_tree import cpu_seconds
from support.rtsp_server import start_rtsp_server
from support.worker_process import QUICK_WORKER_ENV, WorkerProcess


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*") if path.is_file()) if folder.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window per step")
    parser.add_argument("--rounds", type=int, default=2, help="off/continuous pairs")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument(
        "--spool-seconds", type=float, default=40.0, help="0: skip the unreachable-backend step"
    )
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-recording-"))
    source = vtest_avi(tmp)
    with (
        start_rtsp_server(source, fps=args.fps, size=(width, height), loop=True, shared=True) as rtsp,
        start_backend(tmp / "backend") as backend,
    ):
        camera = backend.create_camera("Bench", rtsp.url, record_mode="continuous")
        cam = str(camera["id"])

        def start_worker(mode: str, **extra: str) -> WorkerProcess:
            return WorkerProcess(
                {
                    **QUICK_WORKER_ENV,
                    "CAMERA_ID": cam,
                    "RTSP_URL": rtsp.url,
                    "DJANGO_API_URL": backend.url,
                    "DJANGO_API_TOKEN": camera["ingest_token"],
                    "DETECTOR_URL": "grpc://127.0.0.1:1",
                    "LIVE_ENABLED": "false",
                    "RECORD_MODE": mode,
                    "DATA_DIR": str(tmp / f"data-{mode}"),
                    "LOG_LEVEL": "WARNING",
                    **extra,
                },
                tmp / f"worker-{mode}.log",
            ).start()

        def measure(mode: str) -> tuple[float, float, float]:
            worker = start_worker(mode)
            try:
                deadline = time.monotonic() + 90
                while worker.value("cctv_frames_read_total", camera=cam) < 10 or (
                    mode == "continuous" and worker.value("cctv_segments_uploaded_total", camera=cam) < 1
                ):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"the {mode} worker did not get going:\n" + worker.output())
                    time.sleep(0.2)  # polling a condition with a deadline
                assert worker.proc is not None and backend.pid is not None
                proc, server = psutil.Process(worker.proc.pid), psutil.Process(backend.pid)
                time.sleep(2)  # settle
                w0, b0, t0 = cpu_seconds(proc), cpu_seconds(server), time.monotonic()
                bytes0 = worker.value("cctv_segment_recorded_bytes_total", camera=cam)
                time.sleep(args.seconds)  # the measurement window
                elapsed = time.monotonic() - t0
                rate = (worker.value("cctv_segment_recorded_bytes_total", camera=cam) - bytes0) / elapsed
                return (
                    (cpu_seconds(proc) - w0) / elapsed * 100,
                    (cpu_seconds(server) - b0) / elapsed * 100,
                    rate,
                )
            finally:
                worker.terminate()
                worker.close()

        print(f"{width}x{height} @ {args.fps} fps, {args.seconds:.0f} s per step, {args.rounds} round(s)")
        print("mode         worker %core  backend %core  recorded kB/s")
        ratios, rates = [], []
        for _ in range(args.rounds):
            off_cpu, off_backend, _rate = measure("off")
            print(f"off          {off_cpu:>12.1f}  {off_backend:>13.1f}")
            on_cpu, on_backend, rate = measure("continuous")
            rates.append(rate)
            ratios.append(on_cpu / off_cpu if off_cpu else float("nan"))
            print(
                f"continuous   {on_cpu:>12.1f}  {on_backend:>13.1f}  {rate / 1000:>13.1f}"
                f"   (x{ratios[-1]:.2f})"
            )
        print(f"worker CPU continuous / off: median x{statistics.median(ratios):.2f} (goal <= 1.10)")

        if args.spool_seconds > 0:
            bound = 16 * 1024 * 1024  # the smallest SEGMENT_SPOOL_MAX_BYTES
            worker = start_worker(
                "continuous",
                DJANGO_API_URL=f"http://127.0.0.1:{free_port()}",  # nothing listens: the backend is away
                SEGMENT_SPOOL_MAX_BYTES=str(bound),
                DATA_DIR=str(tmp / "data-away"),
            )
            folder = tmp / "data-away" / f"segments-camera-{cam}"
            try:
                print(
                    f"backend unreachable, SEGMENT_SPOOL_MAX_BYTES={bound}; "
                    f"bitrate {statistics.mean(rates) / 1000:.0f} kB/s"
                )
                print("seconds  spool MB  expected MB (bitrate x time, capped)  dropped (spool_full)")
                started = time.monotonic()
                while time.monotonic() - started < args.spool_seconds:
                    time.sleep(5)  # sampling interval
                    elapsed = time.monotonic() - started
                    expected = min(bound, statistics.mean(rates) * elapsed)
                    dropped = worker.value("cctv_segments_dropped_total", camera=cam, reason="spool_full")
                    print(
                        f"{elapsed:>7.0f}  {folder_bytes(folder) / 1e6:>8.1f}  {expected / 1e6:>36.1f}"
                        f"  {dropped:>20.0f}"
                    )
            finally:
                worker.terminate()
                worker.close()


if __name__ == "__main__":
    main()
