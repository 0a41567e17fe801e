"""Event clips benchmark: what recording clips costs one camera, how big clips are, how soon they arrive.

    python bench/bench_clips.py [--window 45] [--fps 10] [--max-length 15]

In one run, over the real RTSP server (the demo footage vtest.avi, 768x576 H.264, one keyframe a second,
looped, so people are always in view), the real person detector (ONNX Runtime, 2 detections a second),
a whole ``cctv-worker`` process per configuration, against the worker's backend test double
(tests/worker/backend_double.py: real HTTP, it stores alerts, event updates and clips in memory):

- ``off``: CLIPS_ENABLED=false; ``on``: CLIPS_ENABLED=true (the default), same footage and settings.
  Prints CPU % of one core and RSS of each, and the ratios on / off.
- Events are split at EVENT_MAX_LENGTH (``--max-length``), so that several events end inside the window.
  For each clip stored by the backend: its bytes per minute of event (``ended_at - started_at``) and per
  minute of clip (pre-roll + event + post-roll), and the seconds from the event's end (``ended_at``) to
  the clip stored in the backend, decoded here as a check that it plays (PyAV). That time includes
  POST_ROLL (the clip goes on that long after the event) by design.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "camera-worker"), str(REPO / "bench")]

from bench_worker import ENV, OUT, scrape  # noqa: E402

from support.backend import stop_process  # noqa: E402

PRE_ROLL, POST_ROLL = 5.0, 5.0  # the documented defaults


def person_onnx() -> Path:
    """The person detector the worker tests use (exported once, cached with the tests' models)."""
    from worker.conftest import _cached, _export

    from cctv_worker.detect.loader import fallback_weights

    return _cached("person.onnx", lambda d: _export(fallback_weights(), "onnx", d))


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class ClipWatcher:
    """Notes the wall time at which each clip appears in the backend (polled every 0.1 s)."""

    def __init__(self, backend) -> None:
        self.backend, self.arrived, self._stop = backend, {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ClipWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for key in list(self.backend.clips):
                self.arrived.setdefault(key, time.time())


def clip_seconds(body: bytes) -> float:
    """Decodes every frame (a clip that does not decode raises): the clip's duration in seconds."""
    import av

    with av.open(io.BytesIO(body)) as clip:
        stream = clip.streams.video[0]
        times = [float(f.time) for f in clip.decode(stream) if f.time is not None]
    return max(times) - min(times) + 1 / float(stream.average_rate or 10)


def run_worker(rtsp_url: str, model: Path, backend, clips: bool, args) -> dict:
    import psutil

    from support.net import free_port

    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="bench-clips-"))
    env = {**ENV, "CAMERA_ID": "1", "RTSP_URL": rtsp_url, "DJANGO_API_URL": backend.url,
           "DJANGO_API_TOKEN": backend.token, "MODEL_PATH": str(model), "METRICS_PORT": str(port),
           "METRICS_HOST": "127.0.0.1", "DATA_DIR": str(scratch), "LOG_LEVEL": "WARNING",
           "ALERT_CLASS_MAP": "Normal=person,Fall=person", "ALERT_COOLDOWN": "0", "DETECT_FPS": "2",
           "INFERENCE_THREADS": "1", "EVENT_MAX_LENGTH": str(args.max_length), "PRE_ROLL": str(PRE_ROLL),
           "POST_ROLL": str(POST_ROLL), "RETRY_MAX_DELAY": "1",
           "CLIPS_ENABLED": "true" if clips else "false"}  # fmt: skip
    with (scratch / "worker.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cctv_worker"], env=env, stdout=log, stderr=log)
    try:
        ps = psutil.Process(proc.pid)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and scrape(port, "cctv_frames_inferred_total") < 3:
            if proc.poll() is not None:
                raise SystemExit((scratch / "worker.log").read_text())
            time.sleep(0.5)
        time.sleep(3)  # past start-up (model load, first frames)
        times = ps.cpu_times()
        cpu0, t0 = times.user + times.system, time.monotonic()
        rss = []
        while time.monotonic() - t0 < args.window:
            time.sleep(1)
            rss.append(ps.memory_info().rss)
        times = ps.cpu_times()
        cpu1, t1 = times.user + times.system, time.monotonic()
        return {
            "clips": clips,
            "cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
            "rss_mib": round(statistics.median(rss) / 2**20, 1),
            "frames_read_per_s": round(scrape(port, "cctv_frames_read_total") / (t1 - t0 + 3), 1),
            "clips_recorded": scrape(port, "cctv_clips_recorded_total"),
            "stopped_at": time.time(),  # clips of events closed by the shutdown are not counted
        }
    finally:
        stop_process(proc, timeout=30)


