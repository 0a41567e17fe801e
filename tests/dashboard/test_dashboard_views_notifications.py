"""Dashboard notification pages: add, edit (secrets write-only), send a test, delete, the delivery log,
and another user's channels answer 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cctv_common.network_policy import parse_networks
from notifications import services
from notifications.models import Channel, Delivery
from support.receiver import WebhookReceiver


@pytest.fixture
def allow_loopback(settings):
    settings.NOTIFY_ALLOWED_NETWORKS = parse_networks("127.0.0.0/8")


def _form(**fields) -> dict:
    base = {"kind": "email", "name": "mail", "enabled": "on", "min_confidence": "0", "time_zone": "UTC",
            "notify_on_open": "on", "addresses": "a@example.com, b@example.com"}  # fmt: skip
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


@pytest.mark.django_db
def test_a_user_adds_an_email_channel_with_rules_and_sees_it_listed(alice_client, alice, make_camera):
    camera = make_camera(alice)
    response = alice_client.post(
        reverse("dashboard:channel-create"),
        _form(
            cameras=[str(camera.pk)],
            alert_types=["fire", "smoke"],
            quiet_hours_start="22:00",
            quiet_hours_end="06:30",
            time_zone="Europe/Paris",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get(user=alice)
    assert channel.addresses == ["a@example.com", "b@example.com"] and channel.cameras == [camera.pk]
    assert channel.alert_types == ["fire", "smoke"] and channel.time_zone == "Europe/Paris"
    page = alice_client.get(reverse("dashboard:notifications")).content.decode()
    assert "mail" in page and "a@example.com" in page


@pytest.mark.django_db
def test_bad_input_is_shown_next_to_its_field(alice_client):
    response = alice_client.post(
        reverse("dashboard:channel-create"), _form(addresses="", time_zone="Nowhere/X")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "at least one address" in page


@pytest.mark.django_db
def test_editing_keeps_a_secret_left_empty_and_never_shows_it(alice_client, alice, allow_loopback):
    channel = services.channel_create(
        user=alice, kind="webhook", name="ops", url="http://127.0.0.1:9/", secret="keep-me"
    )
    url = reverse("dashboard:channel-edit", args=[channel.pk])
    assert "keep-me" not in alice_client.get(url).content.decode()
    response = alice_client.post(
        url, _form(kind="webhook", name="ops2", url="http://127.0.0.1:9/x", addresses="")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel.refresh_from_db()
    assert channel.secret == "keep-me" and channel.name == "ops2"


@pytest.mark.django_db
def test_send_test_reports_the_result_and_the_log_shows_it(alice_client, alice, allow_loopback):
    with WebhookReceiver() as receiver:
        channel = services.channel_create(user=alice, kind="webhook", name="ops", url=receiver.url)
        response = alice_client.post(reverse("dashboard:channel-test", args=[channel.pk]), follow=True)
    assert "Test message delivered" in response.content.decode()
    assert len(receiver.requests) == 1
    log = alice_client.get(reverse("dashboard:deliveries") + f"?channel={channel.pk}").content.decode()
    assert "delivered" in log and Delivery.objects.get().event in log


@pytest.mark.django_db
def test_another_users_channel_is_404_on_every_page(alice_client, bob):
    channel = services.channel_create(user=bob, kind="email", name="bob-x", addresses=["bob@example.com"])
    assert alice_client.get(reverse("dashboard:channel-edit", args=[channel.pk])).status_code == 404
    assert alice_client.post(reverse("dashboard:channel-test", args=[channel.pk])).status_code == 404
    assert alice_client.post(reverse("dashboard:channel-delete", args=[channel.pk])).status_code == 404
    assert alice_client.get(reverse("dashboard:deliveries") + f"?channel={channel.pk}").status_code == 404
    assert "bob-x" not in alice_client.get(reverse("dashboard:notifications")).content.decode()
    assert Channel.objects.filter(pk=channel.pk).exists()
