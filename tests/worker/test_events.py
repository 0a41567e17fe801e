"""The event lifecycle with an injected clock: one event per group of objects of a type, nothing seen
dropped, closing after the grace period, reopening within the cooldown, splitting long events."""

from itertools import count

from cctv_worker.decisions.events import Change, EventLogic, describe
from cctv_worker.decisions.filters import Candidate

from .helpers import det, moved

BOX = (0.4, 0.4, 0.5, 0.7)
ELSEWHERE = (0.05, 0.1, 0.15, 0.4)
FAR = (0.8, 0.1, 0.9, 0.4)


def person(box=BOX, conf=0.9, zone=None) -> Candidate:
    return Candidate(det("Normal", conf, box), "person", zone)


def car(box=ELSEWHERE) -> Candidate:
    return Candidate(det("car", 0.8, box), "vehicle")


def logic(**kwargs) -> EventLogic:
    keys = count(1)
    options = {"cooldown": 0, "max_age": 5, "grace": 5, "update_interval": 0} | kwargs
    return EventLogic(new_key=lambda: f"e{next(keys)}", **options)


def changes(result) -> list[tuple[Change, str]]:
    return [(c.change, c.event.key) for c in result.changes]


def test_the_same_person_across_many_frames_is_one_event_opened_at_once() -> None:
    events = logic()
    first = events.on_frame([person()], now=0)
    assert changes(first) == [(Change.OPENED, "e1")]
    assert first.changes[0].event.open
    for i in range(1, 100):
        result = events.on_frame([person(moved(BOX, dx=0.002 * i))], now=float(i))
        assert all(c.change is not Change.OPENED for c in result.changes)
    assert len(events.open) == 1


def test_the_event_closes_after_the_grace_period_and_ends_at_the_last_sighting() -> None:
    events = logic(grace=5)
    events.on_frame([person()], now=100)
    events.on_frame([person()], now=103)
    assert events.tick(107.9) == []
    (closed,) = events.tick(108)
    assert closed.change is Change.CLOSED
    assert closed.event.started_at == 100 and closed.event.ended_at == 103
    assert not closed.event.open


def test_the_scene_is_followed_while_an_event_is_open_or_an_object_was_seen_recently() -> None:
    # The motion gate forces detections often while followed, rarely on an empty scene.
    events = logic(grace=5, max_age=5, min_frames=3)
    assert not events.following(now=0)
    events.on_frame([person()], now=0)  # seen once: not confirmed, no event, but followed
    assert not events.open and events.following(now=4.9)
    assert not events.following(now=5.1)  # forgotten by the tracker
    events.on_frame([person()], now=10)
    events.on_frame([person()], now=11)
    events.on_frame([person()], now=12)
    assert events.open and events.following(now=16)
    events.tick(17.1)  # closed 5 s after the last sighting
    assert not events.open and not events.following(now=17.1)


def test_a_second_person_while_the_event_is_open_joins_it() -> None:
    events = logic(cooldown=60)
    events.on_frame([person()], now=0)
    result = events.on_frame([person(), person(FAR)], now=1)
    assert [c.change for c in result.changes] == [Change.UPDATED]
    state = result.changes[0].event
    assert len(state.objects) == 2 and state.peak_count == 2
    assert state.description == "2 people"


def test_a_group_within_the_cooldown_after_the_close_reopens_the_event_nothing_is_dropped() -> None:
    events = logic(cooldown=60, grace=5)
    events.on_frame([person()], now=0)
    events.tick(10)  # closed at 0
    result = events.on_frame([person(FAR), person(ELSEWHERE)], now=30)
    assert changes(result) == [(Change.REOPENED, "e1")]
    assert len(result.changes[0].event.objects) == 3  # the first person and both newcomers


def test_two_groups_further_apart_than_the_cooldown_are_two_events() -> None:
    events = logic(cooldown=5, grace=5)
    events.on_frame([person()], now=0)
    events.on_frame([person()], now=8)
    closed = events.tick(14)
    assert [c.change for c in closed] == [Change.CLOSED]
    result = events.on_frame([person(FAR), person(ELSEWHERE)], now=28)  # 20 s after the first left
    assert changes(result) == [(Change.OPENED, "e2")]
    assert result.changes[0].event.peak_count == 2


