"""The pure parts of live settings and the event handover (issue 19): the backend's answer becomes a
validated config or a clear refusal that changes nothing; an event handed over keeps its key and goes on
in the next worker's event logic; a zone entered by a known object is news for the next update."""

from __future__ import annotations

import pytest

from cctv_worker.config import ConfigError, WorkerConfig
from cctv_worker.decisions.events import Change, EventObject
from cctv_worker.live_settings import LIVE_SETTINGS, changed, with_live_settings

from .test_events import BOX, logic, person

BASE = {"CAMERA_ID": "1", "RTSP_URL": "rtsp://cam/1", "DJANGO_API_TOKEN": "cam_1_x", "ALERT_TYPES": "person"}


def config(**env: str) -> WorkerConfig:
    return WorkerConfig.from_env({**BASE, **env})


def test_the_backends_live_settings_become_the_worker_fields_they_name() -> None:
    zone = {"name": "porch", "points": [[0, 0], [1, 0], [1, 1]], "intrusion": False, "exclusive": False}
    new = with_live_settings(
        config(),
        {
            "alert_types": [], "confidence_threshold": 0.3, "cooldown_seconds": 5, "event_grace_seconds": 3,
            "event_max_seconds": 60, "pre_roll_seconds": 1, "post_roll_seconds": 2, "min_box_area": 0.01,
            "zones": [zone], "motion_masks": [], "forced_detect_interval": 1.0,
            "object_filters": {"person": {"min_area": 0.001, "max_area": None, "min_score": None}},
            "frame_skip": 1,  # not live: ignored (a newer backend may send more than this worker applies)
        },
    )
    assert new.alert_types == frozenset()  # an empty list raises none, as at start-up
    assert (new.confidence_threshold, new.alert_cooldown, new.event_grace) == (0.3, 5, 3)
    assert (new.event_max_length, new.pre_roll, new.post_roll) == (60, 1, 2)
    assert new.zones[0].name == "porch" and not new.zones[0].exclusive
    assert new.object_filters["person"].min_area == 0.001 and new.object_filters["person"].max_area == 1.0
    assert new.frame_skip == config().frame_skip
    assert changed(config(), new) == [
        name for name in LIVE_SETTINGS if name not in ("motion_masks",)
    ]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"confidence_threshold": 7}, "confidence_threshold"),
        ({"alert_types": ["tiger"]}, "alert_types"),
        ({"zones": [{"name": "z", "points": [[0, 0]]}]}, "zones"),
        ({"zones": "not a list"}, "zones"),
        ({"object_filters": {"dog": {}}}, "object_filters"),
        ({"event_grace_seconds": None}, "event_grace_seconds"),
    ],
)
def test_a_bad_live_setting_is_refused_by_name_and_the_config_stays(settings, named) -> None:
    before = config()
    with pytest.raises(ConfigError, match=named):
        with_live_settings(before, settings)
    assert before == config()


def test_an_event_handed_over_stays_open_with_its_state_sent_once_more() -> None:
    old = logic()
    old.on_frame([person()], now=0)
    (handed,) = old.hand_over_all()
    assert handed.change is Change.UPDATED and handed.event.open and handed.event.key == "e1"
    assert handed.event.revision == 2


def test_the_next_worker_continues_the_handed_event_with_its_key_objects_and_revisions() -> None:
    new = logic(grace=5)
    obj = EventObject(7, "Normal", "person", 0.0, 9.0, 0.8, ())
    assert new.adopt(
        key="e1", alert_type="person", started_at=0.0, revision=4, peak_count=2, objects=[obj], now=10
    )
    result = new.on_frame([person()], now=11)
    assert not [c for c in result.changes if c.change is Change.OPENED]  # the same event, not a new one
    (update,) = [c for c in result.changes if c.change is Change.UPDATED]
    assert update.event.key == "e1" and update.event.revision == 5
    ids = [o.track_id for o in update.event.objects]
    assert ids[0] == 7 and min(ids[1:]) > 7  # new tracks never merge into a handed object
    # One open event per type: a second one of the same type is not taken.
    assert not new.adopt(
        key="other", alert_type="person", started_at=0, revision=1, peak_count=1, objects=[], now=11
    )


def test_a_handed_event_nobody_is_seen_in_closes_after_the_grace_from_the_handover() -> None:
    new = logic(grace=5)
    new.adopt(key="e1", alert_type="person", started_at=0.0, revision=4, peak_count=1, objects=[], now=10)
    assert new.tick(14.9) == []
    (closed,) = new.tick(15)
    assert closed.change is Change.CLOSED and closed.event.key == "e1" and closed.event.ended_at == 10


def test_a_known_object_entering_a_new_zone_makes_the_next_update() -> None:
    events = logic(update_interval=0)
    events.on_frame([person()], now=0)
    events.on_frame([person()], now=1)
    result = events.on_frame([person(BOX, zone="porch")], now=2)
    (update,) = [c for c in result.changes if c.change is Change.UPDATED]
    assert update.event.objects[0].zones == ("porch",)
