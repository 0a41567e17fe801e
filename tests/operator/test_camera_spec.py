"""A Camera's spec -> the checked model, or InvalidSpec with a message."""

from __future__ import annotations

import pytest

from cctv_operator.kube.camera_spec import (
    InvalidSpec,
    detection_from_spec,
    detection_to_spec,
    parse_camera_spec,
)
from cctv_operator.models import DetectionConfig, Zone

MINIMAL = {"cameraId": 3, "secretRef": {"name": "cam-3"}}


def test_minimal_spec_gets_the_worker_defaults():
    spec = parse_camera_spec(MINIMAL)
    assert spec.camera_id == 3 and spec.secret_ref.name == "cam-3"
    assert spec.detection == DetectionConfig()
    assert spec.paused is False and spec.model_path is None


def test_detection_block_round_trips():
    config = DetectionConfig(alert_types=("fire",), detect_fps=2.0, zones=(
        Zone(name="a", points=((0, 0), (1, 0), (1, 1)), intrusion=True),))
    assert detection_from_spec(detection_to_spec(config)) == config


INVALID = {
    "empty": {},
    "no camera id": {"secretRef": {"name": "x"}},
    "camera id zero": {**MINIMAL, "cameraId": 0},
    "no secret": {"cameraId": 3},
    "secret name with capitals": {**MINIMAL, "secretRef": {"name": "Cam"}},
    "unknown field": {**MINIMAL, "rtspUrl": "rtsp://x"},
    "unknown detection field": {**MINIMAL, "detection": {"fps": 3}},
    "bad zone": {**MINIMAL, "detection": {"zones": [{"name": "z", "points": [[0, 0]]}]}},
    "zone point not a pair": {**MINIMAL, "detection": {"zones": [{"name": "z", "points": [1, 2, 3]}]}},
    "threshold above one": {**MINIMAL, "detection": {"confidenceThreshold": 2}},
}


@pytest.mark.parametrize("spec", INVALID.values(), ids=INVALID.keys())
def test_invalid_spec_is_refused_with_a_message(spec):
    with pytest.raises(InvalidSpec) as error:
        parse_camera_spec(spec)
    assert str(error.value)
