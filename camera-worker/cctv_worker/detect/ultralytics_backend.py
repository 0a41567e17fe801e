"""The ultralytics backend for ``.pt`` models (the design card's path; pulls in torch, ~1.2 GB RSS)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cctv_worker.detect.base import Detection, LocalModel


class UltralyticsDetector(LocalModel):
    backend = "ultralytics"

    def __init__(self, path: Path, conf_floor: float, imgsz: int = 640, threads: int = 0) -> None:
        import torch
        from ultralytics import YOLO

        if threads:
            torch.set_num_threads(threads)
        self.model = YOLO(str(path), task="detect")
        self.names = {int(k): str(v) for k, v in self.model.names.items()}
        self.imgsz = imgsz
        self.conf_floor = conf_floor

    def detect(self, image: np.ndarray) -> list[Detection]:
        result = self.model.predict(image, conf=self.conf_floor, imgsz=self.imgsz, verbose=False)[0]
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return []
        xyxyn = boxes.xyxyn.cpu().numpy()
        confs = boxes.conf.cpu().numpy()
        classes = boxes.cls.cpu().numpy().astype(int)
        return [
            Detection(
                label=self.names.get(int(c), str(int(c))),
                confidence=float(p),
                box=(float(b[0]), float(b[1]), float(b[2]), float(b[3])),
            )
            for b, p, c in zip(xyxyn, confs, classes, strict=True)
        ]
