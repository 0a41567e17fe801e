"""MQTT against a real broker (Debian's mosquitto, started here on a free port) and a real subscriber:
the documented topics, QoS 1, retained availability that flips when a camera's heartbeats stop."""

from __future__ import annotations

import json

import pytest

from notifications import services
from notifications.models import Delivery, DeliveryStatus
from support.mosquitto import Mosquitto, Subscriber
from surveillance.cameras import services as surveillance_services


@pytest.fixture
def broker(tmp_path):
    with Mosquitto(tmp_path) as running:
        yield running


@pytest.fixture
def mqtt_channel(alice, allow_loopback, broker):
    return services.channel_create(
        user=alice, kind="mqtt", name="home", url=broker.url, topic_prefix="site/a"
    )


@pytest.mark.django_db
def test_an_alert_arrives_on_the_events_topic_and_the_camera_type_topic(
    broker, mqtt_channel, alice_camera, raise_alert, make_dispatcher, clock
):
    with Subscriber(broker.port, "site/a/#") as subscriber:
        alert = raise_alert(alert_type="fire", confidence=0.93)
        make_dispatcher(clock=clock).run_once()
        events = subscriber.wait_for("site/a/events")
        typed = subscriber.wait_for(f"site/a/{alice_camera.pk}/fire")
    body = json.loads(events[0].payload)
    assert body["event"] == "alert.opened"
    assert body["alert"]["id"] == alert.pk and body["alert"]["confidence"] == 0.93
    assert json.loads(typed[0].payload) == body
    assert events[0].qos == 1 and not events[0].retain
    assert Delivery.objects.get(alert=alert).status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
def test_availability_is_retained_and_flips_to_offline_when_heartbeats_stop(
    broker, mqtt_channel, alice_camera, make_dispatcher, clock, settings
):
    topic = f"site/a/{alice_camera.pk}/availability"
    surveillance_services.camera_record_heartbeat(
        camera=alice_camera, stream_state="up", fps=10, now=clock.now
    )
    dispatcher = make_dispatcher(clock=clock, sweep_seconds=0)
    dispatcher.run_once()  # the sweep queues "online"
    dispatcher.run_once()  # and sends it
    # A subscriber arriving later gets the retained state at once.
    with Subscriber(broker.port, topic) as late:
        assert late.wait_for(topic)[0].payload == b"online"
        assert late.messages[0].retain

        # No heartbeat for longer than CAMERA_ONLINE_SECONDS: the camera is offline.
        clock.advance(settings.CAMERA_ONLINE_SECONDS + 1)
        dispatcher.run_once()
        dispatcher.run_once()
        assert [m.payload for m in late.wait_for(topic, count=2)] == [b"online", b"offline"]

        # Heartbeats again: online.
        surveillance_services.camera_record_heartbeat(
            camera=alice_camera, stream_state="up", fps=10, now=clock.now
        )
        dispatcher.run_once()
        dispatcher.run_once()
        assert [m.payload for m in late.wait_for(topic, count=3)][-1] == b"online"
    # Only changes are sent: three messages for three states.
    assert Delivery.objects.filter(event="camera.availability").count() == 3


@pytest.mark.django_db
def test_a_broker_that_is_down_is_retried_and_a_refused_login_is_final(
    alice, allow_loopback, raise_alert, make_dispatcher, clock, tmp_path
):
    from support.net import free_port

    services.channel_create(user=alice, kind="mqtt", name="down", url=f"mqtt://127.0.0.1:{free_port()}")
    alert = raise_alert()
    make_dispatcher(clock=clock).run_once()
    delivery = Delivery.objects.get(alert=alert)
    assert delivery.status == DeliveryStatus.PENDING and "broker unreachable" in delivery.last_error

    with Mosquitto(tmp_path, allow_anonymous=False) as strict:
        channel = services.channel_create(
            user=alice, kind="mqtt", name="strict", url=strict.url, username="cam", password="wrong"
        )
        delivery = Delivery.objects.create(channel=channel, event="test", payload={"event": "test"})
        clock.to(delivery.next_attempt_at)
        make_dispatcher(clock=clock).run_once()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and "refused the connection" in delivery.last_error