def clip_figures(backend, arrived: dict, stopped_at: float) -> list[dict]:
    rows = []
    for (key, segment), body in sorted(backend.clips.items(), key=lambda kv: arrived.get(kv[0], 0)):
        event = backend.event(key)
        if not event.get("ended_at") or arrived.get((key, segment), stopped_at) >= stopped_at:
            continue
        started, ended = ts(event["started_at"]), ts(event["ended_at"])
        seconds = clip_seconds(body)
        rows.append({
            "event_s": round(ended - started, 1),
            "clip_s": round(seconds, 1),
            "bytes": len(body),
            "mib_per_event_minute": round(len(body) / 2**20 / ((ended - started) / 60), 2),
            "mib_per_clip_minute": round(len(body) / 2**20 / (seconds / 60), 2),
            "end_to_stored_s": round(arrived[(key, segment)] - ended, 2),
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, default=45.0, help="seconds measured per configuration")
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--max-length", type=float, default=15.0, help="EVENT_MAX_LENGTH (>= 10)")
    args = parser.parse_args()

    from worker.backend_double import AlertBackend

    from support.footage import vtest_avi
    from support.rtsp_server import start_rtsp_server

    model = person_onnx()
    OUT.mkdir(parents=True, exist_ok=True)
    source = vtest_avi(OUT)
    results: dict[str, dict] = {}
    clips: list[dict] = []
    with start_rtsp_server(source, fps=args.fps, size=(768, 576), loop=True, shared=True) as server:
        for name, enabled in (("off", False), ("on", True)):
            backend = AlertBackend().start()
            try:
                with ClipWatcher(backend) as watcher:
                    results[name] = run_worker(server.url, model, backend, enabled, args)
                if enabled:
                    clips = clip_figures(backend, watcher.arrived, results[name].pop("stopped_at"))
                else:
                    results[name].pop("stopped_at")
            finally:
                backend.stop()
            print(json.dumps({"config": name, **results[name]}), flush=True)
    for row in clips:
        print(json.dumps({"clip": row}), flush=True)

    off, on = results["off"], results["on"]
    print(
        f"\nclips cost, one camera: vtest.avi 768x576 H.264 at {args.fps} fps over RTSP, person "
        f"detector (ONNX, 2 detections/s), {args.window:.0f} s windows, "
        f"EVENT_MAX_LENGTH={args.max_length:.0f} s"
    )
    print("| | CLIPS_ENABLED=false | CLIPS_ENABLED=true | on / off | extra |")
    print("|---|---|---|---|---|")
    rows = (("CPU (% of one core)", "cpu_percent", "points"), ("RSS (MiB, median)", "rss_mib", "MiB"))
    for label, k, unit in rows:
        print(f"| {label} | {off[k]} | {on[k]} | {on[k] / off[k]:.2f} | {on[k] - off[k]:+.1f} {unit} |")
    if not clips:
        print("no clip stored in the window: lengthen --window")
        return
    med = lambda k: statistics.median(r[k] for r in clips)  # noqa: E731
    print(
        f"clips stored and decoded: {len(clips)}; MiB per minute of event (median) "
        f"{med('mib_per_event_minute'):.1f}, per minute of clip incl. {PRE_ROLL:.0f}+{POST_ROLL:.0f} s rolls "
        f"{med('mib_per_clip_minute'):.1f}"
    )
    latencies = sorted(r["end_to_stored_s"] for r in clips)
    print(
        f"event end to clip stored in the backend: median {statistics.median(latencies):.1f} s, "
        f"max {latencies[-1]:.1f} s (includes POST_ROLL={POST_ROLL:.0f} s)"
    )


if __name__ == "__main__":
    main()
