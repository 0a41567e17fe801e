"""Shared memory between a worker and the shared detector on one node: would it pay? Measured in one run.

    python bench/bench_detector_shm.py [--requests 30]

The product does not use it: ``cctv-detector`` keeps Triton's shared-memory endpoints restricted (a client
that may register regions makes the server map them), and pods would need a shared /dev/shm. To measure
what it would save, this script starts the detector with that one restriction lifted (patched here, in the
bench's own launcher; the product is unchanged) and sends the same letterboxed uint8 frame (640x640x3,
1.2 MB) as a worker does: over gRPC as bytes (today) and through a POSIX shared-memory region registered
with Triton (the frame copied into the region, the request naming it). Prints the median time per request
of each, on OpenVINO YOLOv8n at 640 (random weights), and the ratio; the two are interleaved, one request
of each per round, because the machine is shared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "camera-worker"), str(REPO / "bench")]

import tritonclient.grpc as grpcclient  # noqa: E402
import tritonclient.utils.shared_memory as shm  # noqa: E402
from bench_worker import prepare_models  # noqa: E402

from cctv_worker.detect.protocol import INPUT_IMAGES  # noqa: E402
from support.detector import DetectorProcess  # noqa: E402

# The detector as `python -m cctv_detector` runs it, "shared-memory" dropped from the restricted endpoints.
LAUNCHER = """
import pytriton.triton as triton
original = triton.TritonSecurityConfig
def unrestricted(restricted_endpoints=(), **kwargs):
    return original(restricted_endpoints=[e for e in restricted_endpoints if e != "shared-memory"], **kwargs)
triton.TritonSecurityConfig = unrestricted
from cctv_detector.cli import main
raise SystemExit(main())
"""


class ShmDetector(DetectorProcess):
    launcher = ("-c", LAUNCHER)


def interleaved(calls: dict[str, object], count: int) -> dict[str, list[float]]:
    """Each call once per round, in turn, so that a busy neighbour slows both alike."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        call()  # warm
    for _ in range(count):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    model = prepare_models()["openvino"]
    service = ShmDetector(model, Path(tempfile.mkdtemp()) / "detector.log").start()
    frame = np.random.default_rng(0).integers(0, 255, (1, 640, 640, 3), dtype=np.uint8)
    client = grpcclient.InferenceServerClient(service.url.removeprefix("grpc://"))
    region = None
    try:

        def as_bytes() -> None:
            tensor = grpcclient.InferInput(INPUT_IMAGES, list(frame.shape), "UINT8")
            tensor.set_data_from_numpy(frame)
            client.infer(service.model_name, [tensor])

        region = shm.create_shared_memory_region("cctv-bench-frame", "/cctv-bench-frame", frame.nbytes)
        client.register_system_shared_memory("cctv-bench-frame", "/cctv-bench-frame", frame.nbytes)

        def through_shm() -> None:
            shm.set_shared_memory_region(region, [frame])  # the worker's copy into the region
            tensor = grpcclient.InferInput(INPUT_IMAGES, list(frame.shape), "UINT8")
            tensor.set_shared_memory("cctv-bench-frame", frame.nbytes)
            client.infer(service.model_name, [tensor])

        times = interleaved({"bytes": as_bytes, "shm": through_shm}, args.requests)
        grpc_ms, shm_ms = (statistics.median(times[name]) * 1000 for name in ("bytes", "shm"))
        saved = statistics.median(b - m for b, m in zip(times["bytes"], times["shm"], strict=True)) * 1000
        print(
            f"frame {frame.nbytes / 1e6:.2f} MB, {args.requests} rounds (one request of each, interleaved):"
        )
        print(f"  gRPC bytes (today):     median {grpc_ms:7.1f} ms per request")
        print(f"  system shared memory:   median {shm_ms:7.1f} ms per request")
        print(f"  ratio shm / gRPC bytes: {shm_ms / grpc_ms:7.3f}; median saving per request {saved:.1f} ms")
    finally:
        if region is not None:
            try:
                client.unregister_system_shared_memory("cctv-bench-frame")
            finally:
                shm.destroy_shared_memory_region(region)
        client.close()
        service.stop()


if __name__ == "__main__":
    main()
