"""One tenant's flood of notifications (issue 20, Medium 3): a channel queues at most
NOTIFY_CHANNEL_RATE_PER_MINUTE alert notifications a minute, and the delivery process's batches are
shared among the channels with due rows, so another tenant's single alert is not queued behind it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications import metrics, services
from notifications.models import Delivery, DeliveryStatus, Event


@pytest.mark.django_db
def test_a_channel_queues_at_most_its_rate_and_counts_what_it_drops(
    receiver, make_webhook, raise_alert, settings
) -> None:
    settings.NOTIFY_CHANNEL_RATE_PER_MINUTE = 3
    channel = make_webhook(receiver.url)
    before = metrics.SUPPRESSED.labels(kind="webhook")._value.get()
    for index in range(5):
        raise_alert(idempotency_key=f"flood-{index}")
    assert Delivery.objects.filter(channel=channel).count() == 3
    assert metrics.SUPPRESSED.labels(kind="webhook")._value.get() == before + 2


@pytest.mark.django_db
def test_a_flooded_channel_does_not_hold_back_another_tenants_delivery(
    alice, bob, allow_loopback, clock
) -> None:
    flooded = services.channel_create(
        user=bob, kind="webhook", name="b", url="http://127.0.0.1:9/", secret="s"
    )
    quiet = services.channel_create(
        user=alice, kind="webhook", name="a", url="http://127.0.0.1:9/", secret="s"
    )
    earlier = clock.now - timedelta(minutes=5)
    Delivery.objects.bulk_create(
        Delivery(channel=flooded, event=Event.TEST, payload={}, created_at=earlier, next_attempt_at=earlier)
        for _ in range(500)
    )
    Delivery.objects.create(
        channel=quiet, event=Event.TEST, payload={}, created_at=clock.now, next_attempt_at=clock.now
    )
    claimed = services.outbox_claim(now=clock.now, limit=10, lease_seconds=60)
    assert len(claimed) == 6  # an equal share each: 5 and the one there is (never more than the limit)
    assert {d.channel_id for d in claimed} == {flooded.pk, quiet.pk}
    assert Delivery.objects.filter(channel=quiet, status=DeliveryStatus.PENDING, attempts=1).count() == 1
