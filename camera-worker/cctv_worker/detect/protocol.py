"""The shared detector's tensors (contract: docs/contracts.md, "Shared detector"): one definition used by
the service (``cctv_detector``) and by the worker's client (``detect.remote``). Pure: numpy only.

A request carries letterboxed frames as uint8, a reply the detections after NMS, padded to a fixed row
count so that frames of one batch have one shape. A stock Triton serving the same names and shapes (for
example a TensorRT engine behind an ensemble) is a drop-in replacement; the workers do not change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np

DEFAULT_MODEL_NAME = "yolov8"

# [batch, S, S, 3] uint8: a frame letterboxed to the model's input size, BGR as OpenCV decodes it.
INPUT_IMAGES = "images"
# [batch, MAX_DETECTIONS, 6] float32: x1, y1, x2, y2 (letterboxed pixels), score, class; best first.
OUTPUT_DETECTIONS = "detections"
# [batch, 1] int32: how many rows of OUTPUT_DETECTIONS are real.
OUTPUT_COUNT = "num_detections"
MAX_DETECTIONS = 300

# Model config parameter holding the class names as a JSON object {"0": "person", ...}; a stock Triton
# sets it in config.pbtxt (parameters { key: "names" value { string_value: "..." } }).
NAMES_PARAMETER = "names"


def pack(rows_per_frame: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame ``(K, 6)`` rows -> the two padded output tensors of one batch."""
    detections = np.zeros((len(rows_per_frame), MAX_DETECTIONS, 6), dtype=np.float32)
    counts = np.zeros((len(rows_per_frame), 1), dtype=np.int32)
    for i, rows in enumerate(rows_per_frame):
        n = min(len(rows), MAX_DETECTIONS)
        detections[i, :n] = rows[:n]
        counts[i, 0] = n
    return detections, counts


def unpack(detections: np.ndarray, counts: np.ndarray, index: int = 0) -> np.ndarray:
    """The real rows of frame ``index`` of a reply."""
    n = int(np.asarray(counts).reshape(-1)[index])
    if not 0 <= n <= detections.shape[1]:
        raise ValueError(f"{OUTPUT_COUNT} is {n}, outside 0..{detections.shape[1]}")
    return detections[index, :n]


def names_to_json(names: Mapping[int, str]) -> str:
    return json.dumps({str(k): v for k, v in sorted(names.items())})


def names_from_json(raw: str) -> dict[int, str]:
    parsed = json.loads(raw)
    if not isinstance(parsed, dict) or not parsed:
        raise ValueError(f"the {NAMES_PARAMETER!r} parameter must be a non-empty JSON object")
    return {int(k): str(v) for k, v in parsed.items()}


def service_address(url: str) -> str:
    """``grpc://host:8001`` or ``host:8001`` -> ``host:8001`` (tritonclient's form); ValueError otherwise."""
    address = url.strip().removeprefix("grpc://").rstrip("/")
    host, sep, port = address.rpartition(":")
    if "://" in address or not sep or not host or not port.isdigit():
        raise ValueError(f"expected grpc://host:port or host:port (the service's gRPC port), got {url!r}")
    return address
