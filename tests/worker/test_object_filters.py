"""Object filters per alert type: area, aspect ratio, and the score over a track's life."""

from __future__ import annotations

import pytest

from cctv_worker.config import ConfigError, WorkerConfig, Zone
from cctv_worker.decisions.alert_types import COCO_CLASS_MAP
from cctv_worker.decisions.events import Change, EventLogic
from cctv_worker.decisions.filters import Rules, classify
from cctv_worker.decisions.object_filters import ObjectFilter, aspect_ratio, track_score

from .helpers import det, moved

PERSON = (0.40, 0.40, 0.45, 0.70)  # 0.05 x 0.30 of a 16:9 frame: 0.3 wide per tall in pixels
WIDE_16_9 = 16 / 9


def kept(detections, frame_aspect: float = WIDE_16_9, **filters: ObjectFilter) -> list:
    rules = Rules(class_map=COCO_CLASS_MAP, confidence=0.3, object_filters=filters)
    return [c.detection for c in classify(detections, rules, frame_aspect=frame_aspect)]


def test_min_area_drops_boxes_too_small_for_the_type() -> None:
    tiny = det(box=(0.5, 0.5, 0.51, 0.52))  # 0.0002 of the frame
    person = det(box=PERSON)  # 0.015
    assert kept([tiny, person], person=ObjectFilter(min_area=0.001)) == [person]


def test_max_area_drops_boxes_too_large_for_the_type() -> None:
    bug_on_the_lens = det(box=(0.0, 0.0, 0.9, 1.0))
    person = det(box=PERSON)
    assert kept([bug_on_the_lens, person], person=ObjectFilter(max_area=0.5)) == [person]


def test_min_ratio_drops_boxes_too_narrow() -> None:
    pole = det(box=(0.5, 0.1, 0.505, 0.9))  # 0.005 wide, 0.8 tall: ratio 0.011 in pixels
    person = det(box=PERSON)
    assert kept([pole, person], person=ObjectFilter(min_ratio=0.2)) == [person]


def test_max_ratio_drops_boxes_too_wide_and_is_measured_in_pixels() -> None:
    lying = det(box=(0.3, 0.6, 0.6, 0.7))  # 0.3 x 0.1 normalised: 3 wide per tall on a square frame
    person = det(box=PERSON)
    assert aspect_ratio(lying, 1.0) == pytest.approx(3.0)
    assert aspect_ratio(lying, WIDE_16_9) == pytest.approx(5.333, rel=1e-3)
    assert kept([lying, person], person=ObjectFilter(max_ratio=1.0)) == [person]
    assert kept([lying], frame_aspect=1.0, person=ObjectFilter(max_ratio=4.0)) == [lying]
    assert kept([lying], frame_aspect=WIDE_16_9, person=ObjectFilter(max_ratio=4.0)) == []


def test_a_filter_applies_to_its_own_type_only() -> None:
    small_car = det("car", box=(0.5, 0.5, 0.51, 0.52))
    small_person = det("person", box=(0.5, 0.5, 0.51, 0.52))
    assert kept([small_car, small_person], vehicle=ObjectFilter(min_area=0.01)) == [small_person]


def test_an_intrusion_keeps_its_objects_filter_and_gets_the_intrusion_filter_too() -> None:
    yard = Zone(name="yard", points=((0, 0), (1, 0), (1, 1), (0, 1)), intrusion=True)
    rules = Rules(class_map=COCO_CLASS_MAP, zones=[yard],
                  object_filters={"person": ObjectFilter(min_area=0.01, min_score=0.6),
                                  "intrusion": ObjectFilter(max_area=0.1, min_score=0.7)})  # fmt: skip
    tiny, person, huge = det(box=(0.5, 0.5, 0.51, 0.52)), det(box=PERSON), det(box=(0.1, 0.1, 0.9, 0.9))
    found = classify([tiny, person, huge], rules, frame_aspect=WIDE_16_9)
    assert [(c.detection, c.alert_type) for c in found] == [(person, "intrusion")]
    assert found[0].min_score == 0.7  # the stricter of the two


def test_the_track_score_is_a_zero_padded_median() -> None:
    assert track_score([0.95]) == 0.0  # one lucky frame scores nothing
    assert track_score([0.95, 0.7]) == 0.7
    assert track_score([0.9, 0.2, 0.8]) == 0.8
    assert track_score([0.1] * 20 + [0.9] * 3) == 0.1  # the last ten count


