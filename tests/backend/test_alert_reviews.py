"""Review state of events, per user (issue 24), over the real API and database: mark and unmark one,
mark many, ``reviewed`` in every alert answer for the caller, the list's reviewed/unreviewed filter,
another user's alerts out of reach, refused input, and no query per alert in the list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.images import jpeg_base64
from surveillance.events import services
from surveillance.models import AlertReview


@pytest.fixture
def alice_alerts(alice_camera):
    return [
        services.alert_ingest(
            camera=alice_camera, alert_type="person", confidence=0.9, image_base64=jpeg_base64(),
            description=f"alert {index}",
        )[0]
        for index in range(3)
    ]  # fmt: skip


def listed(client, query: str = "") -> dict[int, bool]:
    response = client.get(f"/api/alerts/?{query}")
    assert response.status_code == 200, response.content
    return {item["id"]: item["reviewed"] for item in response.json()["results"]}


def test_an_alert_is_reviewed_and_unreviewed_by_its_user(alice_client, alice_alerts) -> None:
    first, second, third = (alert.pk for alert in alice_alerts)
    assert listed(alice_client) == {first: False, second: False, third: False}
    answer = alice_client.post(f"/api/alerts/{second}/review/")
    assert answer.status_code == 200 and answer.json()["reviewed"] is True
    reviewed_at = AlertReview.objects.get(alert_id=second).reviewed_at
    assert alice_client.post(f"/api/alerts/{second}/review/").json()["reviewed"] is True  # idempotent
    assert AlertReview.objects.get(alert_id=second).reviewed_at == reviewed_at  # the first time stays
    assert alice_client.get(f"/api/alerts/{second}/").json()["reviewed"] is True
    assert listed(alice_client) == {first: False, second: True, third: False}
    assert listed(alice_client, "reviewed=true") == {second: True}
    assert listed(alice_client, "reviewed=false") == {first: False, third: False}
    assert listed(alice_client, "reviewed=false&pagination=cursor") == {first: False, third: False}
    undone = alice_client.delete(f"/api/alerts/{second}/review/")
    assert undone.status_code == 200 and undone.json()["reviewed"] is False
    assert listed(alice_client, "reviewed=true") == {}
    assert alice_client.get(f"/api/alerts/{second}/").json()["acknowledged"] is False  # a separate state


def test_review_state_is_each_users_own(alice_client, bob, alice_alerts) -> None:
    # Another user's review of the same alert (as when teams share cameras) is not alice's.
    AlertReview.objects.create(alert=alice_alerts[0], user=bob)
    assert listed(alice_client)[alice_alerts[0].pk] is False
    assert listed(alice_client, "reviewed=true") == {}


def test_many_alerts_are_marked_reviewed_at_once(alice_client, alice_alerts) -> None:
    ids = [alert.pk for alert in alice_alerts]
    answer = alice_client.post("/api/alerts/review/", {"ids": [*ids, 10**9]}, format="json")
    assert answer.status_code == 200 and answer.json() == {"reviewed": 3}
    assert alice_client.post("/api/alerts/review/", {"ids": ids}, format="json").json() == {"reviewed": 0}
    assert set(listed(alice_client).values()) == {True}


def test_another_users_alerts_cannot_be_reviewed_or_probed(bob_client, alice_alerts) -> None:
    target = alice_alerts[0].pk
    assert bob_client.post(f"/api/alerts/{target}/review/").status_code == 404
    assert bob_client.delete(f"/api/alerts/{target}/review/").status_code == 404
    many = bob_client.post("/api/alerts/review/", {"ids": [target]}, format="json")
    assert many.status_code == 200 and many.json() == {"reviewed": 0}
    assert not AlertReview.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"ids": ["x"]}, {"ids": [-1]}, {"ids": list(range(1, 1002))}, {"ids": 5}],
    ids=["missing", "empty", "text", "negative", "over-1000", "not-a-list"],
)
def test_bad_bulk_input_is_refused(alice_client, alice_alerts, body) -> None:
    response = alice_client.post("/api/alerts/review/", body, format="json")
    assert response.status_code == 400 and "ids" in response.json()
    assert not AlertReview.objects.exists()


def test_a_bad_reviewed_filter_is_refused(alice_client, alice_alerts) -> None:
    response = alice_client.get("/api/alerts/?reviewed=perhaps")
    assert response.status_code == 400 and "reviewed" in response.json()


def test_the_list_reads_review_state_without_a_query_per_alert(alice_client, alice_camera) -> None:
    for index in range(20):
        services.alert_ingest(
            camera=alice_camera, alert_type="person", confidence=0.9, image_base64=jpeg_base64(),
            description=f"many {index}",
        )  # fmt: skip
    alice_client.post("/api/alerts/review/", {"ids": [1]}, format="json")
    with CaptureQueriesContext(connection) as few:
        alice_client.get("/api/alerts/?page_size=5")
    with CaptureQueriesContext(connection) as many:
        alice_client.get("/api/alerts/?page_size=20")
    assert len(many) == len(few)
