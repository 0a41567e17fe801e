"""Camera worker benchmark: what one camera costs.

    python bench/bench_worker.py [--frames 30] [--window 20] [--skip-stream]

Prints, per detector backend (ultralytics on .pt, ONNX Runtime, OpenVINO), for YOLOv8n at 640:
- ms per frame (median and p90 of ``--frames`` 1280x720 frames after warm-up) and the RSS of a process
  that loaded only that backend (each measured in its own subprocess, so RSS is honest);
- CPU% (of one core) and RSS of a whole ``cctv-worker`` process on a 1280x720 30 fps RTSP stream at the
  default detect rate (FRAME_SKIP=30: one analysed frame per second), over ``--window`` seconds;
- CPU% of a worker whose camera is unreachable.

The weights are YOLOv8n's architecture with random weights (no COCO weights can be downloaded here):
the compute per frame is the same as the real yolov8n. Models are cached in bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "worker"
sys.path[:0] = [str(REPO / "tests"), str(REPO / "camera-worker")]
from support.backend import stop_process  # noqa: E402

ENV = {
    **os.environ,
    "YOLO_OFFLINE": "1",
    "YOLO_AUTOINSTALL": "False",
    "YOLO_CONFIG_DIR": str(OUT / "yolo-config"),
    "OPENCV_LOG_LEVEL": "ERROR",
}


# ---------------------------------------------------------------- models


def prepare_models() -> dict[str, Path]:
    models = {"ultralytics": OUT / "yolov8n.pt", "onnxruntime": OUT / "yolov8n.onnx",
              "openvino": OUT / "yolov8n_openvino_model"}  # fmt: skip
    if all(p.exists() for p in models.values()):
        return models
    OUT.mkdir(parents=True, exist_ok=True)
    code = f"""
from ultralytics import YOLO
from ultralytics.utils import ROOT, YAML
from cctv_worker.detect.export import export_model
from pathlib import Path
model = YOLO("yolov8n.yaml")
model.model.names = YAML.load(ROOT / "cfg" / "datasets" / "coco.yaml")["names"]
model.save({str(models["ultralytics"])!r})
for fmt in ("onnx", "openvino"):
    export_model(Path({str(models["ultralytics"])!r}), fmt)
