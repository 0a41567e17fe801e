"""surveillance.cameras.selectors and surveillance.events.selectors: every read is
scoped to its user; alert filters and order."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import Http404

from backend.images import jpeg_base64
from surveillance.cameras import selectors as camera_selectors
from surveillance.cameras import services as camera_services
from surveillance.events import selectors as event_selectors
from surveillance.events import services as event_services

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_cameras_of_returns_only_the_users_cameras(alice, alice_camera, bob_camera):
    assert list(camera_selectors.cameras_of(alice)) == [alice_camera]


def test_camera_of_another_user_is_not_found(alice, bob_camera):
    with pytest.raises(Http404):
        camera_selectors.camera_of(user=alice, camera_id=bob_camera.pk)


def test_active_cameras_span_every_user_in_id_order(alice_camera, bob_camera, make_camera, alice):
    make_camera(alice, name="Off", is_active=False)
    assert list(camera_selectors.cameras_active()) == [alice_camera, bob_camera]


def test_alerts_of_filters_by_camera_type_acknowledgement_and_time(
    alice, alice_camera, bob_camera, make_camera
):
    side = make_camera(alice, name="Side")
    made = {}
    for index, (camera, kind) in enumerate(
        [(alice_camera, "person"), (alice_camera, "fire"), (side, "person"), (bob_camera, "person")]
    ):
        made[index], _ = event_services.alert_ingest(
            camera=camera,
            alert_type=kind,
            confidence=0.9,
            image_base64=jpeg_base64(),
            occurred_at=T0 + timedelta(hours=index),
        )
    event_services.alert_acknowledge(alert=made[1], user=alice)

    def ids(**filters):
        return [alert.pk for alert in event_selectors.alerts_of(alice, **filters)]

    assert ids() == [made[2].pk, made[1].pk, made[0].pk]  # newest first, never Bob's
    assert ids(camera_id=side.pk) == [made[2].pk]
    assert ids(camera_id=bob_camera.pk) == []
    assert ids(alert_type="fire") == [made[1].pk]
    assert ids(acknowledged=True) == [made[1].pk]
    assert ids(acknowledged=False) == [made[2].pk, made[0].pk]
    assert ids(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=2)) == [made[1].pk]


def test_camera_state_counts_split_active_cameras_by_heartbeat(alice_camera, bob_camera, make_camera, alice):
    make_camera(alice, name="Off")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    camera_services.camera_record_heartbeat(camera=alice_camera, stream_state="up", fps=5, now=now)
    camera_services.camera_record_heartbeat(camera=bob_camera, stream_state="down", fps=0, now=now)
    assert camera_selectors.camera_state_counts(now=now) == {"inactive": 1, "online": 1, "offline": 1}
