"""The IoU tracker keeps one id per object across analysed frames."""

from cctv_worker.filters import Candidate
from cctv_worker.tracking import Tracker, closeness, iou

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


def test_different_classes_never_share_a_track() -> None:
    tracker = Tracker(max_age=5)
    (person,) = tracker.update([cand()], now=0)
    (car,) = tracker.update([cand(label="car", alert_type="vehicle")], now=1)
    assert car.id != person.id


def test_a_track_unseen_for_longer_than_max_age_is_forgotten() -> None:
    tracker = Tracker(max_age=5)
    (first,) = tracker.update([cand()], now=0)
    (still,) = tracker.update([cand()], now=4.9)
    assert still.id == first.id
    (later,) = tracker.update([cand()], now=10.0)
    assert later.id != first.id
