"""Motion gate benchmark: what one camera's worker costs with the gate off (before) and on (after).

    python bench/bench_motion.py [--window 30] [--fps 15] [--reverse] [--rounds 1] [--scenes empty,busy]
                                 [--configs before,gate,after]

In one run, over the real RTSP server (1920x1080 H.264, one keyframe a second, ``--fps`` frames a
second), a whole ``cctv-worker`` process per configuration, YOLOv8n (OpenVINO, the image's default) at
the default detect rate (FRAME_SKIP=30):

- empty scene: vtest's street with nobody on it, a still picture (a quiet camera, most of the day);
- busy scene: the demo footage vtest.avi (pedestrians all the time), looped.

Configurations: ``before`` = MOTION_GATE=false (every frame decoded, every sampled frame inferred);
``gate`` = the motion gate with every frame decoded (MOTION_IDLE_DECODE=all); ``after`` = the default
(gate on, keyframes only while nothing moves, checked at the sampling rate, and a forced detection every
FORCED_DETECT_IDLE_INTERVAL = 60 s while nothing is followed: a 60 s window holds one, ``--window 60``).
Prints CPU % of one core per camera, inference runs per second and the share of sampled frames with
motion, and the ratios after / before.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "camera-worker"), str(REPO / "bench")]

from bench_worker import ENV, OUT, prepare_models, scrape  # noqa: E402

from support.backend import stop_process  # noqa: E402

NAMES = ("frames_inferred", "frames_motion_checked", "frames_motion", "frames_read", "stream_reconnects")
CONFIGS = {
    "before": {"MOTION_GATE": "false"},
    "gate": {"MOTION_GATE": "true", "MOTION_IDLE_DECODE": "all"},
    "after": {"MOTION_GATE": "true", "MOTION_IDLE_DECODE": "keyframes"},
}


def run_worker(rtsp_url: str, model: Path, backend, extra: dict[str, str], window: float, fps: int) -> dict:
    import psutil

    from support.net import free_port

    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="bench-motion-"))
    env = {**ENV, "CAMERA_ID": "1", "RTSP_URL": rtsp_url, "DJANGO_API_URL": backend.url,
           "DJANGO_API_TOKEN": backend.token, "MODEL_PATH": str(model), "METRICS_PORT": str(port),
           "METRICS_HOST": "127.0.0.1", "DATA_DIR": str(scratch), "LOG_LEVEL": "WARNING",
           "CLIPS_ENABLED": "false", **extra}  # fmt: skip
    with (scratch / "worker.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cctv_worker"], env=env, stdout=log, stderr=log)
    try:
        ps = psutil.Process(proc.pid)
        deadline = time.monotonic() + 90
        while (
            time.monotonic() < deadline
            and scrape(port, "cctv_frames_motion_checked_total") + scrape(port, "cctv_frames_inferred_total")
            < 3
        ):
            time.sleep(0.5)
        time.sleep(5)  # past the first frames (always analysed) and the gate's hold time

        def sample() -> tuple[float, dict[str, float], float]:
            times = ps.cpu_times()
            counters = {n: scrape(port, f"cctv_{n}_total") for n in NAMES}
            return times.user + times.system, counters, time.monotonic()

        cpu0, m0, t0 = sample()
        time.sleep(window)
        cpu1, m1, t1 = sample()
        span = t1 - t0
        delta = {n: m1[n] - m0[n] for n in NAMES}
        checked = delta["frames_motion_checked"]
        cpu = 100 * (cpu1 - cpu0) / span
        delivered = delta["frames_read"] / span
        return {
            "cpu_percent": round(cpu, 1),
            # On a loaded machine the server may deliver fewer frames than --fps: this is the CPU the
            # worker spent per second of video, i.e. what a camera delivering at full rate would cost.
            "cpu_percent_per_video_second": round(cpu * fps / delivered, 1) if delivered else None,
            "inferences_per_s": round(delta["frames_inferred"] / span, 2),
            "motion_share": round(delta["frames_motion"] / checked, 2) if checked else None,
            "frames_read_per_s": round(delta["frames_read"] / span, 1),
            "reconnects": delta["stream_reconnects"],
        }
    finally:
        stop_process(proc, timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured per configuration")
    parser.add_argument("--fps", type=int, default=15)
    # On a shared machine the load drifts during a run: a second run in the other order shows how much
    # of a difference is the order.
    parser.add_argument("--reverse", action="store_true", help="run the configurations after first")
    parser.add_argument("--rounds", type=int, default=1, help="repeat, each round in the other order; means")
    parser.add_argument("--scenes", default="empty,busy")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="before and after are needed")
    args = parser.parse_args()
    configs = [name for name in CONFIGS if name in args.configs.split(",")]

    from worker.backend_double import AlertBackend

    from support.footage import empty_street, vtest_avi
    from support.rtsp_server import start_rtsp_server

    model = prepare_models()["openvino"]
    sources = {"empty": lambda: empty_street(OUT), "busy": lambda: vtest_avi(OUT)}
    scenes = {name: sources[name]() for name in args.scenes.split(",")}
    backend = AlertBackend().start()
    runs: dict[str, dict[str, list[dict]]] = {}
    try:
        for scene, source in scenes.items():
            runs[scene] = {name: [] for name in configs}
            with start_rtsp_server(source, fps=args.fps, size=(1920, 1080), loop=True, shared=True) as server:
                for round_ in range(args.rounds):
                    order = configs[::-1] if args.reverse != (round_ % 2 == 1) else configs
                    for name in order:
                        row = run_worker(server.url, model, backend, CONFIGS[name], args.window, args.fps)
                        runs[scene][name].append(row)
                        print(
                            json.dumps({"scene": scene, "config": name, "round": round_, **row}), flush=True
                        )
    finally:
        backend.stop()
    results = {
        scene: {name: _mean(rows) for name, rows in by_config.items()} for scene, by_config in runs.items()
    }

    print(f"\nworker CPU per camera, 1920x1080 at {args.fps} fps, FRAME_SKIP=30, YOLOv8n OpenVINO, "
          f"{args.window:.0f} s windows, mean of {args.rounds} round(s) (% of one core)")  # fmt: skip
    print("CPU per second of video (CPU % scaled to the full frame rate; raw CPU % in brackets)")
    print("| scene | before (no gate) | gate, all frames decoded | after (gate + keyframes when still) "
          "| after / before |")  # fmt: skip
    print("|---|---|---|---|---|")
    for scene, rows in results.items():
        cells = [
            f"{rows[k]['cpu_percent_per_video_second']} % ({rows[k]['cpu_percent']} %)" if k in rows else "-"
            for k in CONFIGS
        ]
        before, after = (rows[k]["cpu_percent_per_video_second"] or float("nan") for k in ("before", "after"))
        print(f"| {scene} | " + " | ".join(cells) + f" | {after / before:.2f} |")
    for scene, rows in results.items():
        rates = ", ".join(f"{k} {v['inferences_per_s']}" for k, v in rows.items())
        shares = ", ".join(f"{k} {v['motion_share']}" for k, v in rows.items())
        print(f"{scene}: inferences/s {rates}; motion share {shares}")
        if args.rounds > 1:
            ratios = [a["cpu_percent_per_video_second"] / b["cpu_percent_per_video_second"]
                      for a, b in zip(runs[scene]["after"], runs[scene]["before"], strict=True)]  # fmt: skip
            print(f"{scene}: after / before per round " + ", ".join(f"{r:.2f}" for r in ratios))


def _mean(rows: list[dict]) -> dict:
    """Numbers averaged over the rounds (None where a round had none)."""
    mean: dict = {}
    for key in rows[0]:
        values = [row[key] for row in rows if row[key] is not None]
        mean[key] = round(sum(values) / len(values), 2) if values else None
    return mean


if __name__ == "__main__":
    main()
