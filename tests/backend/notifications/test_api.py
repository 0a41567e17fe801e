"""The notifications REST API: the contract's field names, secrets shown once, validation, the test
action against a real receiver, the delivery log. Tenant isolation: tests/backend/test_route_matrix.py."""

from __future__ import annotations

import pytest

from notifications.models import Delivery
from notifications.serializers import MASK

CHANNELS = "/api/notifications/channels/"
DELIVERIES = "/api/notifications/deliveries/"


@pytest.mark.django_db
def test_a_webhook_channel_shows_its_secret_once_and_masks_it_afterwards(alice_client, allow_loopback):
    response = alice_client.post(
        CHANNELS,
        {"kind": "webhook", "name": "ops", "url": "http://127.0.0.1:9/hook", "secret": "s3cret-value"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["secret"] == "s3cret-value"
    shown = alice_client.get(f"{CHANNELS}{created['id']}/").json()
    assert shown["secret"] == MASK
    assert "s3cret-value" not in alice_client.get(CHANNELS).content.decode()


@pytest.mark.django_db
def test_a_webhook_without_a_secret_gets_a_generated_one(alice_client, allow_loopback):
    response = alice_client.post(CHANNELS, {"kind": "webhook", "name": "ops", "url": "http://127.0.0.1:9/"})
    assert response.status_code == 201
    assert len(response.json()["secret"]) >= 32


@pytest.mark.django_db
def test_an_mqtt_channel_takes_the_contract_fields_and_masks_its_password(
    alice_client, alice_camera, allow_loopback
):
    body = {
        "kind": "mqtt",
        "name": "home assistant",
        "url": "mqtt://127.0.0.1:1883",
        "topic_prefix": "cctv/home",
        "username": "ha",
        "password": "pw-123",
        "cameras": [alice_camera.pk],
        "alert_types": ["person", "vehicle"],
        "zones": ["driveway"],
        "min_confidence": 0.6,
        "quiet_hours_start": "23:00",
        "quiet_hours_end": "06:00",
        "time_zone": "Europe/Berlin",
        "notify_on_open": True,
        "notify_on_close": True,
    }
    response = alice_client.post(CHANNELS, body, format="json")
    assert response.status_code == 201, response.json()
    channel = alice_client.get(f"{CHANNELS}{response.json()['id']}/").json()
    assert channel["password"] == MASK and channel["username"] == "ha"
    assert channel["quiet_hours_start"] == "23:00:00" and channel["cameras"] == [alice_camera.pk]
    assert {
        key: channel[key] for key in ("topic_prefix", "alert_types", "zones", "min_confidence", "time_zone")
    } == {key: body[key] for key in ("topic_prefix", "alert_types", "zones", "min_confidence", "time_zone")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"kind": "webhook", "url": "ftp://example.com/"}, "url", "http"),
        ({"kind": "webhook", "url": "http://127.0.0.1/hook"}, "url", "NOTIFY_ALLOWED_NETWORKS"),
        ({"kind": "webhook", "url": "http://[::1]:8080/hook"}, "url", "NOTIFY_ALLOWED_NETWORKS"),
        ({"kind": "webhook", "url": "http://169.254.169.254/latest"}, "url", "NOTIFY_ALLOWED_NETWORKS"),
        ({"kind": "mqtt", "url": "http://broker:1883"}, "url", "mqtt://"),
        ({"kind": "mqtt", "url": "mqtt://broker:1883", "topic_prefix": "a/#"}, "topic_prefix", "levels"),
        ({"kind": "email", "addresses": []}, "addresses", "at least one"),
        ({"kind": "email", "addresses": ["not-an-address"]}, "addresses", "valid"),
        (
            {"kind": "email", "addresses": ["a@b.example"], "alert_types": ["ghost"]},
            "alert_types",
            "valid choice",
        ),
        ({"kind": "email", "addresses": ["a@b.example"], "time_zone": "Mars/Base"}, "time_zone", "time zone"),
        ({"kind": "email", "addresses": ["a@b.example"], "cameras": [999999]}, "cameras", "999999"),
        ({"kind": "email", "addresses": ["a@b.example"], "min_confidence": 1.5}, "min_confidence", "1"),
    ],
)
def test_bad_channels_answer_400_naming_the_field(alice_client, body, field, words):
    response = alice_client.post(CHANNELS, {"name": "x", **body}, format="json")
    assert response.status_code == 400, response.json()
    assert words in str(response.json()[field]), response.json()


