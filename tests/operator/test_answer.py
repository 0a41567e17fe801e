"""The backend's answer -> desired cameras; anything doubtful refuses the whole answer."""

from __future__ import annotations

import pytest
from operator_backend import camera_payload, desired_cameras

from cctv_operator.models import AlertType, Zone
from cctv_operator.sync.answer import MAX_CAMERAS, InvalidAnswer, parse_answer


def test_answer_of_the_contract_becomes_desired_cameras_by_id():
    cameras = desired_cameras([camera_payload(1), camera_payload(2, detect_fps=5)])
    assert set(cameras) == {1, 2}
    one = cameras[1]
    assert one.rtsp_url.startswith("rtsp://viewer:secret@")
    assert one.ingest_token == "cam_1_token0001"
    assert one.detection.alert_types == (AlertType.PERSON, AlertType.VEHICLE, AlertType.INTRUSION)
    driveway = Zone(name="driveway", points=((0.1, 0.2), (0.9, 0.2), (0.9, 0.9)), intrusion=True)
    assert one.detection.zones == (driveway,)
    assert cameras[2].detection.detect_fps == 5.0


def test_empty_list_is_a_valid_answer_meaning_no_active_cameras():
    assert desired_cameras([]) == {}


def test_unknown_fields_are_ignored_so_the_backend_may_grow_its_answer():
    assert 1 in desired_cameras([camera_payload(1, owner="alice", stream_state="up")])


def test_same_answer_twice_gives_equal_and_hashable_cameras():
    first, second = desired_cameras([camera_payload(1)]), desired_cameras([camera_payload(1)])
    assert first == second
    assert hash(first[1]) == hash(second[1])
    assert first[1] != desired_cameras([camera_payload(1, frame_skip=10)])[1]


def test_credentials_never_appear_in_the_repr():
    camera = desired_cameras([camera_payload(1)])[1]
    assert "secret" not in repr(camera) and "token0001" not in repr(camera)


MALFORMED = {
    "an object instead of a list": {"results": []},
    "null": None,
    "a string": "cameras",
    "an item that is not an object": [camera_payload(1), 7],
    "an id that is a string": [{**camera_payload(1), "id": "1"}],
    "an id that is a boolean": [{**camera_payload(1), "id": True}],
    "an id of zero": [camera_payload(0)],
    "a missing rtsp_url": [{k: v for k, v in camera_payload(1).items() if k != "rtsp_url"}],
    "an empty ingest token": [camera_payload(1, ingest_token="")],
    "an unknown alert type": [camera_payload(1, alert_types=["ufo"])],
    "a confidence above 1": [camera_payload(1, confidence_threshold=1.5)],
    "a frame skip of 0": [camera_payload(1, frame_skip=0)],
    "a zone with two points": [camera_payload(1, zones=[{"name": "z", "points": [[0, 0], [1, 1]]}])],
    "a zone point outside the frame": [
        camera_payload(1, zones=[{"name": "z", "points": [[0, 0], [2, 0], [1, 1]]}])
    ],
    "a duplicate id": [camera_payload(1), camera_payload(1)],
}


@pytest.mark.parametrize("payload", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_answer_is_refused_with_a_clear_error(payload):
    with pytest.raises(InvalidAnswer) as error:
        desired_cameras(payload)
    assert str(error.value)


def test_refusal_says_which_item_and_field_is_wrong():
    with pytest.raises(InvalidAnswer, match=r"item 1 \(id 2\): .*confidence_threshold"):
        desired_cameras([camera_payload(1), camera_payload(2, confidence_threshold=-1)])


def test_runaway_answer_is_refused():
    with pytest.raises(InvalidAnswer, match="limit"):
        desired_cameras([{}] * (MAX_CAMERAS + 1))


STRUCTURAL = ["an object instead of a list", "null", "a string", "an item that is not an object",
              "an id that is a string", "an id that is a boolean", "an id of zero", "a duplicate id"]


@pytest.mark.parametrize("case", STRUCTURAL)
def test_doubtful_list_is_refused_as_a_whole(case):
    with pytest.raises(InvalidAnswer):
        parse_answer(MALFORMED[case])


@pytest.mark.parametrize("case", sorted(set(MALFORMED) - set(STRUCTURAL)))
def test_camera_with_bad_settings_is_rejected_alone_and_the_others_are_kept(case):
    [bad] = MALFORMED[case]
    answer = parse_answer([camera_payload(7), bad])
    assert set(answer.cameras) == {7}
    assert set(answer.rejected) == {1} and answer.rejected[1]
