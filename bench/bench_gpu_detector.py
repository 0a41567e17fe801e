"""The shared detector on a GPU: frames/s through the service at batch 1..256, and with 16, 64 and 256
concurrent camera clients (each sends one frame, waits for the answer, sends the next, as a worker does).

    scripts/detector-venv --torch            # ultralytics + torch (CUDA wheels) in the detector environment
    python bench/bench_gpu_detector.py [--model yolov8n.pt] [--seconds 20] [--device cuda]

Needs a CUDA GPU; prints the GPU's name (nvidia-smi) with the figures. Goal (issue 16): >= 4,000 frames/s of
YOLOv8n at 640 through one service on one H200-class GPU with 64+ clients. Without --model: YOLOv8n's
architecture with random weights (the same compute). Client processes hold no GPU memory (checked).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "camera-worker"), str(REPO / "bench")]

from bench_worker import ENV, prepare_models  # noqa: E402

from support.detector import DetectorProcess  # noqa: E402

# One client process drives `threads` concurrent cameras (gRPC releases the GIL while waiting).
CLIENT = r"""
import json, sys, threading, time
import numpy as np
import tritonclient.grpc as g
url, threads, seconds, batch = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
frames = np.random.default_rng(0).integers(0, 255, (batch, 640, 640, 3), dtype=np.uint8)
counts = []
def camera():
    client = g.InferenceServerClient(url)
    tensor = g.InferInput("images", list(frames.shape), "UINT8")
    tensor.set_data_from_numpy(frames)
    client.infer("yolov8", [tensor], client_timeout=120)  # warm-up
    n, end = 0, time.time() + seconds
    while time.time() < end:
        client.infer("yolov8", [tensor], client_timeout=120)
        n += batch
    counts.append(n)
ts = [threading.Thread(target=camera) for _ in range(threads)]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps({"frames": sum(counts)}))
"""


def drive(url: str, clients: int, seconds: float, batch: int) -> float:
    per_process = 16
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, url, str(min(per_process, clients - i)), str(seconds), str(batch)],
            env=ENV,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(0, clients, per_process)
    ]
    frames = sum(
        json.loads(p.communicate(timeout=seconds + 600)[0].strip().splitlines()[-1])["frames"] for p in procs
    )
    return round(frames / seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    if shutil.which("nvidia-smi") is None:
        sys.exit("bench_gpu_detector: needs a CUDA GPU (no nvidia-smi here)")
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                         capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    model = args.model or prepare_models()["ultralytics"]
    out = REPO / "bench" / "out" / "gpu"
    out.mkdir(parents=True, exist_ok=True)
    service = DetectorProcess(
        model,
        out / "detector.log",
        DETECTOR_DEVICE=args.device,
        DETECTOR_MAX_BATCH="256",
        DETECTOR_MAX_QUEUE_DELAY="0.002",
        DETECTOR_CONFIDENCE_FLOOR="0.25",
    )
    service.start(timeout=600)
    address = service.url.removeprefix("grpc://")
    try:
        started = time.time()
        by_batch = {b: drive(address, 1, args.seconds, b) for b in (1, 2, 4, 8, 16, 32, 64, 128, 256)}
        by_clients = {c: drive(address, c, args.seconds, 1) for c in (16, 64, 256)}
        mean_batch = service.value("cctv_detector_batch_size_sum", model="yolov8") / max(
            1.0, service.value("cctv_detector_batch_size_count", model="yolov8")
        )
    finally:
        service.stop()
    print(json.dumps({
        "gpu": gpu, "model": str(model), "device": args.device, "fp16": True,
        "frames_per_s_one_client_at_batch": by_batch,
        "frames_per_s_with_concurrent_clients_at_batch_1": by_clients,
        "mean_batch_formed": round(mean_batch, 1), "wall_seconds": round(time.time() - started),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
