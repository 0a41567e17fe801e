"""When alerts are due: one per event, none while the object stays, a cooldown per alert type."""

from cctv_worker.decisions.events import EventLogic
from cctv_worker.decisions.filters import Candidate

from .helpers import det, moved

BOX = (0.4, 0.4, 0.5, 0.7)
ELSEWHERE = (0.05, 0.1, 0.15, 0.4)


def person(box=BOX, conf=0.9, zone=None) -> Candidate:
    return Candidate(det("person", conf, box), "person", zone)


def car(box=ELSEWHERE) -> Candidate:
    return Candidate(det("car", 0.8, box), "vehicle")


def test_the_same_person_across_many_frames_raises_one_alert() -> None:
    logic = EventLogic(cooldown=0, max_age=5)
    due = [logic.on_frame([person(moved(BOX, dx=0.01 * i))], now=float(i)) for i in range(100)]
    assert [len(d) for d in due].count(1) == 1
    assert len(due[0]) == 1


def test_a_parked_car_alerts_once_even_after_the_cooldown() -> None:
    logic = EventLogic(cooldown=10, max_age=5)
    alerts = sum(len(logic.on_frame([car()], now=float(t))) for t in range(0, 600, 2))
    assert alerts == 1


def test_a_new_object_within_the_cooldown_does_not_alert_again() -> None:
    logic = EventLogic(cooldown=60, max_age=5)
    assert len(logic.on_frame([person()], now=0)) == 1
    assert logic.on_frame([person(), person(ELSEWHERE)], now=10) == []


def test_after_the_cooldown_a_new_object_alerts_but_the_absorbed_one_does_not() -> None:
    logic = EventLogic(cooldown=60, max_age=100)
    logic.on_frame([person()], now=0)
    logic.on_frame([person(), person(ELSEWHERE)], now=30)  # absorbed by the cooldown
    assert logic.on_frame([person(), person(ELSEWHERE)], now=70) == []
    due = logic.on_frame([person(), person(ELSEWHERE), person((0.8, 0.1, 0.9, 0.4))], now=80)
    assert len(due) == 1
    assert len(due[0].detections) == 3  # the snapshot shows everyone in the frame


def test_cooldowns_are_kept_per_alert_type() -> None:
    logic = EventLogic(cooldown=60, max_age=5)
    assert [a.alert_type for a in logic.on_frame([person()], now=0)] == ["person"]
    assert [a.alert_type for a in logic.on_frame([person(), car()], now=1)] == ["vehicle"]


def test_a_person_who_left_and_came_back_after_the_cooldown_is_a_new_event() -> None:
    logic = EventLogic(cooldown=60, max_age=5)
    assert logic.on_frame([person()], now=0)
    assert logic.on_frame([], now=30) == []
    assert logic.on_frame([person()], now=100)


def test_the_alert_carries_best_confidence_and_a_description_with_zone() -> None:
    logic = EventLogic(cooldown=0, max_age=5)
    (alert,) = logic.on_frame(
        [person(conf=0.6, zone="door"), person(ELSEWHERE, conf=0.8, zone="door")], now=0
    )
    assert alert.confidence == 0.8
    assert alert.description == "Person alert: 2 person detected in zone door"
    assert len(alert.track_ids) == 2


def test_min_frames_ignores_a_one_frame_flicker() -> None:
    logic = EventLogic(cooldown=0, max_age=1, min_frames=2)
    assert logic.on_frame([person()], now=0) == []
    assert logic.on_frame([], now=5) == []
    assert logic.on_frame([person()], now=10) == []
    assert len(logic.on_frame([person()], now=11)) == 1
