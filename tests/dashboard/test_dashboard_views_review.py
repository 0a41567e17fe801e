"""Review state on the alert feed (issue 24): each user's reviewed mark on the cards, marking one or many,
the reviewed/zone/shift filters, and the count of what is left to review since the last shift."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveillance.events import reviews
from surveillance.models import Alert, AlertReview

FEED = reverse("dashboard:index")
POLL = reverse("dashboard:alert-poll")
BULK = reverse("dashboard:alerts-review")
SQUARE = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]


@pytest.fixture
def gate(alice, make_camera):
    zones = [{"name": "door", "points": SQUARE}, {"name": "yard", "points": SQUARE}]
    return make_camera(alice, "Gate", zones=zones)


def ids(response) -> list[int]:
    return [alert.id for alert in response.context["alerts"]]


def seen_in(alert: Alert, *zones: str) -> Alert:
    moment = alert.occurred_at.isoformat()
    Alert.objects.filter(pk=alert.pk).update(
        seen_objects=[
            {"track_id": 1, "label": "person", "alert_type": "person", "first_seen": moment,
             "last_seen": moment, "confidence": 0.9, "zones": list(zones)}
        ]
    )  # fmt: skip
    return alert


def test_a_card_is_marked_reviewed_and_back_by_its_user_only(alice_client, alice, bob, gate, make_alert):
    alert = make_alert(gate)
    AlertReview.objects.create(alert=alert, user=bob)  # bob's review is not alice's
    assert "Mark reviewed" in alice_client.get(FEED).content.decode()
    response = alice_client.post(
        reverse("dashboard:alert-review", args=[alert.id]), {"next": FEED}, follow=True
    )
    assert response.redirect_chain[-1][0] == FEED
    page = response.content.decode()
    assert "✓ reviewed" in page and "is-reviewed" in page
    assert AlertReview.objects.filter(alert=alert, user=alice).exists()
    alice_client.post(reverse("dashboard:alert-review", args=[alert.id]), {"undo": "1"})
    assert not AlertReview.objects.filter(alert=alert, user=alice).exists()
    assert AlertReview.objects.filter(alert=alert, user=bob).exists()


def test_another_users_alert_is_not_found_and_not_counted(client, bob, gate, make_alert):
    alert = make_alert(gate)
    client.force_login(bob)
    assert client.post(reverse("dashboard:alert-review", args=[alert.id])).status_code == 404
    response = client.post(BULK, {"alert_ids": [alert.id]}, follow=True)
    assert "0 alerts marked reviewed" in response.content.decode()
    assert not AlertReview.objects.exists()


def test_many_are_marked_reviewed_and_bad_picks_change_nothing(alice_client, alice, gate, make_alert):
    alerts = [make_alert(gate) for _ in range(3)]
    refused = alice_client.post(BULK, {"alert_ids": [alerts[0].id, "x"]}, follow=True)
    assert "Select the alerts to mark reviewed first" in refused.content.decode()
    assert alice_client.post(BULK, {}, follow=True).status_code == 200
    assert not AlertReview.objects.exists()
    done = alice_client.post(BULK, {"alert_ids": [a.id for a in alerts[:2]], "next": FEED}, follow=True)
    assert "2 alerts marked reviewed" in done.content.decode()
    assert ids(alice_client.get(FEED, {"review": "no"})) == [alerts[2].id]
    assert ids(alice_client.get(FEED, {"review": "yes"})) == [alerts[1].id, alerts[0].id]


def test_anonymous_and_get_requests_cannot_mark(client, gate, make_alert):
    alert = make_alert(gate)
    target = reverse("dashboard:alert-review", args=[alert.id])
    assert client.post(target).status_code == 302  # to the sign-in page
    assert client.post(BULK, {"alert_ids": [alert.id]}).status_code == 302
    assert not AlertReview.objects.exists()


def test_the_zone_filter_offers_the_users_zones_and_keeps_their_alerts(alice_client, gate, make_alert):
    door = seen_in(make_alert(gate), "door")
    seen_in(make_alert(gate), "yard")
    make_alert(gate)
    response = alice_client.get(FEED, {"zone": "door"})
    assert ids(response) == [door.id]
    assert [value for value, _ in response.context["form"].fields["zone"].choices] == ["", "door", "yard"]
    # A zone that none of the user's cameras has is an error on the form and no filter.
    unknown = alice_client.get(FEED, {"zone": "vault"})
    assert unknown.context["form"].errors["zone"] and len(ids(unknown)) == 3


def test_the_count_and_the_shift_filter_cover_the_last_shift(alice_client, alice, gate, make_alert, settings):
    settings.REVIEW_SHIFT_STARTS = ["06:00", "18:00"]
    start = reviews.review_backlog_since(timezone.now())
    make_alert(gate, occurred_at=start - timedelta(minutes=1))
    inside = make_alert(gate, occurred_at=start + timedelta(minutes=1))
    newest = make_alert(gate)
    response = alice_client.get(FEED)
    assert response.context["to_review"] == 2
    assert "2 to review since the last shift" in response.content.decode()
    assert ids(alice_client.get(FEED, {"review": "no", "period": "shift"})) == [newest.id, inside.id]
    reviews.alerts_review(user=alice, alert_ids=[inside.id])
    polled = alice_client.get(POLL, {"after": newest.id})
    assert polled.status_code == 200 and polled.json()["to_review"] == 1


def test_the_alert_page_marks_its_alert_reviewed_and_back(alice_client, alice, gate, make_alert):
    alert = make_alert(gate)
    page = reverse("dashboard:alert", args=[alert.id])
    assert "Not reviewed by you" in alice_client.get(page).content.decode()
    back = alice_client.post(reverse("dashboard:alert-review", args=[alert.id]), {"next": page}, follow=True)
    assert back.redirect_chain[-1][0] == page
    assert "Reviewed by you" in back.content.decode() and "Mark not reviewed" in back.content.decode()
    # A next that leaves the site is not followed.
    away = alice_client.post(
        reverse("dashboard:alert-review", args=[alert.id]), {"undo": "1", "next": "https://evil.example/"}
    )
    assert away.status_code == 302 and not away["Location"].startswith("https://evil")
    assert not AlertReview.objects.filter(alert=alert, user=alice).exists()


def test_an_auditor_sees_the_alert_but_may_not_mark_it_reviewed(client, bob, gate, make_alert):
    from teams.models import Membership

    Membership.objects.create(team_id=gate.team_id, user=bob, role="auditor")
    alert = make_alert(gate)
    client.force_login(bob)
    assert client.get(reverse("dashboard:alert", args=[alert.id])).status_code == 200
    refused = client.post(reverse("dashboard:alert-review", args=[alert.id]))
    assert refused.status_code == 403
    assert not AlertReview.objects.filter(alert=alert).exists()
