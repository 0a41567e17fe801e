"""Pure builders: what the sync writes, how it reads it back, and when the config hash moves."""

from __future__ import annotations

import base64
import copy
import json

from operator_backend import camera_payload, desired_cameras

from cctv_operator.config import load_settings
from cctv_operator.kube import builders
from cctv_operator.kube.camera_spec import parse_camera_spec

SETTINGS = load_settings({"DJANGO_API_URL": "http://b:8000", "DJANGO_API_TOKEN": "t"})


def desired(**changes):
    return desired_cameras([camera_payload(9, **changes)])[9]


def as_returned(body):
    """What the API server gives back: the same body plus server-set metadata."""
    returned = copy.deepcopy(body)
    returned["metadata"].update(uid="u-1", resourceVersion="7", generation=1)
    return returned


def deployment(camera, settings=SETTINGS, **spec_changes):
    body = as_returned(builders.camera_body(camera, "cctv"))
    body["spec"].update(spec_changes)
    rendered = builders.deployment_body(owner=body, spec=parse_camera_spec(body["spec"]), settings=settings)
    builders.with_config_hash(rendered, body["spec"], builders.secret_data(camera))
    return rendered


def config_hash(rendered):
    return rendered["spec"]["template"]["metadata"]["annotations"]["cctv.io/config-hash"]


def test_camera_and_secret_read_back_as_the_same_desired_camera():
    for camera in (desired(), desired(detect_fps=3.5, zones=[], alert_types=[]), desired(name="Ünïcode ✓")):
        body = as_returned(builders.camera_body(camera, "cctv"))
        secret = as_returned(builders.secret_body(camera, "cctv"))
        assert builders.desired_from_objects(body, secret) == camera


def test_camera_without_its_secret_cannot_be_read_back():
    body = as_returned(builders.camera_body(desired(), "cctv"))
    assert builders.desired_from_objects(body, None) is None
    assert builders.desired_from_objects(body, {"data": {"rtsp-url": "%%%"}}) is None


def test_secret_change_shows_on_the_camera_as_an_annotation():
    a = builders.camera_body(desired(), "cctv")
    b = builders.camera_body(desired(ingest_token="cam_9_new"), "cctv")
    assert a["spec"] == b["spec"]
    assert a["metadata"]["annotations"] != b["metadata"]["annotations"]


def test_config_hash_is_stable_for_the_same_input():
    assert config_hash(deployment(desired())) == config_hash(deployment(desired()))


def test_config_hash_moves_with_the_spec_the_secret_and_the_worker_settings():
    base = config_hash(deployment(desired()))
    assert config_hash(deployment(desired(frame_skip=5))) != base
    assert config_hash(deployment(desired(rtsp_url="rtsp://other/stream"))) != base
    other_image = load_settings({"DJANGO_API_URL": "http://b:8000", "DJANGO_API_TOKEN": "t",
                                 "WORKER_IMAGE": "w:2"})
    assert config_hash(deployment(desired(), settings=other_image)) != base


def test_paused_camera_runs_no_replica():
    assert deployment(desired(), paused=True)["spec"]["replicas"] == 0


def test_pod_is_hardened():
    pod = deployment(desired())["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/data" in mounts
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["DATA_DIR"] == "/data"


def test_pod_is_scraped_by_prometheus_on_the_worker_port():
    annotations = deployment(desired())["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "9100"


def test_camera_spec_overrides_the_operator_defaults():
    rendered = deployment(desired(), modelPath="custom.onnx", resources={"limits": {"memory": "1Gi"}},
                          nodeSelector={"zone": "a"})
    container = rendered["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "MODEL_PATH", "value": "custom.onnx"} in container["env"]
    assert container["resources"] == {"limits": {"memory": "1Gi"}}
    assert rendered["spec"]["template"]["spec"]["nodeSelector"] == {"zone": "a"}


SUB = "rtsp://viewer:subsecret@192.0.2.9:554/sub"


def test_a_sub_stream_is_a_secret_key_and_an_optional_reference_never_a_value():
    with_sub, without = desired(detect_rtsp_url=SUB), desired()
    assert builders.secret_data(with_sub)["detect-rtsp-url"] == base64.b64encode(SUB.encode()).decode()
    assert "detect-rtsp-url" not in builders.secret_data(without)
    for camera in (with_sub, without):
        rendered = deployment(camera)
        env = {item["name"]: item for item in rendered["spec"]["template"]["spec"]["containers"][0]["env"]}
        ref = {"secretKeyRef": {"name": "camera-9", "key": "detect-rtsp-url", "optional": True}}
        assert env["DETECT_RTSP_URL"] == {"name": "DETECT_RTSP_URL", "valueFrom": ref}
        assert "subsecret" not in json.dumps(rendered)
        assert "subsecret" not in json.dumps(builders.camera_body(camera, "cctv"))
        body = as_returned(builders.camera_body(camera, "cctv"))
        secret = as_returned(builders.secret_body(camera, "cctv"))
        assert builders.desired_from_objects(body, secret) == camera
    # Adding or changing the sub-stream rolls the pod (the Secret is in the config hash).
    assert config_hash(deployment(with_sub)) != config_hash(deployment(without))
    assert "subsecret" not in repr(with_sub)


def test_an_empty_sub_stream_in_the_answer_means_none():
    assert desired(detect_rtsp_url="").detect_rtsp_url is None
    assert desired().detect_rtsp_url is None  # an older backend sends no such key
