"""From detections to candidates: class map, confidences, box size, zones, enabled alert types."""

from cctv_worker.config import Zone
from cctv_worker.decisions.alert_types import COCO_CLASS_MAP, FALLBACK_CLASS_MAP, producible_types
from cctv_worker.decisions.filters import Rules, classify

from .helpers import det

DRIVEWAY = Zone(name="driveway", points=((0, 0.5), (1, 0.5), (1, 1), (0, 1)), intrusion=True)
LAWN = Zone(name="lawn", points=((0, 0), (1, 0), (1, 0.5), (0, 0.5)))


def types(cands) -> list[tuple[str, str]]:
    return [(c.detection.label, c.alert_type) for c in cands]


def test_the_coco_map_turns_cars_into_vehicles_and_ignores_unmapped_classes() -> None:
    found = classify([det("person"), det("truck"), det("dog")], Rules(class_map=COCO_CLASS_MAP))
    assert types(found) == [("person", "person"), ("truck", "vehicle")]


def test_a_specialised_model_plugs_in_through_the_class_map() -> None:
    rules = Rules(class_map={"flame": "fire", "plume": "smoke"})
    assert types(classify([det("flame"), det("plume"), det("person")], rules)) == [
        ("flame", "fire"),
        ("plume", "smoke"),
    ]


def test_confidence_is_checked_per_class_with_the_global_default() -> None:
    rules = Rules(class_map=COCO_CLASS_MAP, confidence=0.5, class_confidence={"car": 0.8})
    found = classify([det("person", 0.55), det("car", 0.7), det("car", 0.85), det("person", 0.4)], rules)
    assert [(c.detection.label, c.detection.confidence) for c in found] == [("person", 0.55), ("car", 0.85)]
    assert rules.confidence_floor == 0.5


def test_boxes_smaller_than_the_minimum_area_are_ignored() -> None:
    rules = Rules(class_map=COCO_CLASS_MAP, min_box_area=0.02)
    small = det(box=(0.1, 0.1, 0.2, 0.15))  # 0.005 of the frame
    large = det(box=(0.1, 0.1, 0.3, 0.3))  # 0.04
    assert [c.detection for c in classify([small, large], rules)] == [large]


def test_with_zones_set_objects_outside_every_zone_are_ignored() -> None:
    rules = Rules(class_map=COCO_CLASS_MAP, zones=[LAWN])
    inside = det(box=(0.4, 0.1, 0.5, 0.4))  # feet at y=0.4: on the lawn
    outside = det(box=(0.4, 0.5, 0.5, 0.9))
    found = classify([inside, outside], rules)
    assert [(c.detection, c.zone) for c in found] == [(inside, "lawn")]


def test_a_zone_that_is_not_exclusive_adds_its_name_and_intrusions_and_mutes_nothing_elsewhere() -> None:
    # Issue 19: drawing a zone silently switched detection off everywhere else; an informational zone
    # (Frigate's zones add information, its masks remove it) leaves the rest of the frame watched.
    driveway = DRIVEWAY.model_copy(update={"exclusive": False})
    rules = Rules(class_map=COCO_CLASS_MAP, zones=[driveway])
    on_lawn = det("person", box=(0.4, 0.1, 0.5, 0.4))
    in_driveway = det("person", box=(0.4, 0.5, 0.5, 0.9))
    found = classify([on_lawn, in_driveway], rules)
    assert [(c.detection, c.alert_type, c.zone) for c in found] == [
        (on_lawn, "person", None),
        (in_driveway, "intrusion", "driveway"),
    ]
    # One exclusive zone among them: outside every zone is ignored again.
    assert [c.zone for c in classify([on_lawn, in_driveway], Rules(class_map=COCO_CLASS_MAP,
            zones=[driveway, LAWN]))] == ["lawn", "driveway"]  # fmt: skip


def test_an_intrusion_zone_turns_people_and_vehicles_into_intrusions_but_not_other_types() -> None:
    rules = Rules(class_map={**COCO_CLASS_MAP, "fire": "fire"}, zones=[DRIVEWAY])
    feet_in_driveway = (0.4, 0.5, 0.5, 0.9)
    found = classify([det("person", box=feet_in_driveway), det("car", box=feet_in_driveway),
                      det("fire", box=feet_in_driveway)], rules)  # fmt: skip
    assert types(found) == [("person", "intrusion"), ("car", "intrusion"), ("fire", "fire")]


def test_only_enabled_alert_types_pass_and_intrusion_off_keeps_the_plain_type() -> None:
    rules = Rules(class_map=COCO_CLASS_MAP, zones=[DRIVEWAY], enabled_types=frozenset({"person"}))
    feet_in_driveway = (0.4, 0.5, 0.5, 0.9)
    found = classify([det("person", box=feet_in_driveway), det("car", box=feet_in_driveway)], rules)
    assert types(found) == [("person", "person")]


def test_no_enabled_alert_types_lets_nothing_through() -> None:
    rules = Rules(class_map=COCO_CLASS_MAP, enabled_types=frozenset())
    assert classify([det("person", 0.9, (0.1, 0.1, 0.5, 0.9))], rules) == []


def test_the_types_a_model_can_raise_come_from_its_classes_the_class_map_and_intrusion_zones() -> None:
    # Issue 19: the camera form offered fire and smoke with no hint that the bundled model has no such class.
    fallback = ["Normal", "Fall"]
    assert producible_types(fallback, FALLBACK_CLASS_MAP, intrusion_zones=False) == ["person"]
    assert producible_types(fallback, FALLBACK_CLASS_MAP, intrusion_zones=True) == ["intrusion", "person"]
    coco = ["person", "car", "dog", "fire hydrant"]
    assert producible_types(coco, COCO_CLASS_MAP, intrusion_zones=False) == ["person", "vehicle"]
    assert producible_types(["flame"], {"flame": "fire"}, intrusion_zones=True) == ["fire"]
