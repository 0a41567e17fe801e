"""The command line: export for the lean backends, check-config, and the default-model fallback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cctv_worker.cli import main


@pytest.mark.slow
def test_export_writes_an_onnx_model_the_worker_can_load(tmp_path: Path, random_pt: Path, capsys) -> None:
    model = tmp_path / "m.pt"
    shutil.copy(random_pt, model)
    assert main(["export", "--model", str(model), "--format", "onnx"]) == 0
    out = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert out == tmp_path / "m.onnx" and out.stat().st_size > 1_000_000


def test_export_of_a_missing_model_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["export", "--model", str(tmp_path / "nope.pt"), "--format", "openvino"]) == 2
    assert "nope.pt does not exist" in capsys.readouterr().err


def test_export_rejects_unknown_formats() -> None:
    with pytest.raises(SystemExit):
        main(["export", "--model", "x.pt", "--format", "tflite"])


@pytest.mark.slow
def test_check_config_with_the_default_model_falls_back_with_one_log_line(tmp_path: Path) -> None:
    env = {**os.environ, "CAMERA_ID": "3", "RTSP_URL": "rtsp://u:p@127.0.0.1:1/x",
           "DJANGO_API_TOKEN": "cam_3_x", "LOG_FORMAT": "text"}  # fmt: skip
    env.pop("MODEL_PATH", None)
    done = subprocess.run([sys.executable, "-m", "cctv_worker", "check-config"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    fallback_lines = [line for line in done.stderr.splitlines() if "yolov8n.pt not found" in line]
    assert len(fallback_lines) == 1
    assert "fall_detection/models/best" in fallback_lines[0]
    assert "model loaded" in done.stderr


def test_a_camera_that_chose_local_infers_in_process_even_with_a_shared_detector_given(
    person_onnx: Path,
) -> None:
    """`scripts/run --shared-detector` gives every worker DETECTOR_URL; DETECTOR=local keeps the camera's own
    model (no client to the service is made, so nothing is sent there)."""
    from cctv_worker.cli import _detector
    from cctv_worker.config import WorkerConfig
    from cctv_worker.detect.failover import FailoverDetector

    base = {
        "RTSP_URL": "x",
        "DJANGO_API_TOKEN": "t",
        "CAMERA_ID": "1",
        "MODEL_PATH": str(person_onnx),
        "DETECTOR_URL": "grpc://127.0.0.1:1",
    }
    local, _ = _detector(WorkerConfig.from_env({**base, "DETECTOR": "local"}))
    assert not isinstance(local, FailoverDetector) and local.backend == "onnxruntime"
    shared, _ = _detector(WorkerConfig.from_env({**base, "DETECTOR": "cpu"}))
    assert isinstance(shared, FailoverDetector) and shared.remote.url.endswith("127.0.0.1:1")
