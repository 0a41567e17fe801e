"""ONNX Runtime backend for YOLOv8 models exported with ``cctv-worker export --format onnx``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from cctv_worker.detect.base import Detection, LocalModel
from cctv_worker.detect.postprocess import decode, letterbox, parse_names


class OnnxDetector(LocalModel):
    backend = "onnxruntime"

    def __init__(self, path: Path, conf_floor: float, imgsz: int = 640, threads: int = 0) -> None:
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        self.names = parse_names(meta.get("names", "{}"))
        shape = self.session.get_inputs()[0].shape
        # A static export fixes the input size; a dynamic one takes INFERENCE_SIZE.
        self.imgsz = shape[2] if isinstance(shape[2], int) else imgsz
        self.input_name = self.session.get_inputs()[0].name
        self.conf_floor = conf_floor

    def detect(self, image: np.ndarray) -> list[Detection]:
        blob, box = letterbox(image, self.imgsz)
        (output,) = self.session.run(None, {self.input_name: blob})[:1]
        return decode(output, box, self.names, self.conf_floor)
