"""Operator settings from the environment: defaults, and one clear message for bad values."""

from __future__ import annotations

import pytest

from cctv_operator.config import ConfigError, PullPolicy, load_settings

REQUIRED = {"DJANGO_API_URL": "http://backend:8000", "DJANGO_API_TOKEN": "service-token"}


def test_defaults_are_the_documented_ones():
    settings = load_settings(REQUIRED)
    assert settings.poll_interval == 3.0
    assert settings.watch_namespace == "" and settings.clusterwide
    assert settings.target_namespace == "default"
    assert settings.worker_image_pull_policy is PullPolicy.IF_NOT_PRESENT
    assert settings.backend_url_for_workers == "http://backend:8000"
    assert settings.worker_model_path == "yolov8n.pt"
    assert (settings.operator_metrics_port, settings.operator_health_port) == (9101, 8080)
    assert settings.reconcile_interval == 60.0


def test_a_watched_namespace_is_where_cameras_go():
    settings = load_settings({**REQUIRED, "WATCH_NAMESPACE": "cctv"})
    assert not settings.clusterwide and settings.target_namespace == "cctv"


def test_json_settings_are_parsed():
    settings = load_settings({**REQUIRED, "WORKER_NODE_SELECTOR": '{"gpu": "yes"}',
                              "WORKER_TOLERATIONS": '[{"key": "gpu", "operator": "Exists"}]',
                              "WORKER_RESOURCES": '{"limits": {"nvidia.com/gpu": 1}}'})
    assert settings.worker_node_selector == {"gpu": "yes"}
    assert settings.worker_tolerations == [{"key": "gpu", "operator": "Exists"}]
    assert settings.worker_resources == {"limits": {"nvidia.com/gpu": 1}}


def test_empty_variables_fall_back_to_defaults():
    assert load_settings({**REQUIRED, "POLL_INTERVAL": ""}).poll_interval == 3.0


BAD = {
    "DJANGO_API_URL": "not a url",
    "POLL_INTERVAL": "-1",
    "WORKER_IMAGE_PULL_POLICY": "Sometimes",
    "WORKER_RESOURCES": "{not json",
    "WORKER_TOLERATIONS": '[{"kee": "typo"}]',
    "WORKER_NODE_SELECTOR": '["a list"]',
    "OPERATOR_METRICS_PORT": "70000",
    "LOG_LEVEL": "LOUD",
}


@pytest.mark.parametrize(("variable", "value"), BAD.items(), ids=BAD.keys())
def test_bad_value_stops_start_up_naming_the_variable(variable, value):
    with pytest.raises(ConfigError, match=f"^invalid operator configuration: {variable}: "):
        load_settings({**REQUIRED, variable: value})


def test_missing_required_settings_are_named_together():
    with pytest.raises(ConfigError) as error:
        load_settings({})
    assert "DJANGO_API_URL: required but not set" in str(error.value)
    assert "DJANGO_API_TOKEN: required but not set" in str(error.value)


def test_camera_namespace_other_than_the_watched_one_is_refused():
    with pytest.raises(ConfigError, match="CAMERA_NAMESPACE must equal WATCH_NAMESPACE"):
        load_settings({**REQUIRED, "WATCH_NAMESPACE": "a", "CAMERA_NAMESPACE": "b"})


def test_token_is_not_shown_in_the_settings_repr():
    assert "service-token" not in repr(load_settings(REQUIRED))
