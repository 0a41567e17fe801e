"""Fixtures of the notification tests: loopback allowed as a target, a clock tests move, a dispatcher."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from backend.images import jpeg_base64
from cctv_common.network_policy import parse_networks
from notifications import services
from notifications.dispatcher import Dispatcher
from support.receiver import WebhookReceiver
from surveillance.events import services as surveillance_services


class Clock:
    """Time that a test moves by hand (retry windows, heartbeats that stop) instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or timezone.now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def to(self, when: datetime) -> None:
        self.now = max(self.now, when)


@pytest.fixture
def allow_loopback(settings):
    # Targets on this machine are loopback; the product refuses them unless the operator allows them.
    settings.NOTIFY_ALLOWED_NETWORKS = parse_networks("127.0.0.0/8,::1/128")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_dispatcher():
    made = []

    def make(**kwargs) -> Dispatcher:
        dispatcher = Dispatcher(**{"concurrency": 4, **kwargs})
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        dispatcher.close()


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def make_webhook(alice, allow_loopback):
    def make(url: str, **fields):
        return services.channel_create(
            user=alice, kind="webhook", name=fields.pop("name", "hook"), url=url, **fields
        )

    return make


@pytest.fixture
def raise_alert(alice_camera, clock):
    def raise_(**fields):
        alert, _ = surveillance_services.alert_ingest(
            camera=fields.pop("camera", alice_camera),
            alert_type=fields.pop("alert_type", "person"),
            confidence=fields.pop("confidence", 0.9),
            description=fields.pop("description", "Person at the door"),
            image_base64=jpeg_base64(),
            **fields,
        )
        clock.to(timezone.now())  # the test's clock never runs behind what the database holds
        return alert

    return raise_
