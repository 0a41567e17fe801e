"""What the one-command product costs on this machine.

    python bench/bench_local_product.py [--cameras 1 4] [--window 60]

For each camera count, starts ``cctv-local`` exactly as ``scripts/run`` does (virtualenv already built)
with that many demo cameras in a fresh data dir, and prints:
- seconds from the command's start to the banner (backend ready) and to the first alert in the REST API;
- peak and final memory (sum of RSS over the product's whole process tree, sampled every 0.5 s) over
  ``--window`` seconds after the first alert;
- mean CPU (percent of one core, whole tree) over that window.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

from cctv_operator.local.product import free_port

REPO = Path(__file__).resolve().parents[1]


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def tree_rss(pid: int) -> int:
    total = 0
    for process in tree(pid):
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for process in tree(pid):
        try:
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total


def measure(cameras: int, window: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="cctv-bench-") as scratch:
        port = free_port()
        log = Path(scratch) / "product.log"
        env = {
            **os.environ,
            "YOLO_OFFLINE": "1",
            "YOLO_AUTOINSTALL": "False",
            "DATABASE_URL": "",
            "YOLO_CONFIG_DIR": str(Path(scratch) / "yolo"),
        }
        started = time.monotonic()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cctv_operator.local",
                    "--port",
                    str(port),
                    "--data-dir",
                    str(Path(scratch) / "data"),
                    "--demo-cameras",
                    str(cameras),
                ],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            token = None
            while token is None:
                if process.poll() is not None:
                    raise SystemExit(f"cctv-local exited:\n{log.read_text()[-2000:]}")
                found = re.search(r"Authorization: Token (\w+)", log.read_text(errors="replace"))
                token = found.group(1) if found else None
                time.sleep(0.1)
            to_banner = time.monotonic() - started
            peak = 0
            while True:
                peak = max(peak, tree_rss(process.pid))
                answer = requests.get(
                    f"http://127.0.0.1:{port}/api/alerts/",
                    headers={"Authorization": f"Token {token}"},
                    timeout=10,
                )
                if answer.ok and answer.json()["count"] > 0:
                    break
                if time.monotonic() - started > 300:
                    raise SystemExit("no alert within 300 s")
                time.sleep(0.25)
            to_alert = time.monotonic() - started
            cpu_before, t_before = tree_cpu_seconds(process.pid), time.monotonic()
            deadline = t_before + window
            while time.monotonic() < deadline:
                peak = max(peak, tree_rss(process.pid))
                time.sleep(0.5)
            cpu = (tree_cpu_seconds(process.pid) - cpu_before) / (time.monotonic() - t_before) * 100
            final = tree_rss(process.pid)
            alerts = requests.get(
                f"http://127.0.0.1:{port}/api/alerts/",
                headers={"Authorization": f"Token {token}"},
                timeout=10,
            ).json()["count"]
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
    return {
        "cameras": cameras,
        "banner_s": to_banner,
        "first_alert_s": to_alert,
        "peak_mib": peak / 2**20,
        "final_mib": final / 2**20,
        "cpu_pct": cpu,
        "alerts": alerts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    print(f"cctv-local, demo footage vtest.avi 768x576 @15 fps over RTSP, {os.cpu_count()} cores")
    print(
        f"{'cameras':>7} {'banner s':>9} {'1st alert s':>11} {'peak MiB':>9} {'final MiB':>9} "
        f"{'CPU % (1 core)':>14} {'alerts':>6}"
    )
    for count in args.cameras:
        r = measure(count, args.window)
        print(
            f"{r['cameras']:>7} {r['banner_s']:>9.1f} {r['first_alert_s']:>11.1f} {r['peak_mib']:>9.0f} "
            f"{r['final_mib']:>9.0f} {r['cpu_pct']:>14.0f} {r['alerts']:>6}",
            flush=True,
        )


if __name__ == "__main__":
    main()
