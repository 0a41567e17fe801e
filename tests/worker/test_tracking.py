"""The IoU tracker keeps one id per object across analysed frames."""

import pytest

from cctv_worker.decisions.filters import Candidate
from cctv_worker.decisions.tracking import Tracker, closeness, iou, predict

from .helpers import det, moved

BOX = (0.4, 0.4, 0.5, 0.7)


def cand(box=BOX, label="person", alert_type="person") -> Candidate:
    return Candidate(det(label, box=box), alert_type)


def test_iou_and_closeness_of_boxes() -> None:
    assert iou(BOX, BOX) == 1.0
    assert iou(BOX, moved(BOX, dx=0.5)) == 0.0
    assert closeness(BOX, BOX) == 1.0
    assert closeness(BOX, moved(BOX, dx=0.5)) == 0.0


def test_a_walking_person_keeps_their_track_even_when_boxes_barely_overlap() -> None:
    tracker = Tracker(max_age=5)
    first = tracker.update([cand()], now=0)[0]
    box = BOX
    for step in range(1, 6):
        box = moved(box, dx=0.06)  # more than half a box width per analysed frame
        (track,) = tracker.update([cand(box)], now=step)
        assert track.id == first.id
    assert track.hits == 6


def test_two_people_side_by_side_get_two_tracks_and_keep_them() -> None:
    tracker = Tracker(max_age=5)
    left, right = (0.1, 0.3, 0.2, 0.7), (0.7, 0.3, 0.8, 0.7)
    ids = {t.id for t in tracker.update([cand(left), cand(right)], now=0)}
    again = tracker.update([cand(moved(right, 0.01)), cand(moved(left, 0.01))], now=1)
    assert {t.id for t in again} == ids
    assert len(ids) == 2


def test_different_alert_types_never_share_a_track() -> None:
    tracker = Tracker(max_age=5)
    (person,) = tracker.update([cand()], now=0)
    (car,) = tracker.update([cand(label="car", alert_type="vehicle")], now=1)
    assert car.id != person.id


def test_a_class_flicker_within_one_alert_type_keeps_the_track() -> None:
    tracker = Tracker(max_age=5)
    (car,) = tracker.update([cand(label="car", alert_type="vehicle")], now=0)
    (truck,) = tracker.update([cand(label="truck", alert_type="vehicle")], now=1)
    assert truck.id == car.id and truck.label == "truck"


def test_a_walker_missed_for_a_few_frames_is_found_where_their_speed_took_them() -> None:
    tracker = Tracker(max_age=5)
    box = (0.0, 0.45, 0.05, 0.55)
    ids = set()
    for step in range(4):  # 0.04 per second: close enough to match by overlap
        (track,) = tracker.update([cand(box)], now=float(step))
        ids.add(track.id)
        box = moved(box, dx=0.04)
    assert predict(track, now=6.0)[0] == pytest.approx(track.box[0] + 3 * 0.04)
    # Unseen for 3 s (behind a pillar): 0.12 further on, no overlap and not near the last box.
    box = moved(track.box, dx=0.12)
    assert iou(track.box, box) == 0 and closeness(track.box, box) == 0
    (found,) = tracker.update([cand(box)], now=6.0)
    assert ids == {found.id}


def test_a_track_unseen_for_longer_than_max_age_is_forgotten() -> None:
    tracker = Tracker(max_age=5)
    (first,) = tracker.update([cand()], now=0)
    (still,) = tracker.update([cand()], now=4.9)
    assert still.id == first.id
    (later,) = tracker.update([cand()], now=10.0)
    assert later.id != first.id
