"""Webhooks against a real HTTP receiver on loopback: signature, retries with the same delivery id,
final 4xx, Retry-After, outbound policy. Time is moved by an injected clock, never slept."""

from __future__ import annotations

import json
import threading
import time

import pytest

from notifications import signing
from notifications.models import Delivery, DeliveryStatus
from support.receiver import WebhookReceiver


def _verify(request, secret: str) -> bool:
    return signing.verify(
        secret=secret,
        timestamp=request.headers[signing.TIMESTAMP_HEADER],
        body=request.body,
        signature_header=request.headers[signing.SIGNATURE_HEADER],
        now=time.time(),
        tolerance=30,
    )


def _deliver_until_settled(dispatcher, clock, delivery: Delivery, *, until_seconds: float) -> None:
    """Run rounds, moving the clock to each next attempt, until the delivery settles or time runs out."""
    end = clock.now.timestamp() + until_seconds
    while clock.now.timestamp() <= end:
        dispatcher.run_once()
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.PENDING:
            return
        clock.to(delivery.next_attempt_at)


@pytest.mark.django_db(transaction=True)
def test_an_alert_reaches_the_receiver_within_2_s_with_a_valid_signature(
    receiver, make_webhook, camera_client, alert_payload, make_dispatcher
):
    channel = make_webhook(receiver.url)
    stop = threading.Event()
    dispatcher = make_dispatcher(poll_seconds=0.2)
    loop = threading.Thread(target=dispatcher.run, args=(stop,), daemon=True)
    loop.start()
    try:
        sent_at = time.time()
        response = camera_client.post("/api/send-alert/", alert_payload(alert_type="person"), format="json")
        assert response.status_code == 201
        request = receiver.wait_for(1, timeout=5)[0]
    finally:
        stop.set()
        loop.join(10)
    assert request.at - sent_at < 2.0
    assert _verify(request, channel.secret)
    assert request.headers[signing.EVENT_HEADER] == "alert.opened"
    body = json.loads(request.body)
    alert = body["alert"]
    assert alert["id"] == response.json()["id"]
    assert alert["camera_id"] == alert_payload()["camera_id"]
    assert {"camera_name", "alert_type", "confidence", "description", "started_at", "ended_at",
            "snapshot_url",
            "dashboard_url", "live_url"} <= set(alert)  # fmt: skip
    assert alert["snapshot_url"].startswith("http") and "/media/snapshots/" in alert["snapshot_url"]
    assert alert["live_url"].startswith("http")
    assert alert["live_url"].endswith(f"/dashboard/cameras/{alert['camera_id']}/live/")
    delivery = Delivery.objects.get()
    assert request.headers[signing.DELIVERY_HEADER] == str(delivery.delivery_id)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.latency_seconds < 2.0


@pytest.mark.django_db
def test_a_receiver_down_for_a_minute_gets_the_alert_once_with_its_delivery_id(
    make_webhook, raise_alert, make_dispatcher, clock, settings
):
    settings.NOTIFY_BACKOFF_BASE_SECONDS = 2
    settings.NOTIFY_BACKOFF_MAX_SECONDS = 30
    down = WebhookReceiver()  # not started: connections are refused
    make_webhook(down.url)
    alert = raise_alert()
    delivery = Delivery.objects.get(alert=alert)
    dispatcher = make_dispatcher(clock=clock)
    start = clock.now
    _deliver_until_settled(dispatcher, clock, delivery, until_seconds=60)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts >= 4 and "connection failed" in delivery.last_error
    assert (clock.now - start).total_seconds() >= 60 - 30  # a minute of (moved) time went by

    with down.start() as receiver:
        clock.advance(1)
        _deliver_until_settled(dispatcher, clock, delivery, until_seconds=120)
        clock.advance(3600)
        dispatcher.run_once()  # nothing more goes out
        assert len(receiver.requests) == 1
    assert receiver.requests[0].headers[signing.DELIVERY_HEADER] == str(delivery.delivery_id)
    assert delivery.status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
