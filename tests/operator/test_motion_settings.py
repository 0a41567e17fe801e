"""The motion gate and object filter settings travel from the backend's answer to the worker: the
Camera resource (valid against the CRD's schema), the Deployment's environment and the local runtime's
environment, which the worker's own config accepts."""

from __future__ import annotations

import copy

import jsonschema
import pytest
import yaml
from charts.test_camera_crd import SOURCE_CRD, _strict

from cctv_operator.config import load_settings
from cctv_operator.kube import builders
from cctv_operator.kube.camera_spec import parse_camera_spec
from cctv_operator.sync.answer import parse_answer
from cctv_operator.worker_env import worker_environment
from cctv_worker.config import WorkerConfig
from cctv_worker.decisions.object_filters import ObjectFilter


def as_returned(body):
    """What the API server gives back: the same body plus server-set metadata."""
    returned = copy.deepcopy(body)
    returned["metadata"].update(uid="u-1", resourceVersion="7", generation=1)
    return returned


SETTINGS = load_settings({"DJANGO_API_URL": "http://b:8000", "DJANGO_API_TOKEN": "t"})
ANSWER = [{
    "id": 7, "name": "Yard", "rtsp_url": "rtsp://u:p@cam/1", "ingest_token": "cam_7_x",
    "motion_masks": [{"name": "tree", "points": [[0, 0], [0.3, 0], [0.3, 0.4]]}],
    "forced_detect_interval": 8.0,
    "object_filters": {"person": {"min_area": 0.001, "max_ratio": 1.5, "min_score": 0.6},
                       "vehicle": {"min_area": 0.01}},
}]  # fmt: skip


def test_the_settings_reach_the_camera_resource_and_read_back_the_same() -> None:
    camera = parse_answer(ANSWER).cameras[7]
    body = as_returned(builders.camera_body(camera, "cctv"))
    detection = body["spec"]["detection"]
    assert detection["motionMasks"] == ANSWER[0]["motion_masks"]
    assert detection["forcedDetectInterval"] == 8.0
    assert detection["objectFilters"]["person"] == {"minArea": 0.001, "maxRatio": 1.5, "minScore": 0.6}
    assert parse_camera_spec(body["spec"]).detection == camera.detection


def test_the_camera_resource_is_valid_against_the_crd_and_a_bad_filter_is_not() -> None:
    crd = yaml.safe_load(SOURCE_CRD.read_text())
    schema = _strict(next(v for v in crd["spec"]["versions"] if v["storage"])["schema"]["openAPIV3Schema"])
    body = builders.camera_body(parse_answer(ANSWER).cameras[7], "cctv")
    jsonschema.validate(body, schema)
    for key, value in (("minScore", 2), ("minSize", 0.1)):
        bad = copy.deepcopy(body)
        bad["spec"]["detection"]["objectFilters"]["person"][key] = value
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_both_runtimes_give_the_worker_an_environment_it_accepts() -> None:
    camera = parse_answer(ANSWER).cameras[7]
    body = as_returned(builders.camera_body(camera, "cctv"))
    rendered = builders.deployment_body(owner=body, spec=parse_camera_spec(body["spec"]), settings=SETTINGS)
    [container] = rendered["spec"]["template"]["spec"]["containers"]
    kube_env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    local_env = worker_environment(  # what the local runtime starts a worker process with
        camera_id=camera.id, detection=camera.detection, api_url="http://b:8000",
        rtsp_url=camera.rtsp_url, ingest_token=camera.ingest_token,
    )
    for env in (kube_env, local_env):
        config = WorkerConfig.from_env({**env, "RTSP_URL": "rtsp://cam/1", "DJANGO_API_TOKEN": "t"})
        assert config.forced_detect_interval == 8.0
        assert [m.points for m in config.motion_masks] == [((0.0, 0.0), (0.3, 0.0), (0.3, 0.4))]
        assert config.object_filters == {
            "person": ObjectFilter(min_area=0.001, max_ratio=1.5, min_score=0.6),
            "vehicle": ObjectFilter(min_area=0.01),
        }
    assert {k: kube_env[k] for k in ("MOTION_MASKS", "FORCED_DETECT_INTERVAL", "OBJECT_FILTERS")} == {
        k: local_env[k] for k in ("MOTION_MASKS", "FORCED_DETECT_INTERVAL", "OBJECT_FILTERS")
    }
