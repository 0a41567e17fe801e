"""Configuration from the environment: defaults, the seed's variables, and one clear error per bad value."""

from __future__ import annotations

import pytest

from cctv_worker.config import ConfigError, WorkerConfig, Zone

BASE = {
    "CAMERA_ID": "7",
    "RTSP_URL": "rtsp://admin:hunter2@cam.local/stream",
    "DJANGO_API_TOKEN": "cam_7_abc",
}


def load(**overrides: str) -> WorkerConfig:
    return WorkerConfig.from_env({**BASE, **overrides})


def error_for(**overrides: str) -> str:
    with pytest.raises(ConfigError) as exc:
        load(**overrides)
    return str(exc.value)


def test_defaults_match_the_seed_and_the_contract() -> None:
    config = load()
    assert config.model_path == "yolov8n.pt"
    assert config.confidence_threshold == 0.5
    assert config.frame_skip == 30
    assert config.stream_timeout == 10
    assert config.reconnect_delay == 2
    assert config.detect_fps is None
    assert config.alert_cooldown == 60
    assert config.min_box_area == 0
    assert config.heartbeat_interval == 15
    assert config.spool_max_messages == 1000
    assert config.metrics_port == 9100
    assert config.alert_types is None  # every type
    assert config.zones == ()
    assert config.effective_stall_timeout == 10


def test_every_documented_variable_is_read() -> None:
    config = load(
        DJANGO_API_URL="http://backend:8000/",
        MODEL_PATH="/models/y.onnx",
        CONFIDENCE_THRESHOLD="0.35",
        FRAME_SKIP="5",
        DETECT_FPS="2.5",
        STREAM_TIMEOUT="4",
        RECONNECT_DELAY="1",
        ALERT_TYPES="person, vehicle",
        ALERT_COOLDOWN="30",
        MIN_BOX_AREA="0.01",
        ALERT_CLASS_MAP="person=person,car=vehicle",
        ZONES='[{"name": "door", "points": [[0,0],[1,0],[1,1]], "intrusion": true}]',
        HEARTBEAT_INTERVAL="5",
        SPOOL_MAX_MESSAGES="10",
        DATA_DIR="/tmp/x",
        METRICS_PORT="9200",
        LOG_LEVEL="debug",
    )
    assert config.django_api_url == "http://backend:8000"
    assert config.model_path == "/models/y.onnx"
    assert config.confidence_threshold == 0.35
    assert config.frame_skip == 5
    assert config.detect_fps == 2.5
    assert config.alert_types == {"person", "vehicle"}
    assert config.alert_class_map == {"person": "person", "car": "vehicle"}
    assert config.zones == (Zone(name="door", points=((0, 0), (1, 0), (1, 1)), intrusion=True),)
    assert config.spool_path.name == "spool-camera-7.sqlite3"
    assert config.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CONFIDENCE_THRESHOLD", "1.5"),
        ("CONFIDENCE_THRESHOLD", "high"),
        ("FRAME_SKIP", "0"),
        ("DETECT_FPS", "-1"),
        ("STREAM_TIMEOUT", "0"),
        ("METRICS_PORT", "70000"),
        ("ALERT_TYPES", "person,dragon"),
        ("ALERT_CLASS_MAP", "person"),
        ("ALERT_CLASS_MAP", "person=unicorn"),
        ("ZONES", "[{"),
        ("ZONES", '[{"name": "a", "points": [[0,0],[2,0],[1,1]]}]'),
        ("ZONES", '[{"name": "a", "points": [[0,0],[1,1]]}]'),
        ("ZONES", '[{"name": "a", "points": [[0,0],[1,0],[1,1]], "intrusoin": true}]'),
        ("DJANGO_API_URL", "backend:8000"),
        ("LOG_LEVEL", "LOUD"),
        ("CLASS_CONFIDENCE", "person=2"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    message = error_for(**{variable: value})
    assert message.startswith("invalid worker configuration: ")
    assert variable in message


def test_a_missing_required_variable_is_named() -> None:
    with pytest.raises(ConfigError, match="CAMERA_ID is required"):
        WorkerConfig.from_env({"RTSP_URL": "x", "DJANGO_API_TOKEN": "t"})


def test_credentials_never_appear_in_error_messages() -> None:
    message = error_for(CAMERA_ID="zero", RTSP_URL="rtsp://admin:hunter2@cam/x", DJANGO_API_TOKEN="")
    assert "hunter2" not in message
    assert "DJANGO_API_TOKEN" in message
    assert "hunter2" not in repr(load())


def test_reconnect_cap_below_the_first_delay_is_refused() -> None:
    assert "RECONNECT_MAX_DELAY" in error_for(RECONNECT_DELAY="30", RECONNECT_MAX_DELAY="10")


def test_empty_optional_variables_mean_unset() -> None:
    config = load(DETECT_FPS="", ALERT_CLASS_MAP="", ZONES="", ALERT_TYPES="")
    assert config.detect_fps is None
    assert config.alert_class_map is None
    assert config.zones == ()
    assert config.alert_types is None  # every type


def test_alert_types_none_means_the_camera_raises_no_alerts() -> None:
    assert load(ALERT_TYPES="none").alert_types == frozenset()


def test_a_zone_without_intrusion_is_an_intrusion_zone_as_in_the_api() -> None:
    config = load(ZONES='[{"name": "door", "points": [[0, 0], [1, 0], [1, 1]]}]')
    assert config.zones[0].intrusion is True


@pytest.mark.parametrize(
    ("env", "service"),
    [
        ({}, None),
        ({"DETECTOR_URL": "grpc://d:8001"}, "grpc://d:8001"),
        ({"DETECTOR_URL": "grpc://d:8001", "DETECTOR": "gpu-a"}, "grpc://d:8001"),
        # The camera chose its own model: the shared detector scripts/run gives every worker is not used.
        ({"DETECTOR_URL": "grpc://d:8001", "DETECTOR": "local"}, None),
    ],
)
def test_the_cameras_detector_choice_decides_whether_the_service_is_called(env, service) -> None:
    assert load(**env).service_url == service


@pytest.mark.parametrize("value", ["GPU", "-a", "a_b", "a" * 64])
def test_a_detector_that_is_not_a_pool_name_is_refused(value) -> None:
    assert "DETECTOR" in error_for(DETECTOR=value)


def test_the_old_spool_variable_still_works_and_the_new_one_wins(caplog) -> None:
    assert load(SPOOL_MAX_ALERTS="10").spool_max_messages == 10
    assert "SPOOL_MAX_ALERTS is deprecated: set SPOOL_MAX_MESSAGES instead" in caplog.text
    assert load(SPOOL_MAX_ALERTS="10", SPOOL_MAX_MESSAGES="20").spool_max_messages == 20
