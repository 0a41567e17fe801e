"""Property: any camera config the REST API accepts runs the same way on every path.

For every camera the API's serializer and the model's validators accept: its /api/active-cameras/ item
is accepted by the operator; the Camera resource the sync writes validates against the CRD's own schema
(as the API server would judge it); the Deployment built from that resource gives the worker an
environment its config accepts, with the camera's settings unchanged; and the local runtime gives the
worker the very same per-camera environment. No database: the model is checked with clean_fields()
and the serializers run on an unsaved camera.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jsonschema
import pytest
from camera_reference import crd_schema, reference_settings, reference_zone, strict_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cctv_operator.config import load_settings
from cctv_operator.detectors import UnknownDetector
from cctv_operator.kube.builders import camera_body, deployment_body, secret_body
from cctv_operator.kube.camera_spec import parse_camera_spec
from cctv_operator.runtimes.local.runtime import LocalRuntime
from cctv_operator.sync.answer import parse_answer
from cctv_worker.config import WorkerConfig
from cctv_worker.decisions.object_filters import ObjectFilter
from surveillance.cameras.serializers import ActiveCameraOutputSerializer, CameraInputSerializer
from surveillance.models import AlertType, Camera

REFERENCE = reference_settings()
REFERENCE_ZONE_POINTS = reference_zone()["points"].max_items
CAMERA_SCHEMA = strict_schema(crd_schema())
POOLS = {"gpu-a": "grpc://cctv-detector-gpu-a:8001", "cpu": "cctv-detector-cpu:8001", "d" * 63: "long:8001"}
OPERATOR = load_settings(
    {
        "DJANGO_API_URL": "http://backend:8000",
        "DJANGO_API_TOKEN": "operator-token",
        "WORKER_DETECTOR_URL": "grpc://cctv-detector-cpu:8001",
        "WORKER_DETECTOR_POOLS": json.dumps(POOLS),
    }
)
API_URL = OPERATOR.backend_url_for_workers


def _around(name: str, *, integer: bool = False) -> st.SearchStrategy:
    """Values inside the reference's bounds and a little outside them (the API must refuse those)."""
    low, high = REFERENCE[name].minimum, REFERENCE[name].maximum
    span = high - low
    if integer:
        return st.integers(min_value=int(low - 2), max_value=int(high + 2))
    return st.floats(min_value=low - span * 0.05, max_value=high + span * 0.05, allow_nan=False)


unit = st.floats(min_value=-0.05, max_value=1.05, allow_nan=False)
zone = st.fixed_dictionaries(
    {
        "name": st.text(min_size=0, max_size=101),
        "points": st.lists(st.lists(unit, min_size=2, max_size=2), min_size=2, max_size=66),
    },
    optional={"intrusion": st.booleans()},
)
mask = st.fixed_dictionaries(
    {
        "name": st.text(min_size=0, max_size=101),
        "points": st.lists(st.lists(unit, min_size=2, max_size=2), min_size=2, max_size=66),
    }
)
bound = st.floats(min_value=-0.05, max_value=1.05, allow_nan=False)
ratio = st.floats(min_value=-1, max_value=101, allow_nan=False)
object_filter = st.fixed_dictionaries(
    {},
    optional={
        "min_area": bound, "max_area": bound, "min_ratio": ratio, "max_ratio": ratio, "min_score": bound,
    },
)
camera_input = st.fixed_dictionaries(
    {"name": st.just("Camera"), "rtsp_url": st.just("rtsp://viewer:p%40ss@192.0.2.7:554/stream1")},
    optional={
        # The detection sub-stream: a credential, through the Secret (none, one, and a refused one).
        "detect_rtsp_url": st.sampled_from(["", "rtsp://viewer:s%40b@192.0.2.8:554/sub", "http://192.0.2.8/"]),
        "alert_types": st.lists(st.sampled_from(AlertType.values), max_size=8),
        "confidence_threshold": _around("confidence_threshold"),
        "frame_skip": _around("frame_skip", integer=True),
        "detect_fps": st.none() | _around("detect_fps"),
        "cooldown_seconds": _around("cooldown_seconds", integer=True),
        "min_box_area": _around("min_box_area"),
        "zones": st.lists(zone, max_size=34),
        "motion_masks": st.lists(mask, max_size=34),
        "forced_detect_interval": _around("forced_detect_interval"),
        "object_filters": st.dictionaries(
            st.sampled_from([*AlertType.values, "cat"]), object_filter, max_size=3
        ),
        # Known pools, "local", the default, a pool the operator does not know, and names the API refuses.
        "detector": st.sampled_from(["", "local", *POOLS, "gpu-b", "GPU", "-a", "a" * 64])
        | st.text(max_size=70),
        # recording (issue 23): the modes, and words the API refuses
        "record_mode": st.sampled_from(["events", "motion", "continuous", "off", "OFF", "always", ""]),
        "retain_continuous_days": _around("retain_continuous_days", integer=True),
        "retain_motion_days": _around("retain_motion_days", integer=True),
        "retain_events_days": _around("retain_events_days", integer=True),
    },
)


