"""Pure helpers of the dashboard: camera state, URL masking on edit, boxes, page cursors, chart geometry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from cctv_common.redact import restore_masked
from dashboard import charts
from dashboard.paging import BadCursor, decode_cursor, encode_cursor
from dashboard.presentation import (
    DOWN,
    INACTIVE,
    ONLINE,
    box_style,
    camera_state,
    detection_boxes,
    object_groups,
)
from dashboard.templatetags.dashboard_tags import ago

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def state(**overrides):
    values = {"is_active": True, "stream_state": "up", "last_heartbeat_at": NOW - timedelta(seconds=10)}
    values.update(overrides)
    return camera_state(now=NOW, online_seconds=60, **values)


def test_camera_with_a_recent_up_heartbeat_is_online():
    assert state() == ONLINE


def test_camera_whose_heartbeat_is_older_than_the_limit_is_down():
    assert state(last_heartbeat_at=NOW - timedelta(seconds=61)) == DOWN


def test_camera_reporting_the_stream_down_is_down_even_with_a_fresh_heartbeat():
    assert state(stream_state="down") == DOWN


def test_active_camera_that_never_sent_a_heartbeat_is_down():
    assert state(last_heartbeat_at=None, stream_state="unknown") == DOWN


def test_inactive_camera_is_inactive_whatever_its_last_heartbeat_said():
    assert state(is_active=False) == INACTIVE


STORED = "rtsp://admin:s3cret@10.0.0.5:554/stream1"


def test_unchanged_masked_url_keeps_the_stored_password():
    assert restore_masked("rtsp://admin:***@10.0.0.5:554/stream1", STORED) == STORED


def test_masked_password_with_a_new_path_keeps_the_stored_password():
    assert restore_masked("rtsp://admin:***@10.0.0.5/main", STORED) == "rtsp://admin:s3cret@10.0.0.5/main"


def test_masked_password_with_a_new_host_is_not_kept():
    # Issue 20: a kept password must not follow the URL to another host (the service then refuses it).
    assert restore_masked("rtsp://admin:***@10.0.0.9/main", STORED) == "rtsp://admin:***@10.0.0.9/main"


def test_a_typed_new_password_replaces_the_stored_one():
    assert restore_masked("rtsp://admin:n3w@10.0.0.5/s", STORED) == "rtsp://admin:n3w@10.0.0.5/s"


def test_masked_password_for_another_user_name_is_taken_as_typed():
    assert restore_masked("rtsp://guest:***@10.0.0.5/s", STORED) == "rtsp://guest:***@10.0.0.5/s"


def test_url_without_credentials_is_taken_as_typed():
    assert restore_masked("rtsp://10.0.0.5/s", STORED) == "rtsp://10.0.0.5/s"


def test_box_style_places_a_normalised_box_in_percent():
    assert box_style([0.1, 0.2, 0.5, 0.6]) == "left:10.00%;top:20.00%;width:40.00%;height:40.00%"


@pytest.mark.parametrize("box", [None, [0.1, 0.2], [0.5, 0.5, 0.4, 0.9], ["a", 0, 1, 1]])
def test_malformed_boxes_are_not_drawn(box):
    assert box_style(box) is None


def test_detection_boxes_skip_malformed_items_and_keep_labels_and_percent():
    boxes = detection_boxes(
        [{"label": "person", "confidence": 0.874, "box": [0, 0, 1, 1]}, "junk", {"box": 3}]
    )
    assert boxes == [
        {
            "label": "person",
            "model_label": "person",
            "percent": 87,
            "style": "left:0.00%;top:0.00%;width:100.00%;height:100.00%",
        }
    ]


def test_boxes_say_the_alert_type_not_the_models_class_names():
    # Issue 19: the bundled model's "Normal 0.54" / "Fall 0.51" leaked onto the boxes.
    detections = [
        {"label": "Normal", "confidence": 0.54, "box": [0, 0, 1, 1]},
        {"label": "Fall", "box": [0, 0, 1, 1]},
    ]
    boxes = detection_boxes(detections, alert_type="person")
    assert [(b["label"], b["model_label"]) for b in boxes] == [("person", "Normal"), ("person", "Fall")]


def test_an_events_tracks_are_grouped_by_type_with_the_best_few_first_and_the_rest_apart():
    people = [{"track_id": i, "alert_type": "person", "confidence": i / 100} for i in range(1, 101)]
    cars = [{"track_id": 200, "alert_type": "vehicle", "confidence": 0.9}]
    groups = object_groups([*cars, *people, "junk"], shown=3)
    assert [(g["alert_type"], g["count"], len(g["best"]), len(g["rest"])) for g in groups] == [
        ("person", 100, 3, 97),
        ("vehicle", 1, 1, 0),
    ]
    assert [o["track_id"] for o in groups[0]["best"]] == [100, 99, 98]
    assert object_groups(None) == []


def test_cursor_round_trips_to_the_microsecond():
    when = datetime(2026, 11, 25, 11, 59, 59, 999_999, tzinfo=UTC)
    assert decode_cursor(encode_cursor(when, 42)) == (when, 42)


@pytest.mark.parametrize("cursor", ["", "abc", "12_", "_4", "1_2_3", "99999999999999999999999_1"])
def test_cursors_not_written_by_the_dashboard_are_refused(cursor):
    with pytest.raises(BadCursor):
        decode_cursor(cursor)


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (250, 500), (1000, 1000)]
)
def test_axis_top_is_a_round_number_at_or_above_the_maximum(value, top):
    assert charts.nice_ceiling(value) == top


def test_daily_bars_stack_types_and_the_tallest_day_reaches_the_axis_top():
    days = [date(2026, 11, 24), date(2026, 11, 25)]
    counts = {(days[0], "person"): 3, (days[0], "vehicle"): 2, (days[1], "fire"): 1}
    chart = charts.daily_stacked_bars(days, counts, ["person", "vehicle", "fire"], width=400, height=200)
    assert [bar.title for bar in chart.bars] == ["24 Nov: 3 person", "24 Nov: 2 vehicle", "25 Nov: 1 fire"]
    person, vehicle, fire = chart.bars
    plot_bottom = 200 - 26
    assert person.y + person.height == pytest.approx(plot_bottom)
    assert vehicle.y + vehicle.height == pytest.approx(person.y)  # stacked on top
    assert vehicle.y == pytest.approx(10)  # 5 alerts = axis top 5 = top margin
    assert fire.height == pytest.approx(person.height / 3)
    assert not chart.empty


def test_daily_chart_without_alerts_is_empty_and_has_no_bars():
    chart = charts.daily_stacked_bars([date(2026, 11, 25)], {}, ["person"])
    assert chart.empty and chart.bars == []


def test_camera_bars_are_scaled_to_the_busiest_camera():
    rows = [("Gate", {"person": 6, "vehicle": 2}), ("Yard", {"person": 4})]
    chart = charts.camera_stacked_bars(rows, ["person", "vehicle"], width=400)
    gate_person, gate_vehicle, yard_person = chart.bars
    full = 400 - 150 - 56
    assert gate_person.width + gate_vehicle.width == pytest.approx(full)
    assert yard_person.width == pytest.approx(full / 2)
    assert [label.text for label in chart.x_labels] == ["8", "4"]


def test_ago_says_just_now_within_the_first_minute_and_one_unit_after():
    assert ago(timezone.now() - timedelta(seconds=20)) == "just now"
    assert ago(timezone.now() - timedelta(minutes=5, seconds=10)) == "5\xa0minutes ago"
    assert ago(timezone.now() - timedelta(days=2, hours=3)) == "2\xa0days ago"
    assert ago(None) == ""
