"""A channel's zone rule against events ingested over the real API: the zones are read from the event's
seen objects (the worker names each object's zones), so an event with an object in the zone notifies
and one outside it does not."""

from __future__ import annotations

import json

import pytest

from backend.event_objects import at, seen_object
from notifications.models import Delivery


def _open_event(camera_client, alert_payload, *, key: str, zones: list[str]) -> dict:
    body = alert_payload(
        alert_type="person",
        idempotency_key=key,
        status="open",
        started_at=at(0),
        objects=[seen_object(zones=zones)],
        revision=1,
    )
    response = camera_client.post("/api/send-alert/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db(transaction=True)
def test_an_event_with_an_object_in_the_channels_zone_is_notified_and_one_outside_is_not(
    receiver, make_webhook, camera_client, alert_payload, make_dispatcher
):
    channel = make_webhook(receiver.url, zones=["Porch"])

    inside = _open_event(camera_client, alert_payload, key="ev-porch", zones=["Porch", "Garden"])
    outside = _open_event(camera_client, alert_payload, key="ev-drive", zones=["Driveway"])

    assert list(Delivery.objects.values_list("channel_id", "alert_id")) == [(channel.pk, inside["id"])]
    make_dispatcher().run_once()
    request = receiver.wait_for(1, timeout=5)[0]
    assert json.loads(request.body)["alert"]["id"] == inside["id"]
    assert not Delivery.objects.filter(alert_id=outside["id"]).exists()
