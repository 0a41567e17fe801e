"""Zone editor saves (and refuses) polygons; statistics count per type per day and per camera."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard import selectors

ZONE = {
    "name": "driveway",
    "points": [[0.1, 0.2], [0.9, 0.2], [0.9, 0.9]],
    "intrusion": True,
    "exclusive": True,
}


def test_zone_editor_draws_on_the_latest_snapshot(alice_client, alice, make_camera, make_alert):
    camera = make_camera(alice)
    make_alert(camera, occurred_at=timezone.now() - timedelta(hours=1))
    latest = make_alert(camera)
    make_alert(camera, image=False)  # newer, but without a picture to draw on
    response = alice_client.get(reverse("dashboard:zones", args=[camera.id]))
    assert response.context["snapshot"] == latest
    assert latest.snapshot.url in response.content.decode()


def test_zone_editor_without_any_snapshot_offers_a_blank_frame(alice_client, alice, make_camera):
    camera = make_camera(alice)
    assert (
        "No snapshot yet" in alice_client.get(reverse("dashboard:zones", args=[camera.id])).content.decode()
    )


def test_saving_zones_stores_them_in_the_camera_config(alice_client, alice, make_camera):
    camera = make_camera(alice)
    response = alice_client.post(reverse("dashboard:zones", args=[camera.id]), {"zones": json.dumps([ZONE])})
    assert response.status_code == 302
    camera.refresh_from_db()
    assert camera.zones == [ZONE]


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps([{**ZONE, "points": [[0.1, 0.1], [0.2, 0.2]]}]), "needs 3 to"),
        (json.dumps([{**ZONE, "points": [[0.1, 0.1], [0.2, 0.2], [1.5, 0.3]]}]), "0 <= x, y <= 1"),
        (json.dumps([ZONE, ZONE]), "must be unique"),
    ],
)
def test_invalid_zones_are_refused_with_a_reason_and_the_old_zones_kept(
    alice_client, alice, make_camera, zones, message
):
    camera = make_camera(alice, zones=[ZONE])
    response = alice_client.post(reverse("dashboard:zones", args=[camera.id]), {"zones": zones})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["zones"])
    assert 'id="zones-error"' in response.content.decode()
    camera.refresh_from_db()
    assert camera.zones == [ZONE]


def test_a_rejected_drawing_is_shown_again_for_fixing(alice_client, alice, make_camera):
    camera = make_camera(alice)
    two_points = [{"name": "half", "points": [[0.1, 0.1], [0.2, 0.2]]}]
    response = alice_client.post(
        reverse("dashboard:zones", args=[camera.id]), {"zones": json.dumps(two_points)}
    )
    assert response.context["zones"] == two_points


def test_statistics_count_alerts_per_type_per_day_and_per_camera(
    alice_client, alice, bob, make_camera, make_alert
):
    gate, yard = make_camera(alice, "Gate"), make_camera(alice, "Yard", url="rtsp://10.0.0.8/s")
    now = timezone.now()
    for _ in range(3):
        make_alert(gate, "person", occurred_at=now, image=False)
    make_alert(gate, "vehicle", occurred_at=now - timedelta(days=2), image=False)
    make_alert(yard, "fire", occurred_at=now, image=False)
    make_alert(yard, "fire", occurred_at=now - timedelta(days=45), image=False)  # outside the 30 days
    make_alert(make_camera(bob, "Bob cam"), "smoke", occurred_at=now, image=False)

    today = timezone.localdate()
    per_day = selectors.alerts_per_day_and_type(alice, days=selectors.last_days(today, 30))
    assert per_day == {(today, "person"): 3, (today, "fire"): 1, (today - timedelta(days=2), "vehicle"): 1}
    rows, hidden = selectors.alerts_per_camera_and_type(alice, since=now - timedelta(days=30), limit=1)
    assert rows == [("Gate", {"person": 3, "vehicle": 1})] and hidden == 1

    response = alice_client.get(reverse("dashboard:statistics"))
    assert response.context["total"] == 5
    body = response.content.decode()
    assert f"{today:%d %b}: 3 person" in body and "Yard: 1 fire" in body
    assert "Bob cam" not in body and "smoke</" not in body


MASK = {"name": "tree", "points": [[0.0, 0.0], [0.3, 0.0], [0.3, 0.4]]}


def test_saving_motion_masks_stores_them_beside_the_zones(alice_client, alice, make_camera):
    camera = make_camera(alice)
    response = alice_client.post(
        reverse("dashboard:zones", args=[camera.id]),
        {"zones": json.dumps([ZONE]), "motion_masks": json.dumps([MASK])},
    )
    assert response.status_code == 302
    camera.refresh_from_db()
    assert camera.zones == [ZONE] and camera.motion_masks == [MASK]
    page = alice_client.get(reverse("dashboard:zones", args=[camera.id])).content.decode()
    assert 'id="masks-data"' in page and "tree" in page and 'id="mask-new"' in page


def test_posting_zones_only_keeps_the_motion_masks(alice_client, alice, make_camera):
    camera = make_camera(alice, motion_masks=[MASK])
    alice_client.post(reverse("dashboard:zones", args=[camera.id]), {"zones": json.dumps([ZONE])})
    camera.refresh_from_db()
    assert camera.motion_masks == [MASK]


@pytest.mark.parametrize(
    ("masks", "message"),
    [
        ("[{", "not valid JSON"),
        (json.dumps([{**MASK, "points": [[0.1, 0.1], [0.2, 0.2]]}]), "needs 3 to"),
        (json.dumps([{**MASK, "points": [[0.1, 0.1], [0.2, 0.2], [1.5, 0.3]]}]), "0 <= x, y <= 1"),
        (json.dumps([{**MASK, "intrusion": True}]), "unknown keys: intrusion"),
    ],
)
def test_invalid_motion_masks_are_refused_with_a_reason_and_nothing_saved(
    alice_client, alice, make_camera, masks, message
):
    camera = make_camera(alice, motion_masks=[MASK])
    response = alice_client.post(
        reverse("dashboard:zones", args=[camera.id]), {"zones": "[]", "motion_masks": masks}
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["motion_masks"])
    assert 'id="masks-error"' in response.content.decode()
    camera.refresh_from_db()
    assert camera.motion_masks == [MASK]
