"""The product as ``scripts/run`` runs it delivers notifications: its delivery process is started beside
the backend, and loopback/private targets are allowed there (the user's own network). A webhook channel
pointed at a real loopback receiver gets the demo camera's alert, signed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from cctv_local.options import DEFAULT_FOOTAGE
from notifications import signing
from support.product import RunningProduct, start_product, wait_for
from support.receiver import WebhookReceiver

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DEFAULT_FOOTAGE.exists(), reason="demo footage (Debian opencv-doc) not installed"),
]


@pytest.fixture
def product(tmp_path) -> Iterator[RunningProduct]:
    with start_product(
        tmp_path, "--poll-interval", "1", "--confidence", "0.4", "--demo-cameras", "1"
    ) as running:
        yield running


def test_the_demo_cameras_alert_reaches_a_webhook_on_the_users_network(product):
    with WebhookReceiver() as receiver:
        created = product.api(
            "POST",
            "/api/notifications/channels/",
            json={"kind": "webhook", "name": "home", "url": receiver.url},
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        wait_for(lambda: receiver.requests, within=150, what="a notification at the receiver")
        request = receiver.requests[0]
    assert request.headers["X-CCTV-Event"] == "alert.opened"
    assert signing.verify(
        secret=secret,
        timestamp=request.headers["X-CCTV-Timestamp"],
        body=request.body,
        signature_header=request.headers["X-CCTV-Signature"],
        now=time.time(),
    )
    alert = json.loads(request.body)["alert"]
    assert alert["alert_type"] in ("person", "intrusion")
    assert alert["snapshot_url"].startswith(product.url)
