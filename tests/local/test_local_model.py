from pathlib import Path

import pytest

from cctv_local.model import BUNDLED_CLASS_MAP, worker_model_env


def test_an_explicit_model_path_is_passed_to_the_workers_unchanged(tmp_path):
    model = tmp_path / "fire.onnx"
    model.write_bytes(b"not really a model: the worker validates it")
    assert worker_model_env(str(model), models_dir=tmp_path / "models") == {"MODEL_PATH": str(model)}
    assert not (tmp_path / "models").exists()


def test_a_missing_explicit_model_is_left_for_the_worker_to_report(tmp_path):
    env = worker_model_env(str(tmp_path / "missing.pt"), models_dir=tmp_path / "models")
    assert env == {"MODEL_PATH": str(tmp_path / "missing.pt")}


@pytest.mark.slow
def test_without_yolov8n_the_bundled_detector_is_exported_once_to_openvino(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no yolov8n.pt here
    models = tmp_path / "models"
    env = worker_model_env("yolov8n.pt", models_dir=models)
    assert env == {"MODEL_PATH": str(models / "person_openvino_model"), "ALERT_CLASS_MAP": BUNDLED_CLASS_MAP}
    xml = Path(env["MODEL_PATH"]) / "person.xml"
    assert xml.stat().st_size > 0
    written = xml.stat().st_mtime_ns
    assert worker_model_env("yolov8n.pt", models_dir=models) == env
    assert xml.stat().st_mtime_ns == written  # the second start reuses the export
