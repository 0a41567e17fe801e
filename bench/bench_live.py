"""Live view cost: worker and backend CPU with nobody watching, 1 viewer and N viewers of one camera,
in one run against the same worker; and the RTSP sessions the camera sees (one, whatever the viewers).

    .venv/bin/python bench/bench_live.py [--seconds 20] [--viewers 10] [--size 1920x1080] [--fps 15]
    (add --transport ws: the viewers read the WebSocket)

Real parts: the test RTSP server (GStreamer, H.264 of a looping street video), the worker process (no
detector answers: capture, the pre-roll ring and the live path only, so the live path's share is not
hidden behind inference), gunicorn with uvicorn workers. Viewers read the backend's live stream over
HTTP (or its WebSocket, ``--transport ws``) as fast as it comes. CPU is each process's user+system time
over the window, in % of one core.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests
from websockets.sync.client import connect as ws_connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.backend import start_backend
from support.footage import vtest_avi
from support.process_tree import cpu_seconds
from support.rtsp_server import start_rtsp_server
from support.worker_process import QUICK_WORKER_ENV, WorkerProcess, camera_env


def rtsp_sessions(port: int) -> int:
    return sum(
        1
        for conn in psutil.net_connections(kind="tcp")
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_ESTABLISHED
    )


class Viewer(threading.Thread):
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.bytes = 0
        self.stop = threading.Event()

    def run(self) -> None:
        if self.url.startswith("ws"):
            with ws_connect(self.url, additional_headers=self.headers, open_timeout=30) as ws:
                while not self.stop.is_set():
                    self.bytes += len(ws.recv(timeout=30))
            return
        with requests.get(self.url, headers=self.headers, stream=True, timeout=30) as response:
            response.raise_for_status()
            for chunk in response.iter_content(65536):
                self.bytes += len(chunk)
                if self.stop.is_set():
                    return


def wait_for_frames(worker: WorkerProcess, camera_id: int) -> None:
    deadline = time.monotonic() + 60
    while worker.value("cctv_frames_read_total", camera=str(camera_id)) < 10:
        if time.monotonic() > deadline:
            raise SystemExit("the worker reads no frames:\n" + worker.output())
        time.sleep(0.2)  # polling a condition with a deadline


def measure(worker: psutil.Process, backend: psutil.Process, seconds: float) -> tuple[float, float]:
    w0, b0, t0 = cpu_seconds(worker), cpu_seconds(backend), time.monotonic()
    time.sleep(seconds)  # a measurement window, not a wait for a condition
    elapsed = time.monotonic() - t0
    return (cpu_seconds(worker) - w0) / elapsed * 100, (cpu_seconds(backend) - b0) / elapsed * 100


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--transport", choices=["http", "ws"], default="http")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    source = vtest_avi(tmp)
    with (
        start_rtsp_server(source, fps=args.fps, size=(width, height), loop=True, shared=True) as rtsp,
        start_backend(tmp / "backend") as backend,
    ):
        camera = backend.create_camera("Bench", rtsp.url)

        def start_worker(**extra: str) -> WorkerProcess:
            return WorkerProcess(
                {
                    **QUICK_WORKER_ENV,
                    **camera_env(camera, rtsp.url, backend.url),
                    "DETECTOR_URL": "grpc://127.0.0.1:1",
                    "LIVE_MAX_VIEWERS": str(max(args.viewers, 1)),
                    "CLIPS_ENABLED": "false",
                    "DATA_DIR": str(tmp / "data"),
                    "LOG_LEVEL": "WARNING",
                    **extra,
                },
                tmp / "worker.log",
            ).start()

        # Today's worker: the live path turned off, measured alone first.
        off = start_worker(LIVE_ENABLED="false")
        try:
            wait_for_frames(off, camera["id"])
            assert off.proc is not None and backend.pid is not None
            time.sleep(3)  # settle after start-up (imports, first GOPs)
            off_cpu, _ = measure(psutil.Process(off.proc.pid), psutil.Process(backend.pid), args.seconds)
        finally:
            off.terminate()
            off.close()
        worker = start_worker()
        try:
            deadline = time.monotonic() + 60
            describe = f"/api/cameras/{camera['id']}/live/"
            while backend.request("GET", describe).json()["state"] != "live":
                if time.monotonic() > deadline:
                    raise SystemExit("the worker never reported its live address:\n" + worker.output())
                time.sleep(0.2)  # polling a condition with a deadline
            assert worker.proc is not None and backend.pid is not None
            worker_proc, backend_proc = psutil.Process(worker.proc.pid), psutil.Process(backend.pid)
            time.sleep(3)  # settle after start-up (imports, first GOPs)
            url = f"{backend.url}/api/cameras/{camera['id']}/live/stream/"
            if args.transport == "ws":
                url = url.replace("http://", "ws://").replace("/stream/", "/ws/")
            print(f"{width}x{height} @ {args.fps} fps, {args.seconds:.0f} s per step, over {args.transport}")
            print("viewers  worker %core  backend %core  MB/s to viewers  RTSP sessions")
            print(f"live off {off_cpu:>11.1f}  {'':>13}  {'':>15}  {'':>13}   (today's worker)")
            baseline = off_cpu
            for count in (0, 1, args.viewers):
                viewers = [Viewer(url, backend.headers()) for _ in range(count)]
                for viewer in viewers:
                    viewer.start()
                time.sleep(2)  # the viewers' sessions start at the next keyframe
                sent0 = sum(v.bytes for v in viewers)
                worker_cpu, backend_cpu = measure(worker_proc, backend_proc, args.seconds)
                rate = (sum(v.bytes for v in viewers) - sent0) / args.seconds / 1e6
                sessions = rtsp_sessions(rtsp.port)
                for viewer in viewers:
                    viewer.stop.set()
                ratio = worker_cpu / baseline if baseline else float("nan")
                print(
                    f"{count:>7}  {worker_cpu:>12.1f}  {backend_cpu:>13.1f}  {rate:>15.2f}  {sessions:>13}"
                    f"   (worker x{ratio:.2f} of live off)"
                )
                for viewer in viewers:
                    viewer.join(timeout=10)
                time.sleep(2)
        finally:
            worker.close()


if __name__ == "__main__":
    main()