@pytest.mark.django_db
def test_another_users_camera_cannot_be_named_in_a_rule(alice_client, bob_camera):
    body = {"kind": "email", "name": "x", "addresses": ["a@b.example"], "cameras": [bob_camera.pk]}
    response = alice_client.post(CHANNELS, body, format="json")
    assert response.status_code == 400 and "cameras" in response.json()


@pytest.mark.django_db
def test_a_channels_kind_cannot_change_and_patch_keeps_the_rest(alice_client):
    created = alice_client.post(
        CHANNELS, {"kind": "email", "name": "mail", "addresses": ["a@b.example"]}, format="json"
    ).json()
    url = f"{CHANNELS}{created['id']}/"
    assert alice_client.patch(url, {"kind": "webhook"}, format="json").status_code == 400
    patched = alice_client.patch(url, {"min_confidence": 0.7, "enabled": False}, format="json").json()
    assert (
        patched["min_confidence"] == 0.7
        and patched["enabled"] is False
        and patched["addresses"] == ["a@b.example"]
    )
    assert alice_client.delete(url).status_code == 204
    assert alice_client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_test_action_sends_now_and_logs_the_delivery(alice_client, allow_loopback, receiver):
    created = alice_client.post(
        CHANNELS, {"kind": "webhook", "name": "ops", "url": receiver.url}, format="json"
    ).json()
    response = alice_client.post(f"{CHANNELS}{created['id']}/test/")
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "delivered" and result["event"] == "test" and result["attempts"] == 1
    assert receiver.requests[0].headers["X-CCTV-Event"] == "test"
    assert receiver.requests[0].headers["X-CCTV-Delivery"] == result["delivery_id"]

    receiver.responses = [(500, {})]
    failed = alice_client.post(f"{CHANNELS}{created['id']}/test/").json()
    assert failed["status"] == "failed" and failed["last_error"].startswith("HTTP 500")
    assert failed["next_attempt_at"] is None  # a test is not retried


@pytest.mark.django_db
def test_the_delivery_log_lists_status_attempts_error_and_latency(alice_client, alice, raise_alert):
    from notifications import services

    channel = services.channel_create(user=alice, kind="email", name="mail", addresses=["a@b.example"])
    alert = raise_alert()
    page = alice_client.get(DELIVERIES, {"channel": channel.pk, "status": "pending"}).json()
    assert page["count"] == 1
    entry = page["results"][0]
    assert entry["alert"] == alert.pk and entry["event"] == "alert.opened" and entry["kind"] == "email"
    assert {"status", "attempts", "last_error", "latency_seconds", "delivery_id", "next_attempt_at"} <= set(
        entry
    )
    detail = alice_client.get(f"{DELIVERIES}{entry['id']}/").json()
    assert detail["delivery_id"] == str(Delivery.objects.get().delivery_id)
    assert alice_client.get(DELIVERIES, {"status": "nonsense"}).status_code == 400


@pytest.mark.django_db
def test_rules_decide_which_channels_get_an_alert(alice, alice_camera, make_camera, raise_alert):
    from notifications import services

    garage = make_camera(alice, name="Garage", rtsp_url="rtsp://10.0.0.7/live")
    services.channel_create(user=alice, kind="email", name="all", addresses=["a@b.example"])
    services.channel_create(
        user=alice, kind="email", name="garage fire", addresses=["a@b.example"], cameras=[garage.pk],
        alert_types=["fire"], min_confidence=0.8,
    )  # fmt: skip
    services.channel_create(user=alice, kind="email", name="off", addresses=["a@b.example"], enabled=False)
    raise_alert(alert_type="fire", confidence=0.9)  # front door
    raise_alert(camera=garage, alert_type="fire", confidence=0.7, description="weak")
    raise_alert(camera=garage, alert_type="fire", confidence=0.9, description="strong")
    got = sorted(Delivery.objects.values_list("channel__name", "alert__description"))
    assert got == [
        ("all", "Person at the door"), ("all", "strong"), ("all", "weak"), ("garage fire", "strong"),
    ]  # fmt: skip


@pytest.mark.django_db
def test_an_alert_that_rolls_back_leaves_no_notification(alice, alice_camera):
    from django.db import transaction

    from backend.images import jpeg_base64
    from notifications import services
    from surveillance.events import services as surveillance_services

    services.channel_create(user=alice, kind="email", name="mail", addresses=["a@b.example"])
    with pytest.raises(RuntimeError), transaction.atomic():
        surveillance_services.alert_ingest(
            camera=alice_camera, alert_type="person", confidence=0.9, image_base64=jpeg_base64()
        )
        assert Delivery.objects.count() == 1
        raise RuntimeError("the request fails after the alert was written")
    assert Delivery.objects.count() == 0
