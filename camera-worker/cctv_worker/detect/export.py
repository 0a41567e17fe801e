"""``cctv-worker export``: turns a YOLOv8 ``.pt`` into the lean formats the worker image runs
(ONNX for ONNX Runtime, an OpenVINO IR folder). Needs ultralytics (requirements/ml.txt)."""

from __future__ import annotations

from pathlib import Path


def export_model(model: Path, fmt: str, imgsz: int = 640) -> Path:
    if fmt not in ("onnx", "openvino"):
        raise ValueError(f"unknown format {fmt!r}: use onnx or openvino")
    if not model.is_file():
        raise FileNotFoundError(f"model file {model} does not exist")
    from ultralytics import YOLO

    # Static shape and no NMS in the graph: the worker's numpy post-processing expects raw outputs.
    out = YOLO(str(model), task="detect").export(format=fmt, imgsz=imgsz, dynamic=False, verbose=False)
    return Path(out)