def test_a_long_event_is_split_and_the_objects_in_view_carry_over() -> None:
    events = logic(max_length=60)
    for t in range(0, 65, 2):
        result = events.on_frame([car()], now=float(t))
        if any(c.change is Change.CLOSED for c in result.changes):
            break
    assert [c.change for c in result.changes] == [Change.CLOSED, Change.OPENED]
    closed, opened = (c.event for c in result.changes)
    assert closed.ended_at == 60 and opened.started_at == 60
    assert opened.continues == closed.key
    assert [o.track_id for o in opened.objects] == [o.track_id for o in closed.objects]


def test_a_continuation_opens_with_the_last_boxes_of_its_objects_to_draw_its_snapshot() -> None:
    # Split off between frames (no frame of its own yet): the worker draws these boxes on its last frame,
    # or the continuation's alert has no snapshot and the backend refuses it (issue 19).
    events = logic(max_length=60, grace=10)
    events.on_frame([car(), person()], now=0)
    events.on_frame([car(moved(ELSEWHERE, dx=0.01)), person()], now=58)
    changes = events.tick(61)
    opened = [c for c in changes if c.change is Change.OPENED]
    assert {c.event.alert_type for c in opened} == {"person", "vehicle"}
    for change in opened:
        assert change.event.continues
        assert [d.box for d in change.detections] == [
            moved(ELSEWHERE, dx=0.01) if change.event.alert_type == "vehicle" else BOX
        ]


def test_types_have_their_own_events() -> None:
    events = logic()
    result = events.on_frame([person(), car()], now=0)
    assert sorted(c.event.alert_type for c in result.changes) == ["person", "vehicle"]


def test_objects_carry_first_and_last_seen_best_confidence_and_zones() -> None:
    events = logic()
    events.on_frame([person(conf=0.6, zone="Porch")], now=0)
    events.on_frame([person(moved(BOX, dx=0.01), conf=0.8, zone="Drive")], now=1)
    (closed,) = events.tick(10)
    (obj,) = closed.event.objects
    assert (obj.first_seen, obj.last_seen, obj.confidence) == (0, 1, 0.8)
    assert obj.zones == ("Porch", "Drive")
    assert closed.event.confidence == 0.8
    assert closed.event.description == "1 person in zones Porch, Drive"


def test_a_clearer_view_replaces_the_snapshot_and_a_worse_one_does_not() -> None:
    events = logic()
    first = events.on_frame([person(conf=0.6)], now=0)
    assert [k for k, _ in first.best_views] == ["e1"]
    assert events.on_frame([person(conf=0.55)], now=1).best_views == ()
    bigger = (0.3, 0.3, 0.6, 0.9)
    assert [k for k, _ in events.on_frame([person(bigger, conf=0.9)], now=2).best_views] == ["e1"]


def test_updates_are_coalesced_to_one_per_interval_and_revisions_grow() -> None:
    events = logic(update_interval=5)
    opened = events.on_frame([person()], now=0).changes[0].event
    assert events.on_frame([person(), person(FAR)], now=1).changes == ()  # joined, update not yet due
    (update,) = events.tick(5)
    assert update.change is Change.UPDATED and len(update.event.objects) == 2
    (closed,) = events.tick(20)
    assert opened.revision < update.event.revision < closed.event.revision


def test_min_frames_ignores_a_one_frame_flicker() -> None:
    events = logic(min_frames=2, max_age=1, grace=1)
    assert events.on_frame([person()], now=0).changes == ()
    assert events.on_frame([], now=5).changes == ()
    assert events.on_frame([person()], now=10).changes == ()
    assert changes(events.on_frame([person()], now=11)) == [(Change.OPENED, "e1")]


def test_descriptions_speak_alert_types_and_counts() -> None:
    assert describe("person", peak=3, total=3, zones=["Porch"]) == "3 people in zone Porch"
    assert describe("vehicle", peak=1, total=4, zones=[]) == "1 vehicle (4 seen in all)"
    assert describe("intrusion", peak=2, total=2, zones=["Yard", "Gate"]) == "2 intruders in zones Yard, Gate"