def _accepted_camera(data: dict) -> Camera | None:
    """The camera the API would store for `data`, or None where the API refuses it."""
    serializer = CameraInputSerializer(data=data)
    if not serializer.is_valid():
        return None
    camera = Camera(id=7, **serializer.validated_data)
    try:
        camera.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    except Exception:
        return None
    return camera


def _resolved_env(container: dict, secret: dict) -> dict[str, str]:
    """The container's environment as the kubelet hands it to the process (Secret keys resolved, the pod's
    own IP a stand-in address)."""
    env = {}
    for item in container["env"]:
        if item.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "status.podIP":
            env[item["name"]] = "10.1.2.3"
        elif "valueFrom" in item:
            ref = item["valueFrom"]["secretKeyRef"]
            if ref["key"] not in secret["data"] and ref.get("optional"):
                continue  # the kubelet leaves the variable unset
            env[item["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
        else:
            env[item["name"]] = item["value"]
    return env


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(camera_input)
def test_a_camera_the_api_accepts_runs_alike_on_kubernetes_and_locally(data: dict) -> None:
    camera = _accepted_camera(data)
    if camera is not None:  # else refused with a 400: nothing reaches a worker
        _runs_alike(camera)


def _edge(bound: str) -> dict:
    values = {name: getattr(REFERENCE[name], bound) for name in
              ("confidence_threshold", "frame_skip", "detect_fps", "cooldown_seconds", "min_box_area",
               "forced_detect_interval", "retain_continuous_days", "retain_motion_days",
              "retain_events_days")}
    corner = float(bound == "maximum")
    square = [[corner, corner], [1 - corner, corner], [1 - corner, 1 - corner], [corner, 1 - corner]]
    many = bound == "maximum"
    return {
        "name": "Camera",
        "rtsp_url": "rtsp://viewer:p%40ss@[2001:db8::7]:554/stream1",
        "detect_rtsp_url": "rtsp://viewer:s%40b@[2001:db8::7]:554/sub" if bound == "maximum" else "",
        "alert_types": list(AlertType.values) if many else [],
        "zones": [{"name": "z" * 100 if many else f"zone {index}",
                   "points": (square * 16)[: REFERENCE_ZONE_POINTS] if many else square[:3]}
                  for index in range(REFERENCE["zones"].max_items if many else 1)],
        "motion_masks": [{"name": f"{index:03d}" + "m" * 97 if many else "tree",
                          "points": (square * 16)[: REFERENCE_ZONE_POINTS] if many else square[:3]}
                         for index in range(REFERENCE["motion_masks"].max_items if many else 1)],
        "object_filters": {kind: {"min_area": corner, "max_area": corner, "min_ratio": 100 * corner,
                                  "max_ratio": 100 * corner, "min_score": corner}
                           for kind in (AlertType.values if many else ["person"])},
        "detector": "d" * REFERENCE["detector"].max_length if many else "",
        "record_mode": "continuous" if many else "off",
        **values,
    }


@pytest.mark.parametrize("bound", ["minimum", "maximum"])
def test_a_camera_at_every_bound_of_the_reference_runs_alike(bound: str) -> None:
    data = _edge(bound)
    if bound == "maximum":  # zone names must be unique
        data["zones"] = [
            {**zone, "name": f"{index:03d}" + "z" * 97} for index, zone in enumerate(data["zones"])
        ]
    camera = _accepted_camera(data)
    assert camera is not None, CameraInputSerializer(data=data).errors or "the model refused it"
    _runs_alike(camera)


def _runs_alike(camera: Camera) -> None:
    item = dict(ActiveCameraOutputSerializer(camera).data)
    answer = parse_answer([item])
    assert not answer.rejected, answer.rejected
    desired = answer.cameras[7]

    resource = camera_body(desired, "cctv")
    jsonschema.validate(resource, CAMERA_SCHEMA)  # the API server would store it
    secret = secret_body(desired, "cctv")

    spec = parse_camera_spec(resource["spec"])
    owner = {**resource, "metadata": {**resource["metadata"], "uid": "uid-7"}}
    if camera.detector not in ("", "local", *POOLS):
        # A pool this operator does not know: no worker is built (the Camera's status says why).
        with pytest.raises(UnknownDetector, match=camera.detector):
            deployment_body(owner=owner, spec=spec, settings=OPERATOR)
        return
    deployment = deployment_body(owner=owner, spec=spec, settings=OPERATOR)
    kube_env = _resolved_env(deployment["spec"]["template"]["spec"]["containers"][0], secret)

    config = WorkerConfig.from_env(kube_env)  # the worker starts
    assert config.camera_id == 7
    assert config.rtsp_url.get_secret_value() == camera.rtsp_url
    sub = config.detect_rtsp_url.get_secret_value() if config.detect_rtsp_url else ""
    assert sub == camera.detect_rtsp_url
    if camera.detect_rtsp_url:  # only in the Secret: neither in the Camera's spec nor in the pod's
        assert camera.detect_rtsp_url not in json.dumps(resource) + json.dumps(deployment)
    assert config.confidence_threshold == camera.confidence_threshold
    assert config.frame_skip == camera.frame_skip
    assert config.detect_fps == camera.detect_fps
    assert config.alert_cooldown == camera.cooldown_seconds
    assert config.min_box_area == camera.min_box_area
    assert config.alert_types == frozenset(camera.alert_types)
    assert [(z.name, [list(p) for p in z.points], z.intrusion) for z in config.zones] == [
        (z["name"], [list(p) for p in z["points"]], z["intrusion"]) for z in camera.zones
    ]
    assert [(m.name, [list(p) for p in m.points]) for m in config.motion_masks] == [
        (m["name"], [list(p) for p in m["points"]]) for m in camera.motion_masks
    ]
    assert config.forced_detect_interval == camera.forced_detect_interval
    assert config.detector == camera.detector
    assert config.record_mode == camera.record_mode
    assert (config.retain_continuous_days, config.retain_motion_days, config.retain_events_days) == (
        camera.retain_continuous_days, camera.retain_motion_days, camera.retain_events_days
    )
    defaults = {"": OPERATOR.worker_detector_url, "local": None}
    wanted_url = defaults.get(camera.detector) or POOLS.get(camera.detector)
    assert config.detector_url == wanted_url
    assert config.service_url == (None if camera.detector == "local" else wanted_url)
    assert config.object_filters == {  # an unset bound is the worker's "no limit"
        kind: ObjectFilter(**{key: value for key, value in bounds.items() if value is not None})
        for kind, bounds in camera.object_filters.items()
    }

    local = LocalRuntime(api_url=API_URL, data_dir=Path("/nonexistent"), base_env={})
    local_env = local.environment_for(desired)
    per_camera = {key: value for key, value in local_env.items() if key != "DATA_DIR"}
    # DETECTOR_URL: the operator's pools are the Kubernetes side's; the local product sets its own. The live
    # view's address: a pod serves on its own IP and fixed port, a local worker on loopback and a free port.
    runtime_own = {"METRICS_PORT", "DATA_DIR", "HOME", "YOLO_CONFIG_DIR", "MODEL_PATH", "DETECTOR_URL"}
    runtime_own |= {"LIVE_HOST", "LIVE_PORT", "LIVE_ADVERTISE_HOST"}
    assert per_camera == {key: value for key, value in kube_env.items() if key not in runtime_own}