"""
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True, capture_output=True)
    return models


# ---------------------------------------------------------------- inference, one backend per process


def infer_child(model: str, frames: int, threads: int) -> None:
    """Runs in a subprocess: load one backend, time ``frames`` detections, print JSON."""
    import cv2
    import psutil

    from cctv_worker.detect.loader import choose_model, load_detector
    from support.footage import bus_jpg

    detector = load_detector(
        choose_model(model, is_default=False), conf_floor=0.25, imgsz=640, threads=threads
    )
    frame = cv2.resize(cv2.imread(str(bus_jpg())), (1280, 720))
    for _ in range(3):
        detector.detect(frame)
    times = []
    for _ in range(frames):
        started = time.perf_counter()
        detector.detect(frame)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(json.dumps({
        "backend": detector.backend,
        "threads": threads or "all",
        "ms_median": statistics.median(times),
        "ms_p90": times[int(0.9 * (len(times) - 1))],
        "rss_mb": psutil.Process().memory_info().rss / 2**20,
        "torch_loaded": "torch" in sys.modules,
    }))  # fmt: skip


def bench_inference(models: dict[str, Path], frames: int) -> list[dict]:
    rows = []
    for path in models.values():
        for threads in (1, 0):
            out = subprocess.run(
                [sys.executable, __file__, "--infer", str(path), "--frames", str(frames),
                 "--threads", str(threads)],
                env=ENV, capture_output=True, text=True, check=True,
            )  # fmt: skip
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


# ---------------------------------------------------------------- whole worker processes


def scrape(port: int, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    return 0.0


def run_worker(rtsp_url: str, model: Path, backend_url: str, token: str, window: float) -> dict:
    import psutil

    from support.net import free_port

    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    env = {**ENV, "CAMERA_ID": "1", "RTSP_URL": rtsp_url, "DJANGO_API_URL": backend_url,
           "DJANGO_API_TOKEN": token, "MODEL_PATH": str(model), "METRICS_PORT": str(port),
           "METRICS_HOST": "127.0.0.1", "DATA_DIR": str(scratch), "LOG_LEVEL": "WARNING"}  # fmt: skip
    with (scratch / "worker.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cctv_worker"], env=env, stdout=log, stderr=log)
    try:
        ps = psutil.Process(proc.pid)
        deadline = time.monotonic() + 60
        # Warm-up: connected and at least one frame analysed (or, for a dead camera, a few attempts).
        while time.monotonic() < deadline:
            if (
                scrape(port, "cctv_frames_inferred_total") >= 2
                or scrape(port, "cctv_stream_reconnects_total") >= 2
            ):
                break
            time.sleep(0.5)
        cpu0, inferred0, wall0 = ps.cpu_times(), scrape(port, "cctv_frames_inferred_total"), time.monotonic()
        time.sleep(window)  # the measurement window itself
        cpu1, inferred1, wall1 = ps.cpu_times(), scrape(port, "cctv_frames_inferred_total"), time.monotonic()
        used = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
        return {
            "cpu_percent": 100 * used / (wall1 - wall0),
            "rss_mb": ps.memory_info().rss / 2**20,
            "inferred_per_s": (inferred1 - inferred0) / (wall1 - wall0),
            "stream_fps": scrape(port, "cctv_stream_fps"),
        }
    finally:
        stop_process(proc, timeout=30)


def bench_stream(models: dict[str, Path], window: float) -> tuple[list[dict], dict]:
    from worker.backend_double import AlertBackend

    from support.footage import vtest_avi
    from support.net import free_port
    from support.rtsp_server import start_rtsp_server

    backend = AlertBackend().start()
    rows = []
    try:
        source = vtest_avi(OUT)  # pedestrians, 80 s: long enough for warm-up plus the window
        for name, path in models.items():
            with start_rtsp_server(source, fps=30, size=(1280, 720)) as server:
                rows.append(
                    {"backend": name, **run_worker(server.url, path, backend.url, backend.token, window)}
                )
        dead_url = f"rtsp://127.0.0.1:{free_port()}/gone"
        dead = run_worker(dead_url, models["openvino"], backend.url, backend.token, window)
    finally:
        backend.stop()
    return rows, dead


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument("--infer", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.infer:
        infer_child(args.infer, args.frames, args.threads)
        return
    cpus = os.cpu_count()
    print(f"camera worker benchmark: YOLOv8n at 640, {cpus} CPUs, Python {sys.version.split()[0]}")
    models = prepare_models()
    print("\n1) Detector alone, one 1280x720 frame at a time, each backend in its own process")
    print(
        f"{'backend':<13}{'threads':>8}{'ms/frame (median)':>19}{'p90':>8}{'RSS MB':>9}{'torch loaded':>14}"
    )
    for row in bench_inference(models, args.frames):
        print(f"{row['backend']:<13}{row['threads']!s:>8}{row['ms_median']:>19.1f}{row['ms_p90']:>8.1f}"
              f"{row['rss_mb']:>9.0f}{row['torch_loaded']!s:>14}")  # fmt: skip
    if args.skip_stream:
        return
    print(
        "\n2) Whole worker (defaults: FRAME_SKIP=30, INFERENCE_THREADS=1) on a 1280x720 30 fps RTSP stream,"
        f" {args.window:.0f} s window"
    )
    rows, dead = bench_stream(models, args.window)
    print(f"{'backend':<13}{'CPU % (1 core)':>16}{'RSS MB':>9}{'analysed/s':>12}{'stream fps':>12}")
    for row in rows:
        print(f"{row['backend']:<13}{row['cpu_percent']:>16.1f}{row['rss_mb']:>9.0f}"
              f"{row['inferred_per_s']:>12.2f}{row['stream_fps']:>12.1f}")  # fmt: skip
    print("\n3) Worker whose camera is unreachable (connection refused, backoff up to 60 s), openvino")
    print(f"{'CPU % (1 core)':>16}{'RSS MB':>9}")
    print(f"{dead['cpu_percent']:>16.2f}{dead['rss_mb']:>9.0f}")


if __name__ == "__main__":
    main()
