"""desired vs actual -> create / update / delete."""

from __future__ import annotations

from cctv_operator.models import DesiredCamera, DetectionConfig
from cctv_operator.sync.plan import plan_sync


def camera(camera_id: int, **detection) -> DesiredCamera:
    return DesiredCamera(id=camera_id, rtsp_url=f"rtsp://h/{camera_id}", ingest_token="t",
                         detection=DetectionConfig(**detection))


def test_missing_cameras_are_created_in_id_order():
    plan = plan_sync({2: camera(2), 1: camera(1)}, {})
    assert [c.id for c in plan.create] == [1, 2]
    assert plan.update == () and plan.delete == ()


def test_changed_cameras_are_updated_and_unchanged_ones_are_left_alone():
    plan = plan_sync({1: camera(1), 2: camera(2, frame_skip=5)}, {1: camera(1), 2: camera(2)})
    assert [c.id for c in plan.update] == [2]
    assert plan.create == () and plan.delete == ()


def test_cameras_no_longer_desired_are_deleted():
    assert plan_sync({1: camera(1)}, {1: camera(1), 3: camera(3)}).delete == (3,)


def test_identical_state_gives_an_empty_plan():
    state = {i: camera(i) for i in range(1, 50)}
    assert plan_sync(state, dict(state)).empty


def test_kept_cameras_are_neither_created_updated_nor_deleted():
    plan = plan_sync({2: camera(2, frame_skip=5), 3: camera(3)}, {1: camera(1), 2: camera(2)}, keep={1, 2, 3})
    assert plan.empty
