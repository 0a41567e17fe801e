"""Pre- and post-processing for exported YOLOv8 detection models (pure numpy + cv2, no torch).

The ONNX Runtime and OpenVINO backends share it: letterbox to a square input, then decode the
``(1, 4 + classes, anchors)`` output (centre-x, centre-y, w, h, class scores) with class-aware NMS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from cctv_worker.detect.base import Detection


@dataclass(frozen=True, slots=True)
class Letterbox:
    scale: float
    pad_x: float
    pad_y: float
    width: int  # original frame size
    height: int


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """Resizes keeping the aspect ratio, pads with grey (114) like ultralytics, returns NCHW float32 RGB."""
    height, width = image.shape[:2]
    scale = min(size / width, size / height)
    new_w, new_h = round(width * scale), round(height * scale)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (size - new_w) / 2, (size - new_h) / 2
    top, left = round(pad_y - 0.1), round(pad_x - 0.1)
    canvas = np.full((size, size, 3), 114, dtype=np.uint8)
    canvas[top : top + new_h, left : left + new_w] = resized
    blob = cv2.dnn.blobFromImage(canvas, 1.0 / 255.0, swapRB=True)  # HWC BGR -> NCHW RGB float32
    return blob, Letterbox(scale, left, top, width, height)


def decode(
    output: np.ndarray,
    box: Letterbox,
    names: Mapping[int, str],
    conf_floor: float,
    iou_threshold: float = 0.45,
    max_detections: int = 300,
) -> list[Detection]:
    preds = np.asarray(output)
    if preds.ndim == 3:
        preds = preds[0]
    if preds.shape[0] != 4 + len(names) and preds.shape[1] == 4 + len(names):
        preds = preds.T  # some exports are (anchors, 4 + classes)
    scores_all = preds[4:]
    classes = scores_all.argmax(axis=0)
    scores = scores_all[classes, np.arange(scores_all.shape[1])]
    keep = scores >= conf_floor
    if not keep.any():
        return []
    cx, cy, w, h = preds[0][keep], preds[1][keep], preds[2][keep], preds[3][keep]
    scores, classes = scores[keep], classes[keep]
    x1 = (cx - w / 2 - box.pad_x) / box.scale
    y1 = (cy - h / 2 - box.pad_y) / box.scale
    rects = np.stack([x1, y1, w / box.scale, h / box.scale], axis=1)
    idx = cv2.dnn.NMSBoxesBatched(
        rects.tolist(), scores.tolist(), classes.tolist(), conf_floor, iou_threshold
    )
    result: list[Detection] = []
    for i in np.asarray(idx).reshape(-1)[:max_detections]:
        x, y, bw, bh = rects[i]
        result.append(
            Detection(
                label=names.get(int(classes[i]), str(int(classes[i]))),
                confidence=float(scores[i]),
                box=(
                    float(np.clip(x / box.width, 0, 1)),
                    float(np.clip(y / box.height, 0, 1)),
                    float(np.clip((x + bw) / box.width, 0, 1)),
                    float(np.clip((y + bh) / box.height, 0, 1)),
                ),
            )
        )
    return result


def parse_names(raw: object) -> dict[int, str]:
    """Class names as ultralytics stores them in export metadata: a dict, or its ``repr`` string."""
    import ast

    if isinstance(raw, str):
        raw = ast.literal_eval(raw)
    if isinstance(raw, list):
        raw = dict(enumerate(raw))
    if not isinstance(raw, dict) or not raw:
        raise ValueError("the model carries no class names")
    return {int(k): str(v) for k, v in raw.items()}
