"""The one environment builder both runtimes use: camera settings -> worker variables. Pure."""

from __future__ import annotations

import json

from cctv_operator.models import DetectionConfig, Zone
from cctv_operator.worker_env import DETECTION_VARIABLES, SECRET_VARIABLES, worker_environment


def _env(**detection) -> dict[str, str]:
    return worker_environment(camera_id=4, detection=DetectionConfig(**detection), api_url="http://b:8000",
                              rtsp_url="rtsp://u:p@cam/1", ingest_token="cam_4_x")


def test_every_setting_becomes_its_worker_variable():
    env = _env(alert_types=("fire", "smoke"), confidence_threshold=0.35, frame_skip=5, detect_fps=2.5,
               cooldown_seconds=90, min_box_area=0.01,
               zones=(Zone(name="door", points=((0, 0), (1, 0), (1, 1)), intrusion=False),))
    assert env["ALERT_TYPES"] == "fire,smoke"
    assert (env["CONFIDENCE_THRESHOLD"], env["FRAME_SKIP"], env["DETECT_FPS"]) == ("0.35", "5", "2.5")
    assert (env["ALERT_COOLDOWN"], env["MIN_BOX_AREA"]) == ("90", "0.01")
    zone = {"name": "door", "points": [[0, 0], [1, 0], [1, 1]], "intrusion": False, "exclusive": True}
    assert json.loads(env["ZONES"]) == [zone]
    assert set(DETECTION_VARIABLES.values()) - {"DETECT_FPS"} <= set(env)


def test_no_alert_types_is_spelled_none_because_an_empty_variable_means_every_type():
    assert _env(alert_types=())["ALERT_TYPES"] == "none"


def test_an_unset_detect_fps_is_left_out_and_no_zones_is_an_empty_list():
    env = _env()
    assert "DETECT_FPS" not in env
    assert env["ZONES"] == "[]"


def test_the_camera_and_its_credentials_are_named_as_the_worker_reads_them():
    env = _env()
    assert (env["CAMERA_ID"], env["DJANGO_API_URL"]) == ("4", "http://b:8000")
    assert {name: env[name] for name in SECRET_VARIABLES if name in env} == {
        "RTSP_URL": "rtsp://u:p@cam/1", "DJANGO_API_TOKEN": "cam_4_x"}
    assert "DETECT_RTSP_URL" not in env  # no sub-stream: the worker detects on RTSP_URL


def test_a_sub_stream_is_handed_over_as_its_own_secret_variable():
    env = worker_environment(camera_id=4, detection=DetectionConfig(), api_url="http://b:8000",
                             rtsp_url="rtsp://u:p@cam/1", ingest_token="cam_4_x",
                             detect_rtsp_url="rtsp://u:p@cam/2")
    assert env["DETECT_RTSP_URL"] == "rtsp://u:p@cam/2"
    assert "DETECT_RTSP_URL" in SECRET_VARIABLES