def test_retries_after_5xx_carry_the_same_delivery_id_and_fresh_signatures(
    receiver, make_webhook, raise_alert, make_dispatcher, clock
):
    channel = make_webhook(receiver.url)
    receiver.responses = [503, 502]
    raise_alert()
    delivery = Delivery.objects.get()
    _deliver_until_settled(make_dispatcher(clock=clock), clock, delivery, until_seconds=600)
    assert [r.status for r in receiver.requests] == [503, 502, 200]
    assert {r.headers[signing.DELIVERY_HEADER] for r in receiver.requests} == {str(delivery.delivery_id)}
    assert all(_verify(r, channel.secret) for r in receiver.requests)
    assert delivery.attempts == 3 and delivery.status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
def test_a_4xx_fails_the_delivery_at_once_without_retries(
    receiver, make_webhook, raise_alert, make_dispatcher, clock
):
    make_webhook(receiver.url)
    receiver.responses = [(404, {})]
    raise_alert()
    dispatcher = make_dispatcher(clock=clock)
    for _ in range(5):
        dispatcher.run_once()
        clock.advance(3600)
    delivery = Delivery.objects.get()
    assert len(receiver.requests) == 1
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.response_status == 404 and delivery.last_error.startswith("HTTP 404")


@pytest.mark.django_db
def test_429_with_retry_after_waits_as_long_as_the_receiver_asks(
    receiver, make_webhook, raise_alert, make_dispatcher, clock
):
    make_webhook(receiver.url)
    receiver.responses = [(429, {"Retry-After": "300"})]
    raise_alert()
    dispatcher = make_dispatcher(clock=clock)
    dispatcher.run_once()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert (delivery.next_attempt_at - clock.now).total_seconds() >= 300
    clock.advance(299)
    dispatcher.run_once()
    assert len(receiver.requests) == 1  # not before the receiver said
    clock.advance(2)
    dispatcher.run_once()
    delivery.refresh_from_db()
    assert len(receiver.requests) == 2 and delivery.status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
def test_the_retry_window_ends_in_a_failed_delivery(
    make_webhook, raise_alert, make_dispatcher, clock, settings
):
    settings.NOTIFY_RETRY_WINDOW_SECONDS = 120
    make_webhook(WebhookReceiver().url)  # never started
    raise_alert()
    delivery = Delivery.objects.get()
    _deliver_until_settled(make_dispatcher(clock=clock), clock, delivery, until_seconds=3600)
    assert delivery.status == DeliveryStatus.FAILED
    assert (clock.now - delivery.first_attempt_at).total_seconds() <= 120


@pytest.mark.django_db
def test_a_loopback_target_is_refused_unless_the_operator_allows_it(
    receiver, make_webhook, raise_alert, make_dispatcher, clock, settings
):
    make_webhook(receiver.url)
    settings.NOTIFY_ALLOWED_NETWORKS = ()  # the operator narrows the policy after the channel was made
    raise_alert()
    make_dispatcher(clock=clock).run_once()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "127.0.0.1" in delivery.last_error and "NOTIFY_ALLOWED_NETWORKS" in delivery.last_error
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_redirect_to_a_refused_address_is_not_followed(
    receiver, make_webhook, raise_alert, make_dispatcher, clock, settings
):
    from cctv_common.network_policy import parse_networks

    inner = WebhookReceiver()
    inner_url = f"http://127.0.0.2:{inner.port}/internal"
    make_webhook(receiver.url)
    settings.NOTIFY_ALLOWED_NETWORKS = parse_networks("127.0.0.1/32")
    receiver.responses = [(307, {"Location": inner_url})]
    raise_alert()
    make_dispatcher(clock=clock).run_once()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and "127.0.0.2" in delivery.last_error
    assert len(receiver.requests) == 1
