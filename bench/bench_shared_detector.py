"""N cameras through one shared detector against N in-process detectors, in one run.

    python bench/bench_shared_detector.py [--cameras 4] [--seconds 30] [--max-batch 16]

Each camera is a process that sends its sampled frames (1280x720, already decoded: decoding costs the
same on both sides and is left out) to a detector as fast as answers come back:
- in-process: each camera process loads YOLOv8n with OpenVINO (one thread, the worker's default) and runs it;
- shared: each camera process letterboxes and sends uint8 frames over gRPC (tritonclient, as a worker with
  DETECTOR_URL does) to one ``cctv-detector`` (Triton, dynamic batching, OpenVINO with a dynamic batch).
Prints aggregate frames/s and the total resident memory of all processes on each side (the detector's
whole process tree: Python, tritonserver, the backend stub), and shared/in-process ratios.

YOLOv8n's architecture with random weights (no COCO weights can be downloaded here): the compute per
frame is that of the real yolov8n. Needs the detector environment (scripts/detector-venv).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "camera-worker"), str(REPO / "bench")]

from bench_worker import ENV, prepare_models  # noqa: E402

from support.detector import DetectorProcess, _children_of  # noqa: E402

CAMERA = r"""
import json, sys, time
import numpy as np
mode, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
frame = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
if mode == "local":
    from pathlib import Path
    from cctv_worker.detect.openvino_backend import OpenVinoDetector
    detector = OpenVinoDetector(Path(target), conf_floor=0.25, threads=1)
else:
    from cctv_worker.detect.remote import RemoteDetector
    detector = RemoteDetector(target, "yolov8", conf_floor=0.25, timeout=120)
detector.detect(frame)  # warm-up, and the model config for the remote one
print("ready", flush=True)
start = float(sys.stdin.readline())  # the same start for every camera
while time.time() < start:
    time.sleep(0.01)
frames = 0
while time.time() < start + seconds:
    detector.detect(frame)
    frames += 1
rss = int([l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]) * 1024
print(json.dumps({"frames": frames, "rss": rss}), flush=True)
"""


def rss_of(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) * 1024
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-batch", type=int, default=16)
    parser.add_argument("--queue-delay", type=float, default=0.01, help="seconds (DETECTOR_MAX_QUEUE_DELAY)")
    args = parser.parse_args()
    model = prepare_models()["openvino"]
    out = REPO / "bench" / "out" / "shared"
    out.mkdir(parents=True, exist_ok=True)

    local = measure("local", str(model), args.cameras, args.seconds, extra_pids=[])
    service = DetectorProcess(
        model,
        out / "detector.log",
        DETECTOR_MAX_BATCH=str(args.max_batch),
        DETECTOR_MAX_QUEUE_DELAY=str(args.queue_delay),
        INFERENCE_THREADS="0",
    ).start(timeout=300)
    try:
        assert service.proc is not None
        tree = [service.proc.pid, *_children_of(service.proc.pid)]
        shared = measure("remote", service.url, args.cameras, args.seconds, extra_pids=tree)
        batches = service.value("cctv_detector_batch_size_count", model="yolov8")
        frames = service.value("cctv_detector_batch_size_sum", model="yolov8")
    finally:
        service.stop()

    result = {
        "cameras": args.cameras,
        "seconds": args.seconds,
        "cpus": os.cpu_count(),
        "in_process": local,
        "shared": {**shared, "mean_batch": round(frames / batches, 2) if batches else None},
        "ratio_frames_per_s": round(shared["frames_per_s"] / local["frames_per_s"], 2),
        "ratio_memory": round(shared["rss_mb"] / local["rss_mb"], 2),
    }
    print(json.dumps(result, indent=2))


def measure(mode: str, target: str, cameras: int, seconds: float, extra_pids: list[int]) -> dict:
    """Starts the camera processes, waits until each has warmed up, then lets them all run ``seconds``."""
    procs = []
    for _ in range(cameras):
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", CAMERA, mode, target, str(seconds)],
                env={**ENV, "PYTHONPATH": str(REPO / "camera-worker")},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    start = time.time() + 1.0
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(f"{start}\n")
        proc.stdin.flush()
    time.sleep(1.0 + seconds / 2)
    server_rss = rss_of(extra_pids)  # mid-run, under load
    reports = [
        json.loads(proc.communicate(timeout=seconds + 300)[0].strip().splitlines()[-1]) for proc in procs
    ]
    frames = sum(r["frames"] for r in reports)
    rss = sum(r["rss"] for r in reports) + server_rss
    return {"frames_per_s": round(frames / seconds, 2), "rss_mb": round(rss / 2**20, 1),
            "server_rss_mb": round(server_rss / 2**20, 1)}  # fmt: skip


if __name__ == "__main__":
    main()
