"""The worker's small pure decisions: which snapshot an alert or an event update carries (each view
once), and when the capture may decode keyframes only (a quiet scene, held a while after motion)."""

from cctv_worker.decisions.best_views import BestViews
from cctv_worker.decisions.decode_policy import DecodePolicy
from cctv_worker.detect.base import Detection

PERSON = (Detection("person", 0.9, (0.1, 0.1, 0.5, 0.9)),)


def test_the_alert_carries_the_best_view_and_an_update_only_a_clearer_one_not_yet_sent() -> None:
    views = BestViews()
    views.offer("ev", b"first", PERSON)
    opened = views.take("ev")
    assert opened is not None and opened.jpeg == b"first"
    assert views.take_unsent("ev") is None  # the alert had it
    views.offer("ev", b"clearer", PERSON)
    update = views.take_unsent("ev")
    assert update is not None and update.jpeg == b"clearer" and update.detections == PERSON
    assert views.take_unsent("ev") is None
    views.forget("ev")
    assert views.take("ev") is None


def test_an_event_without_a_view_opens_without_one() -> None:
    assert BestViews().take("ev") is None


def test_keyframes_only_after_a_quiet_hold_and_every_frame_again_at_motion_or_an_open_event() -> None:
    policy = DecodePolicy(now=0.0, hold_seconds=3.0)
    assert not policy.keyframes_only(motion=False, events_open=False, now=2.9)
    assert policy.keyframes_only(motion=False, events_open=False, now=3.0)
    assert not policy.keyframes_only(motion=True, events_open=False, now=10.0)
    assert not policy.keyframes_only(motion=False, events_open=False, now=12.0)
    assert not policy.keyframes_only(motion=False, events_open=True, now=20.0)
    assert policy.keyframes_only(motion=False, events_open=False, now=23.0)
