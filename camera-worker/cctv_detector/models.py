"""Model runtimes that take a whole batch: ``(N, 3, S, S)`` float32 in, raw YOLOv8 output
``(N, 4 + classes, anchors)`` out. Each imports only its own runtime (the lean image has no torch).

- OpenVINO: the model is reshaped to a dynamic batch, so a batch is one inference (the CPU default).
- ONNX Runtime: one run per batch when the export has a dynamic batch axis, else one run per frame.
- ultralytics/PyTorch (``.pt``): the network itself on ``DETECTOR_DEVICE`` (``cuda`` with fp16 on a GPU).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np

from cctv_worker.detect.loader import ModelChoice, ModelError
from cctv_worker.detect.postprocess import parse_names


class BatchModel(Protocol):
    backend: str
    names: Mapping[int, str]
    imgsz: int

    def infer(self, blob: np.ndarray) -> np.ndarray: ...


class OpenVinoBatchModel:
    backend = "openvino"

    def __init__(self, path: Path, imgsz: int, threads: int, max_batch: int) -> None:
        import openvino as ov

        from cctv_worker.detect.openvino_backend import OpenVinoDetector, find_xml

        xml = find_xml(path)
        core = ov.Core()
        model = core.read_model(str(xml))
        shape = model.inputs[0].get_partial_shape()
        self.imgsz = shape[2].get_length() if shape[2].is_static else imgsz
        model.reshape(
            {model.inputs[0]: ov.PartialShape([ov.Dimension(1, max_batch), 3, self.imgsz, self.imgsz])}
        )
        # THROUGHPUT: one big request per batch should use every core the pod was given.
        config: dict[str, object] = {"PERFORMANCE_HINT": "THROUGHPUT"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self.compiled = core.compile_model(model, "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.names = parse_names(OpenVinoDetector._names(xml, model))

    def infer(self, blob: np.ndarray) -> np.ndarray:
        return np.array(self.request.infer([blob])[self.compiled.output(0)])


class OnnxBatchModel:
    backend = "onnxruntime"

    def __init__(self, path: Path, imgsz: int, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        self.names = parse_names(meta.get("names", "{}"))
        shape = self.session.get_inputs()[0].shape
        self.imgsz = shape[2] if isinstance(shape[2], int) else imgsz
        self.static_batch = isinstance(shape[0], int)  # ultralytics exports batch 1 unless dynamic=True
        self.input_name = self.session.get_inputs()[0].name

    def infer(self, blob: np.ndarray) -> np.ndarray:
        if not self.static_batch:
            return self.session.run(None, {self.input_name: blob})[0]
        return np.concatenate(
            [self.session.run(None, {self.input_name: blob[i : i + 1]})[0] for i in range(len(blob))]
        )


class TorchBatchModel:
    backend = "ultralytics"

    def __init__(self, path: Path, imgsz: int, threads: int, device: str, half: bool) -> None:
        import torch
        from ultralytics import YOLO

        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        self.device = torch.device(device)
        self.half = half and self.device.type == "cuda"  # fp16 on the CPU is slower, not faster
        yolo = YOLO(str(path), task="detect")
        self.names = {int(k): str(v) for k, v in yolo.model.names.items()}
        net = yolo.model.fuse() if hasattr(yolo.model, "fuse") else yolo.model
        net = net.to(self.device).eval()
        self.net = net.half() if self.half else net.float()
        self.imgsz = imgsz

    def infer(self, blob: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            x = torch.from_numpy(blob).to(self.device, non_blocking=True)
            x = x.half() if self.half else x
            out = self.net(x)
            preds = out[0] if isinstance(out, (tuple, list)) else out
            return preds.float().cpu().numpy()


def load_batch_model(
    choice: ModelChoice, *, imgsz: int, threads: int, max_batch: int, device: str, half: bool
) -> BatchModel:
    """Loads ``choice`` with its runtime; any failure is one ModelError naming the path."""
    try:
        if choice.backend == "openvino":
            return OpenVinoBatchModel(choice.path, imgsz, threads, max_batch)
        if choice.backend == "onnxruntime":
            return OnnxBatchModel(choice.path, imgsz, threads)
        if choice.backend == "ultralytics":
            return TorchBatchModel(choice.path, imgsz, threads, device, half)
    except ImportError as exc:
        raise ModelError(
            f"MODEL_PATH: {choice.path} needs the {choice.backend} backend, not installed here ({exc})"
        ) from None
    except ModelError:
        raise
    except Exception as exc:  # a bad file, a wrong device: the same thing to whoever deploys it
        raise ModelError(
            f"MODEL_PATH: cannot load {choice.path} with {choice.backend}: {type(exc).__name__}: {exc}"
        ) from None
    raise ModelError(f"DETECTOR_BACKEND: unknown backend {choice.backend!r}")
