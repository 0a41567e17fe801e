"""``alert.closed`` carries the event's clip (issue 19): the close is held until the clip is stored
(NOTIFY_CLOSE_CLIP_WAIT_SECONDS at most), then goes out at once with ``clip_url``, on every channel kind
(the hold is the outbox row's, whichever sender takes it). Real webhook receiver on loopback, the real
API for the worker's close and clip upload; time moved by an injected clock."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from backend.event_objects import at, seen_object
from notifications import services
from notifications.models import Delivery, DeliveryStatus
from support.clips import make_mp4

OBJECT = seen_object(zones=[])


@pytest.fixture
def channels(alice, make_webhook, receiver):
    hook = make_webhook(receiver.url, notify_on_open=False, notify_on_close=True)
    services.channel_create(
        user=alice,
        kind="email",
        name="inbox",
        addresses=["guard@example.com"],
        notify_on_close=True,
        notify_on_open=False,
    )
    services.channel_create(
        user=alice,
        kind="mqtt",
        name="home",
        url="mqtt://127.0.0.1:1",
        notify_on_close=True,
        notify_on_open=False,
    )
    return hook


def _open_and_close(camera_client, alert_payload, camera_id: int, key: str = "ev-1") -> None:
    body = alert_payload(
        alert_type="person",
        idempotency_key=key,
        status="open",
        started_at=at(0),
        objects=[OBJECT],
        revision=1,
    )
    assert camera_client.post("/api/send-alert/", body, format="json").status_code == 201
    closed = camera_client.put(
        f"/api/cameras/{camera_id}/events/{key}/",
        {
            "status": "closed",
            "ended_at": at(5),
            "confidence": 0.9,
            "description": "1 person",
            "peak_count": 1,
            "objects": [OBJECT],
            "revision": 2,
        },
        format="json",
    )
    assert closed.status_code == 200, closed.content


@pytest.mark.django_db(transaction=True)
def test_the_close_waits_for_the_clip_and_goes_out_with_its_url_as_soon_as_it_is_stored(
    channels, receiver, camera_client, alert_payload, alice_camera, make_dispatcher, clock, tmp_path, settings
):
    settings.NOTIFY_CLOSE_CLIP_WAIT_SECONDS = 90
    _open_and_close(camera_client, alert_payload, alice_camera.pk)
    clock.to(timezone.now())
    dispatcher = make_dispatcher(clock=clock)
    clock.advance(5)  # the post-roll being recorded: no close goes out yet
    dispatcher.run_once()
    held = Delivery.objects.filter(event="alert.closed")
    assert held.count() == 3
    assert all(d.attempts == 0 and d.payload["alert"]["clip_url"] is None for d in held)
    assert receiver.requests == []

    uploaded = camera_client.generic(
        "PUT",
        f"/api/cameras/{alice_camera.pk}/events/ev-1/clips/0/",
        make_mp4(tmp_path / "c.mp4").read_bytes(),
        content_type="video/mp4",
    )
    assert uploaded.status_code in (200, 201), uploaded.content
    for delivery in held.all():  # webhook, MQTT and e-mail alike: due now, with the clip
        assert delivery.next_attempt_at <= clock.now
        assert delivery.payload["alert"]["clip_url"].startswith("http")
    dispatcher.run_once()
    (request,) = receiver.wait_for(1, timeout=5)
    body = json.loads(request.body)
    assert body["event"] == "alert.closed" and body["alert"]["status"] == "closed"
    assert body["alert"]["clip_url"] == Delivery.objects.get(channel=channels).payload["alert"]["clip_url"]
    assert Delivery.objects.get(channel=channels).status == DeliveryStatus.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_without_a_clip_the_close_goes_out_after_the_bounded_wait(
    channels, receiver, camera_client, alert_payload, alice_camera, make_dispatcher, clock, settings
):
    settings.NOTIFY_CLOSE_CLIP_WAIT_SECONDS = 90
    _open_and_close(camera_client, alert_payload, alice_camera.pk)
    clock.to(timezone.now())
    dispatcher = make_dispatcher(clock=clock)
    clock.advance(89)
    dispatcher.run_once()
    assert receiver.requests == []
    clock.advance(2)
    dispatcher.run_once()
    (request,) = receiver.wait_for(1, timeout=5)
    body = json.loads(request.body)
    assert body["event"] == "alert.closed" and body["alert"]["clip_url"] is None


@pytest.mark.django_db(transaction=True)
def test_a_zero_wait_sends_the_close_at_once(
    channels, receiver, camera_client, alert_payload, alice_camera, make_dispatcher, clock, settings
):
    settings.NOTIFY_CLOSE_CLIP_WAIT_SECONDS = 0
    _open_and_close(camera_client, alert_payload, alice_camera.pk)
    clock.to(timezone.now())  # the test's clock never runs behind what the database holds
    make_dispatcher(clock=clock).run_once()
    assert json.loads(receiver.wait_for(1, timeout=5)[0].body)["event"] == "alert.closed"
