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
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.process_tree import cpu_seconds as tree_cpu_seconds  # noqa: E402
from support.process_tree import rss as tree_rss  # noqa: E402
from support.product import start_product  # noqa: E402


def measure(cameras: int, window: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="cctv-bench-") as scratch:
        started = time.monotonic()
        with start_product(Path(scratch), "--demo-cameras", str(cameras)) as product:
            to_banner = time.monotonic() - started
            pid = product.process.pid
            peak = 0
            while product.api("GET", "/api/alerts/").json()["count"] == 0:
                peak = max(peak, tree_rss(pid))
                if time.monotonic() - started > 300:
                    raise SystemExit("no alert within 300 s")
                time.sleep(0.25)
            to_alert = time.monotonic() - started
            cpu_before, t_before = tree_cpu_seconds(pid), time.monotonic()
            while time.monotonic() < t_before + window:
                peak = max(peak, tree_rss(pid))
                time.sleep(0.5)
            cpu = (tree_cpu_seconds(pid) - cpu_before) / (time.monotonic() - t_before) * 100
            final = tree_rss(pid)
            alerts = product.api("GET", "/api/alerts/").json()["count"]
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
