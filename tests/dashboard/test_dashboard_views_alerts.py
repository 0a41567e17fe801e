"""Alert feed, its polling endpoint, filters, keyset pages, detail with boxes, acknowledging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.views import alerts as alert_views
from surveillance.events import services

FEED = reverse("dashboard:index")
POLL = reverse("dashboard:alert-poll")


@pytest.fixture
def cams(alice, make_camera):
    return make_camera(alice, "Gate"), make_camera(alice, "Yard", url="rtsp://10.0.0.8/s")


def ids(response):
    return [alert.id for alert in response.context["alerts"]]


def test_feed_lists_alerts_newest_first_with_thumbnails(alice_client, cams, make_alert):
    now = timezone.now()
    older = make_alert(cams[0], occurred_at=now - timedelta(minutes=5))
    newer = make_alert(cams[1], occurred_at=now)
    response = alice_client.get(FEED)
    assert ids(response) == [newer.id, older.id]
    assert newer.snapshot.url in response.content.decode()


def test_feed_filters_by_camera_type_status_and_date(alice_client, cams, make_alert, alice):
    now = timezone.now()
    gate_person = make_alert(cams[0], "person", occurred_at=now)
    yard_fire = make_alert(cams[1], "fire", occurred_at=now)
    old_gate_vehicle = make_alert(cams[0], "vehicle", occurred_at=now - timedelta(days=3))
    services.alert_acknowledge(alert=yard_fire, user=alice)
    assert ids(alice_client.get(FEED, {"camera": cams[0].id})) == [gate_person.id, old_gate_vehicle.id]
    assert ids(alice_client.get(FEED, {"type": "fire"})) == [yard_fire.id]
    assert ids(alice_client.get(FEED, {"ack": "yes"})) == [yard_fire.id]
    assert ids(alice_client.get(FEED, {"ack": "no"})) == [gate_person.id, old_gate_vehicle.id]
    day = (now - timedelta(days=3)).date().isoformat()
    assert ids(alice_client.get(FEED, {"date_from": day, "date_to": day})) == [old_gate_vehicle.id]


def test_a_bad_filter_value_shows_its_error_and_the_other_filters_still_apply(alice_client, cams, make_alert):
    person = make_alert(cams[0], "person")
    make_alert(cams[0], "fire")
    response = alice_client.get(FEED, {"type": "person", "date_from": "not-a-date"})
    assert "date_from" in response.context["form"].errors
    assert ids(response) == [person.id]


def test_an_end_date_before_the_start_date_is_reported(alice_client, cams):
    response = alice_client.get(FEED, {"date_from": "2026-11-20", "date_to": "2026-11-10"})
    assert "before the start date" in response.context["form"].errors["date_to"][0]


def test_older_pages_follow_the_cursor_without_gaps_or_repeats(alice_client, cams, make_alert, monkeypatch):
    monkeypatch.setattr(alert_views, "PAGE_SIZE", 2)
    same_time = timezone.now()
    created = [make_alert(cams[0], occurred_at=same_time, image=False) for _ in range(5)]
    seen, query = [], {}
    while True:
        response = alice_client.get(FEED, query)
        seen += ids(response)
        if not response.context["next_cursor"]:
            break
        query = {"before": response.context["next_cursor"]}
    assert seen == sorted(alert.id for alert in created)[::-1]


def test_a_broken_page_cursor_shows_the_newest_page_with_a_note(alice_client, cams, make_alert):
    alert = make_alert(cams[0], image=False)
    response = alice_client.get(FEED, {"before": "garbage"})
    assert ids(response) == [alert.id]
    assert "page link is broken" in response.content.decode()


def test_poll_returns_only_alerts_newer_than_after_as_cards(alice_client, cams, make_alert):
    first = make_alert(cams[0], image=False)
    second = make_alert(cams[1], "vehicle", image=False)
    data = alice_client.get(POLL, {"after": first.id}).json()
    assert data["count"] == 1 and data["last_id"] == second.id
    assert f'id="alert-{second.id}"' in data["html"] and f'id="alert-{first.id}"' not in data["html"]
    assert data["open_count"] == 2
    assert alice_client.get(POLL, {"after": second.id}).json()["count"] == 0


def test_poll_honours_the_feed_filters_but_still_moves_past_other_alerts(alice_client, cams, make_alert):
    start = make_alert(cams[0], image=False)
    make_alert(cams[0], "fire", image=False)
    person = make_alert(cams[0], "person", image=False)
    other = make_alert(cams[0], "vehicle", image=False)
    data = alice_client.get(POLL, {"after": start.id, "type": "person"}).json()
    assert data["count"] == 1 and f"alert-{person.id}" in data["html"]
    assert data["last_id"] == other.id


def test_an_alert_committed_while_a_poll_runs_shows_in_the_next_poll(
    alice_client, cams, make_alert, monkeypatch
):
    """The poll reads twice (the cursor's next place, the cards); an alert that lands between the two
    reads must not be skipped by the cursor."""
    from dashboard.views import alerts as feed_views

    first = make_alert(cams[0], image=False)
    landed = []
    real_alerts_of = feed_views.alerts_of

    def alerts_of_with_an_arrival(*args, **kwargs):
        if len(landed) < 2:
            landed.append(make_alert(cams[0], "vehicle", image=False) if len(landed) == 1 else None)
        return real_alerts_of(*args, **kwargs)

    monkeypatch.setattr(feed_views, "alerts_of", alerts_of_with_an_arrival)
    polled = alice_client.get(POLL, {"after": first.id}).json()
    monkeypatch.setattr(feed_views, "alerts_of", real_alerts_of)
    arrived = landed[1]
    following = alice_client.get(POLL, {"after": polled["last_id"]}).json()
    shown = polled["html"] + following["html"]
    assert shown.count(f'id="alert-{arrived.id}"') == 1


@pytest.mark.parametrize("after", ["", "-1", "abc"])
def test_poll_without_a_valid_after_id_is_a_400_with_a_reason(alice_client, after):
    response = alice_client.get(POLL, {"after": after})
    assert response.status_code == 400 and "after" in response.json()["error"]


def test_alert_detail_shows_the_full_snapshot_and_draws_the_detections(alice_client, cams, make_alert):
    alert = make_alert(
        cams[0], detections=[{"label": "person", "confidence": 0.91, "box": [0.25, 0.1, 0.5, 0.9]}]
    )
    body = alice_client.get(reverse("dashboard:alert", args=[alert.id])).content.decode()
    assert alert.snapshot.url in body
    assert 'class="box" style="left:25.00%;top:10.00%;width:25.00%;height:80.00%"' in body
    assert "person 91%" in body


def test_acknowledging_one_alert_records_who_and_returns_to_the_page(alice_client, alice, cams, make_alert):
    alert = make_alert(cams[0], image=False)
    response = alice_client.post(
        reverse("dashboard:alert-acknowledge", args=[alert.id]), {"next": "/dashboard/?type=person"}
    )
    assert response["Location"] == "/dashboard/?type=person"
    alert.refresh_from_db()
    assert alert.acknowledged and alert.acknowledged_by == alice and alert.acknowledged_at is not None


def test_acknowledge_never_redirects_to_another_site(alice_client, cams, make_alert):
    alert = make_alert(cams[0], image=False)
    response = alice_client.post(
        reverse("dashboard:alert-acknowledge", args=[alert.id]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == FEED


def test_acknowledging_many_at_once(alice_client, cams, make_alert):
    alerts = [make_alert(cams[0], image=False) for _ in range(3)]
    alice_client.post(reverse("dashboard:alerts-acknowledge"), {"alert_ids": [alerts[0].id, alerts[2].id]})
    for alert in alerts:
        alert.refresh_from_db()
    assert [alert.acknowledged for alert in alerts] == [True, False, True]


def test_acknowledging_with_nothing_selected_says_so_and_changes_nothing(alice_client, cams, make_alert):
    alert = make_alert(cams[0], image=False)
    response = alice_client.post(reverse("dashboard:alerts-acknowledge"), {"alert_ids": ["x"]}, follow=True)
    assert "Select the alerts to acknowledge first" in response.content.decode()
    alert.refresh_from_db()
    assert not alert.acknowledged


def test_poll_with_an_id_beyond_any_alert_returns_nothing_new(alice_client, cams, make_alert):
    make_alert(cams[0], image=False)
    assert alice_client.get(POLL, {"after": "9" * 18}).json()["count"] == 0
    # Past 18 digits it is no alert id at all (ids are 64-bit): a clear 400, as for any malformed id.
    beyond = alice_client.get(POLL, {"after": "9" * 30})
    assert beyond.status_code == 400
    assert "after must be" in beyond.json()["error"]


def test_huge_ids_in_urls_are_404_not_errors(alice_client):
    assert alice_client.get(reverse("dashboard:alert", args=[10**30])).status_code == 404
    assert alice_client.get(reverse("dashboard:camera-edit", args=[10**30])).status_code == 404


def test_a_cursor_with_a_huge_id_pages_without_error(alice_client, cams, make_alert):
    alert = make_alert(cams[0], image=False)
    response = alice_client.get(FEED, {"before": f"{10**18}_{'9' * 30}"})
    assert response.status_code == 200 and ids(response) == [alert.id]
