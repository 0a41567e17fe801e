"""The review backlog over the real API and database (issue 24): the count of what is left to review since
the last shift, and the feed's zone filter (``?zone=``), each scoped to the caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from backend.images import jpeg_base64
from surveillance.events import reviews, services
from surveillance.models import Alert, AlertReview


def alert_at(camera, occurred_at: datetime, *, zones: list[str] | None = None) -> Alert:
    objects = None
    if zones is not None:
        seen = occurred_at.isoformat()
        objects = [
            {"track_id": 1, "label": "person", "alert_type": "person", "first_seen": seen, "last_seen": seen,
             "confidence": 0.9, "zones": zones},
        ]  # fmt: skip
    alert, _ = services.alert_ingest(
        camera=camera, alert_type="person", confidence=0.9, image_base64=jpeg_base64(),
        occurred_at=occurred_at, objects=objects,
    )  # fmt: skip
    return alert


@pytest.fixture
def shift_start(settings) -> datetime:
    settings.REVIEW_SHIFT_STARTS = ["06:00", "18:00"]
    return reviews.review_backlog_since(timezone.now())


def test_the_count_is_the_callers_unreviewed_alerts_since_the_last_shift(
    alice_client, bob, alice_camera, shift_start
) -> None:
    before = alert_at(alice_camera, shift_start - timedelta(minutes=1))
    first = alert_at(alice_camera, shift_start)
    second = alert_at(alice_camera, timezone.now() - timedelta(seconds=5))
    AlertReview.objects.create(alert=first, user=bob)  # someone else's review does not count for alice
    answer = alice_client.get("/api/alerts/to-review/")
    assert answer.status_code == 200
    assert answer.json()["count"] == 2
    assert datetime.fromisoformat(answer.json()["since"]) == shift_start
    assert (
        alice_client.post("/api/alerts/review/", {"ids": [first.pk, before.pk]}, format="json").status_code
        == 200
    )
    assert alice_client.get("/api/alerts/to-review/").json()["count"] == 1
    alice_client.post(f"/api/alerts/{second.pk}/review/")
    assert alice_client.get("/api/alerts/to-review/").json()["count"] == 0


def test_the_since_is_the_shift_before_the_one_in_progress(shift_start) -> None:
    now = timezone.now().astimezone(UTC)
    assert timedelta(hours=12) <= now - shift_start < timedelta(hours=24)
    assert shift_start.astimezone(timezone.get_current_timezone()).strftime("%H:%M") in {"06:00", "18:00"}


def test_another_users_alerts_are_not_in_the_count(bob_client, alice_camera, bob_camera, shift_start) -> None:
    alert_at(alice_camera, timezone.now())
    alert_at(bob_camera, timezone.now())
    assert bob_client.get("/api/alerts/to-review/").json()["count"] == 1


def test_only_users_may_ask_for_the_count(anonymous_client, camera_client) -> None:
    assert anonymous_client.get("/api/alerts/to-review/").status_code in {401, 403}
    assert camera_client.get("/api/alerts/to-review/").status_code == 403
    # A GET route: a write is refused before anything is read.
    assert camera_client.post("/api/alerts/to-review/").status_code == 403


def test_the_zone_filter_keeps_alerts_with_an_object_in_that_zone(alice_client, alice_camera) -> None:
    now = timezone.now()
    door = alert_at(alice_camera, now, zones=["door", "yard"])
    yard = alert_at(alice_camera, now, zones=["yard"])
    alert_at(alice_camera, now)  # no objects at all
    by_zone = alice_client.get("/api/alerts/?zone=door")
    assert by_zone.status_code == 200
    assert [item["id"] for item in by_zone.json()["results"]] == [door.pk]
    yard_ids = {item["id"] for item in alice_client.get("/api/alerts/?zone=yard").json()["results"]}
    assert yard_ids == {door.pk, yard.pk}
    # A name that is a prefix, or a label, is not a zone.
    assert alice_client.get("/api/alerts/?zone=doo").json()["results"] == []
    assert alice_client.get("/api/alerts/?zone=person").json()["results"] == []
    combined = alice_client.get(f"/api/alerts/?zone=yard&reviewed=false&camera={alice_camera.pk}")
    assert combined.status_code == 200 and combined.json()["count"] == 2


def test_another_users_zone_shows_nothing(bob_client, alice_camera) -> None:
    alert_at(alice_camera, timezone.now(), zones=["door"])
    answer = bob_client.get("/api/alerts/?zone=door")
    assert answer.status_code == 200 and answer.json()["results"] == []


def test_odd_zone_values_are_refused_or_match_nothing(alice_client, alice_camera) -> None:
    alert_at(alice_camera, timezone.now(), zones=["door"])
    too_long = alice_client.get("/api/alerts/", {"zone": "x" * 101})
    assert too_long.status_code == 400 and "zone" in too_long.json()
    for odd in ['"}]', "door' OR 1=1 --", "%", "\u0000door"]:
        answer = alice_client.get("/api/alerts/", {"zone": odd})
        assert answer.status_code in {200, 400} and answer.json().get("results", []) == [], odd
    # Empty is no filter, as for the list's other parameters.
    assert alice_client.get("/api/alerts/", {"zone": ""}).json()["count"] == 1