def opened(result) -> list[str]:
    return [c.event.alert_type for c in result.changes if c.change is Change.OPENED]


def test_a_one_frame_false_detection_does_not_open_an_event() -> None:
    rules = Rules(class_map=COCO_CLASS_MAP, object_filters={"person": ObjectFilter(min_score=0.6)})
    logic = EventLogic(cooldown=0, max_age=3)
    ghost = classify([det(conf=0.97, box=PERSON)], rules)
    assert opened(logic.on_frame(ghost, now=0.0)) == []
    for t in (0.5, 1.0, 5.0, 20.0):  # never seen again: its track expires without an event
        assert logic.on_frame([], now=t).changes == ()
    assert logic.tracker.tracks == [] and logic.open == {}


def test_an_object_seen_twice_above_the_score_opens_its_event_on_the_second_frame() -> None:
    rules = Rules(class_map=COCO_CLASS_MAP, object_filters={"person": ObjectFilter(min_score=0.6)})
    logic = EventLogic(cooldown=0, max_age=3)
    assert opened(logic.on_frame(classify([det(conf=0.8, box=PERSON)], rules), now=0.0)) == []
    second = logic.on_frame(classify([det(conf=0.7, box=moved(PERSON, 0.01))], rules), now=0.5)
    assert opened(second) == ["person"]


def test_an_object_that_stays_below_the_score_never_opens_an_event() -> None:
    rules = Rules(class_map=COCO_CLASS_MAP, confidence=0.3,
                  object_filters={"person": ObjectFilter(min_score=0.6)})  # fmt: skip
    logic = EventLogic(cooldown=0, max_age=3)
    for i in range(10):
        box = moved(PERSON, 0.005 * i)
        assert opened(logic.on_frame(classify([det(conf=0.45, box=box)], rules), now=i * 0.5)) == []


def test_without_a_min_score_the_first_frame_opens_the_event_as_before() -> None:
    logic = EventLogic(cooldown=0, max_age=3)
    first = logic.on_frame(classify([det(conf=0.97, box=PERSON)], Rules(class_map=COCO_CLASS_MAP)), now=0.0)
    assert opened(first) == ["person"]


def test_a_confirmed_object_whose_score_dips_stays_in_its_event() -> None:
    rules = Rules(class_map=COCO_CLASS_MAP, confidence=0.3,
                  object_filters={"person": ObjectFilter(min_score=0.6)})  # fmt: skip
    logic = EventLogic(cooldown=0, max_age=3, grace=3)
    changes = []
    for i, conf in enumerate((0.8, 0.8, 0.4, 0.4, 0.4, 0.4)):
        result = logic.on_frame(classify([det(conf=conf, box=moved(PERSON, 0.005 * i))], rules), now=i * 0.5)
        changes += [c.change for c in result.changes]
    assert changes.count(Change.OPENED) == 1 and Change.CLOSED not in changes


def base_env(**extra: str) -> dict[str, str]:
    return {"CAMERA_ID": "1", "RTSP_URL": "rtsp://cam/stream", "DJANGO_API_TOKEN": "t", **extra}


def test_object_filters_come_from_the_environment_as_json() -> None:
    config = WorkerConfig.from_env(
        base_env(OBJECT_FILTERS='{"person": {"min_area": 0.001, "max_ratio": 1.5, "min_score": 0.6}}')
    )
    assert config.object_filters == {"person": ObjectFilter(min_area=0.001, max_ratio=1.5, min_score=0.6)}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{", "OBJECT_FILTERS: not valid JSON"),
        ("[]", "OBJECT_FILTERS: must be a JSON object"),
        ('{"dog": {}}', r"unknown alert type\(s\) \['dog'\]"),
        ('{"person": {"min_area": 0.5, "max_area": 0.1}}', "min_area 0.5 is larger than max_area 0.1"),
        ('{"person": {"min_score": 2}}', "OBJECT_FILTERS: at person.min_score"),
        ('{"person": {"min_size": 2}}', "OBJECT_FILTERS: at person.min_size: Extra inputs"),
    ],
)
def test_bad_object_filters_stop_start_up_naming_the_variable(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        WorkerConfig.from_env(base_env(OBJECT_FILTERS=value))
