"""Live view latency, glass to glass: a camera that stamps each frame with the wall-clock time it sends it
(``bench/latency_source.py``, a block code in the picture), the real worker, the backend (gunicorn with
uvicorn workers) and headless Chromium playing the dashboard's live page; the page draws each frame it
presents onto a canvas, reads the code back, and takes the difference from its own clock (one machine,
one clock). Median and p95 over the window, over the WebSocket and over streaming HTTP (the fallback).

    .venv/bin/python bench/bench_live_latency.py [--seconds 60] [--fps 15] [--transport ws,http]

Goal (issue 22): median <= 1.0 s on loopback through the backend proxy.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.backend import DEMO_PASSWORD, DEMO_USER, start_backend
from support.net import free_port
from support.worker_process import QUICK_WORKER_ENV, WorkerProcess, camera_env

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]

# In the page: on every frame the video presents, read the 40 blocks of the code's middle row and note
# (the page's clock now) - (the stamp). Frames whose code does not read cleanly are counted, not used.
COLLECT = """() => {
  const video = document.querySelector('.live-player video');
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  window.latency = { samples: [], unreadable: 0, last: -1 };
  const BITS = 40, MOD = 2 ** 40;
  function read() {
    if (video.videoWidth) {
      canvas.width = video.videoWidth; canvas.height = 32;
      g.drawImage(video, 0, 0);
      const row = g.getImageData(0, 16, 640, 1).data;
      let stamp = 0, clean = true;
      for (let bit = 0; bit < BITS; bit++) {
        const luma = row[(bit * 16 + 8) * 4];
        if (luma > 80 && luma < 170) clean = false;
        stamp = stamp * 2 + (luma >= 128 ? 1 : 0);
      }
      const now = Date.now() % MOD;
      const age = ((now - stamp) % MOD + MOD) % MOD;
      if (!clean || age > 30000) window.latency.unreadable++;
      else if (stamp !== window.latency.last) {
        window.latency.samples.push(age / 1000);
        window.latency.last = stamp;
      }
    }
    video.requestVideoFrameCallback(read);
  }
  video.requestVideoFrameCallback(read);
}"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--transport", default="ws,http", help="ws, http or both, in that order")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    camera_proc = subprocess.Popen(
        [
            "/usr/bin/python3",
            str(REPO / "bench" / "latency_source.py"),
            "--port",
            str(port),
            "--fps",
            str(args.fps),
        ],
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert camera_proc.stdout is not None
        if b"READY" not in camera_proc.stdout.readline():
            raise SystemExit("the stamping camera did not start")
        rtsp = f"rtsp://127.0.0.1:{port}/stream"
        with start_backend(tmp / "backend") as backend:
            camera = backend.create_camera("Latency", rtsp)
            worker = WorkerProcess(
                {
                    **QUICK_WORKER_ENV,
                    **camera_env(camera, rtsp, backend.url),
                    "DETECTOR_URL": "grpc://127.0.0.1:1",
                    "CLIPS_ENABLED": "false",
                    "DATA_DIR": str(tmp / "data"),
                    "LOG_LEVEL": "WARNING",
                },
                tmp / "worker.log",
            ).start()
            try:
                deadline = time.monotonic() + 60
                path = f"/api/cameras/{camera['id']}/live/"
                while backend.request("GET", path).json()["state"] != "live":
                    if time.monotonic() > deadline:
                        raise SystemExit("the worker never reported its live address:\n" + worker.output())
                    time.sleep(0.2)  # polling a condition with a deadline
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    for transport in args.transport.split(","):
                        run(browser, backend.url, camera["id"], transport, args.seconds, args.fps)
                    browser.close()
            finally:
                worker.close()
    finally:
        camera_proc.terminate()
        camera_proc.wait(10)


def run(browser, url: str, camera_id: int, transport: str, seconds: float, fps: int) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=url)
    page = context.new_page()
    page.goto("/dashboard/login/")
    page.fill("#id_username", DEMO_USER)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))
    if transport == "http":
        # What a browser (or a proxy) without WebSockets gets: the player's fallback.
        page.add_init_script("delete window.WebSocket")
    page.goto(f"/dashboard/cameras/{camera_id}/live/")
    expect(page.locator(".live-state")).to_have_attribute("data-state", "playing", timeout=20_000)
    used = page.evaluate("document.querySelector('.live-player').dataset.transport")
    page.evaluate(COLLECT)
    time.sleep(seconds)  # the measurement window
    result = page.evaluate("window.latency")
    context.close()
    samples = result["samples"]
    if not samples:
        raise SystemExit(f"{transport}: no frame read back ({result['unreadable']} unreadable)")
    print(
        f"{used:4s} {len(samples)} frames over {seconds:.0f} s at {fps} fps: "
        f"median {statistics.median(samples):.3f} s, p95 {percentile(samples, 0.95):.3f} s, "
        f"min {min(samples):.3f} s, max {max(samples):.3f} s; {result['unreadable']} unreadable"
    )


if __name__ == "__main__":
    main()
