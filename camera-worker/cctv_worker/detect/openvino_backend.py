"""OpenVINO backend for YOLOv8 models exported with ``cctv-worker export --format openvino``
(the fastest CPU path measured here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
import yaml

from cctv_worker.detect.base import Detection, LocalModel
from cctv_worker.detect.postprocess import decode, letterbox, parse_names


def find_xml(path: Path) -> Path:
    """Accepts the ``.xml`` itself or the ``*_openvino_model/`` folder ultralytics writes."""
    if path.is_dir():
        xmls = sorted(path.glob("*.xml"))
        if len(xmls) != 1:
            raise FileNotFoundError(f"expected exactly one .xml model in {path}, found {len(xmls)}")
        return xmls[0]
    return path


class OpenVinoDetector(LocalModel):
    backend = "openvino"

    def __init__(self, path: Path, conf_floor: float, imgsz: int = 640, threads: int = 0) -> None:
        xml = find_xml(path)
        core = ov.Core()
        model = core.read_model(str(xml))
        config: dict[str, object] = {"PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self.compiled = core.compile_model(model, "CPU", config)
        self.names = parse_names(self._names(xml, model))
        shape = model.inputs[0].get_partial_shape()
        self.imgsz = shape[2].get_length() if shape[2].is_static else imgsz
        self.conf_floor = conf_floor

    @staticmethod
    def _names(xml: Path, model: ov.Model) -> object:
        metadata = xml.parent / "metadata.yaml"
        if metadata.is_file():
            return yaml.safe_load(metadata.read_text(encoding="utf-8")).get("names")
        if model.has_rt_info(["model_info", "labels"]):  # ultralytics also stores them here
            return model.get_rt_info(["model_info", "labels"]).astype(str).split()
        return None

    def detect(self, image: np.ndarray) -> list[Detection]:
        blob, box = letterbox(image, self.imgsz)
        output = self.compiled([blob])[self.compiled.output(0)]
        return decode(output, box, self.names, self.conf_floor)
