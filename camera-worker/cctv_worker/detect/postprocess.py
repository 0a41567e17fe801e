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
    canvas, box = letterbox_uint8(image, size)
    return to_blob(canvas[None]), box


def to_blob(canvases: np.ndarray) -> np.ndarray:
    """``(N, S, S, 3)`` uint8 BGR letterboxed frames -> ``(N, 3, S, S)`` float32 RGB in 0..1."""
    return np.ascontiguousarray(canvases[..., ::-1].transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(
        255.0
    )


def letterbox_uint8(image: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """The letterboxed frame itself, ``(S, S, 3)`` uint8 BGR: what a worker sends the shared detector
    (4x smaller than the float32 blob; the service normalises)."""
    height, width = image.shape[:2]
    scale = min(size / width, size / height)
    new_w, new_h = round(width * scale), round(height * scale)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (size - new_w) / 2, (size - new_h) / 2
    top, left = round(pad_y - 0.1), round(pad_x - 0.1)
    canvas = np.full((size, size, 3), 114, dtype=np.uint8)
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas, Letterbox(scale, left, top, width, height)


def decode(
    output: np.ndarray,
    box: Letterbox,
    names: Mapping[int, str],
    conf_floor: float,
    iou_threshold: float = 0.45,
    max_detections: int = 300,
) -> list[Detection]:
    rows = nms_rows(output, len(names), conf_floor, iou_threshold, max_detections)
    return to_detections(rows, box, names)


def nms_rows(
    output: np.ndarray,
    num_classes: int,
    conf_floor: float,
    iou_threshold: float = 0.45,
    max_detections: int = 300,
) -> np.ndarray:
    """Raw YOLOv8 output of one frame -> ``(K, 6)`` float32 rows ``x1, y1, x2, y2, score, class`` in the
    letterboxed input's pixels, best first, after class-aware NMS. The shared detector sends these rows."""
    preds = np.asarray(output)
    if preds.ndim == 3:
        preds = preds[0]
    if preds.shape[0] != 4 + num_classes and preds.shape[1] == 4 + num_classes:
        preds = preds.T  # some exports are (anchors, 4 + classes)
    scores_all = preds[4:]
    classes = scores_all.argmax(axis=0)
    scores = scores_all[classes, np.arange(scores_all.shape[1])]
    keep = scores >= conf_floor
    if not keep.any():
        return np.zeros((0, 6), dtype=np.float32)
    cx, cy, w, h = preds[0][keep], preds[1][keep], preds[2][keep], preds[3][keep]
    scores, classes = scores[keep], classes[keep]
    x1, y1 = cx - w / 2, cy - h / 2
    rects = np.stack([x1, y1, w, h], axis=1)
    idx = cv2.dnn.NMSBoxesBatched(
        rects.tolist(), scores.tolist(), classes.tolist(), conf_floor, iou_threshold
    )
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)[:max_detections]
    return np.stack(
        [x1[idx], y1[idx], (x1 + w)[idx], (y1 + h)[idx], scores[idx], classes[idx].astype(np.float32)], axis=1
    ).astype(np.float32)


def to_detections(
    rows: np.ndarray, box: Letterbox, names: Mapping[int, str], conf_floor: float = 0.0
) -> list[Detection]:
    """Rows from ``nms_rows`` (letterboxed pixels) -> detections normalised to the original frame."""
    result: list[Detection] = []
    for x1, y1, x2, y2, score, cls in np.asarray(rows, dtype=np.float64).reshape(-1, 6):
        if score < conf_floor:
            continue
        label = int(cls)
        fx1, fx2 = (x1 - box.pad_x) / box.scale, (x2 - box.pad_x) / box.scale
        fy1, fy2 = (y1 - box.pad_y) / box.scale, (y2 - box.pad_y) / box.scale
        result.append(
            Detection(
                label=names.get(label, str(label)),
                confidence=float(score),
                box=(
                    float(np.clip(fx1 / box.width, 0, 1)),
                    float(np.clip(fy1 / box.height, 0, 1)),
                    float(np.clip(fx2 / box.width, 0, 1)),
                    float(np.clip(fy2 / box.height, 0, 1)),
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
