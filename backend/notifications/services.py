"""Writes of notifications: channels, the outbox (enqueue in the alert's transaction), claims and results.

The alert hooks are ``notify_alert_opened`` (called by ``surveillance.events.services.alert_ingest`` inside
the alert's transaction) and ``notify_alert_closed`` (for whoever closes an alert, inside that transaction):
the outbox row commits or rolls back with the alert, so a crash loses no notification and invents none.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from notifications import backoff, metrics, payloads, rules
from notifications.models import (
    Channel,
    ChannelCameraAvailability,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Event,
    new_webhook_secret,
)
from notifications.senders import Outcome
from surveillance import access
from surveillance.access import Action
from surveillance.cameras.services import url_with_kept_secrets
from surveillance.models import Alert, Clip
from teams.services import team_for_new_row

logger = logging.getLogger(__name__)

CHANNEL_TARGET_FIELDS = frozenset({"url", "secret", "topic_prefix", "username", "password", "addresses"})
# In the order the API lists them (the serializer's fields).
CHANNEL_RULE_FIELDS = (
    "cameras",
    "alert_types",
    "zones",
    "min_confidence",
    "quiet_hours_start",
    "quiet_hours_end",
    "time_zone",
    "notify_on_open",
    "notify_on_close",
)
CHANNEL_EDITABLE_FIELDS = CHANNEL_TARGET_FIELDS | {*CHANNEL_RULE_FIELDS, "name", "enabled"}


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - CHANNEL_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable channel fields: {', '.join(sorted(unknown))}")


def _check_cameras_visible(channel: Channel) -> None:
    """A channel's rules name cameras of its own team (the only ones it hears about); whoever may change
    the channel may see every one of them (``Action.CHANGE`` includes ``Action.VIEW``)."""
    visible = access.team_cameras(channel.team_id).filter(pk__in=channel.cameras)
    unknown = sorted(set(channel.cameras) - set(visible.values_list("pk", flat=True)))
    if unknown:
        raise ValidationError({"cameras": f"No camera of yours has the id {', '.join(map(str, unknown))}."})


def channel_create(*, user: User, kind: str, name: str, team: int | None = None, **fields: Any) -> Channel:
    """A new channel of ``team`` (default: the user's personal team; the user's role there must allow
    changing channels); a webhook without a secret gets a generated one (shown once by the API)."""
    _check_fields(fields)
    owner = team_for_new_row(user=user, team_id=team, action=Action.CHANGE)
    if kind == ChannelKind.MQTT and not fields.get("topic_prefix"):
        fields["topic_prefix"] = "cctv"
    if kind == ChannelKind.WEBHOOK and not fields.get("secret"):
        fields["secret"] = new_webhook_secret()
    channel = Channel(user=user, team=owner, kind=kind, name=name, **fields)
    channel.full_clean()
    _check_cameras_visible(channel)
    channel.save()
    logger.info("notification channel %s (%s) created by user %s", channel.pk, kind, user.pk)
    return channel


def channel_update(*, channel: Channel, **fields: Any) -> Channel:
    """Change a channel; a ``***`` left in its URL (shown masked) keeps the stored secret, as for cameras."""
    team = fields.pop("team", None)
    if team is not None and team != channel.team_id:
        raise ValidationError({"team": ["A channel stays in the team it was added to."]})
    _check_fields(fields)
    if fields.get("url"):
        try:
            fields["url"] = url_with_kept_secrets(submitted=fields["url"], stored=channel.url)
        except ValidationError as error:
            raise ValidationError({"url": error.messages}) from None
    changed = [name for name, value in fields.items() if getattr(channel, name) != value]
    if not changed:
        return channel
    for name in changed:
        setattr(channel, name, fields[name])
    channel.full_clean()
    _check_cameras_visible(channel)
    channel.save(update_fields=[*changed, "updated_at"])
    return channel


def channel_delete(*, channel: Channel) -> None:
    """Delete the channel with its pending deliveries and its delivery log."""
    channel.delete()


# --- the outbox --------------------------------------------------------------------------------------


def _rules_of(channel: Channel) -> rules.Rules:
    return rules.Rules(
        cameras=tuple(channel.cameras),
        alert_types=tuple(channel.alert_types),
        zones=tuple(channel.zones),
        min_confidence=channel.min_confidence,
        quiet_hours_start=channel.quiet_hours_start,
        quiet_hours_end=channel.quiet_hours_end,
        time_zone=channel.time_zone,
        notify_on_open=channel.notify_on_open,
        notify_on_close=channel.notify_on_close,
    )


def _facts_of(alert: Alert) -> rules.AlertFacts:
    """What the rules look at. An event's zones are those its seen objects were in (the worker names
    each object's zones); an alert without objects (a seed client's) is in no zone. Stored objects are
    read defensively: rows saved before every field was validated may hold anything."""
    zones = {
        zone
        for seen in alert.seen_objects or ()
        if isinstance(seen, dict)
        for zone in seen.get("zones") or ()
        if isinstance(zone, str)
    }
    return rules.AlertFacts(
        camera_id=alert.camera_id,
        alert_type=alert.alert_type,
        confidence=alert.confidence,
        zones=tuple(sorted(zones)),
    )


def _enqueue_alert_event(
    *, alert: Alert, event: str, now: datetime | None, hold_seconds: float = 0.0
) -> list[Delivery]:
    now = now or timezone.now()
    # A team's channels hear about the team's cameras.
    channels = Channel.objects.filter(team_id=alert.camera.team_id, enabled=True)
    facts = _facts_of(alert)
    wanted = [channel for channel in channels if rules.wants(_rules_of(channel), facts, event=event, now=now)]
    wanted = _within_channel_rate(wanted, now=now)
    if not wanted:
        return []
    payload = payloads.alert_payload(alert, event=event)
    return Delivery.objects.bulk_create(
        [
            Delivery(
                channel=channel,
                alert=alert,
                event=event,
                payload=payload,
                created_at=now,
                next_attempt_at=now + timedelta(seconds=hold_seconds),
            )
            for channel in wanted
        ]
    )


def _within_channel_rate(channels: list[Channel], *, now: datetime) -> list[Channel]:
    """The channels that have queued fewer than NOTIFY_CHANNEL_RATE_PER_MINUTE alert notifications in the
    last minute; the others' notification is dropped and counted: an e-mail channel must not become an
    unthrottled relay for whoever can open and close events."""
    if not channels:
        return channels
    limit = settings.NOTIFY_CHANNEL_RATE_PER_MINUTE
    recent = dict(
        Delivery.objects.filter(
            channel__in=channels, alert__isnull=False, created_at__gt=now - timedelta(minutes=1)
        )
        .values("channel_id")
        .annotate(count=Count("pk"))
        .values_list("channel_id", "count")
    )
    allowed = []
    for channel in channels:
        if recent.get(channel.pk, 0) < limit:
            allowed.append(channel)
        else:
            metrics.SUPPRESSED.labels(kind=channel.kind).inc()
            logger.warning("channel %s reached %d notifications a minute: one dropped", channel.pk, limit)
    return allowed


def notify_alert_opened(*, alert: Alert, now: datetime | None = None) -> list[Delivery]:
    """Queue ``alert.opened`` to every channel whose rules want the alert.

    Call inside the alert's transaction."""
    return _enqueue_alert_event(alert=alert, event=Event.OPENED, now=now)


def notify_alert_closed(*, alert: Alert, now: datetime | None = None) -> list[Delivery]:
    """Queue ``alert.closed`` (channels with ``notify_on_close``).

    Call inside the transaction that closes the alert (the events work's hook). Held for the event's
    clip (NOTIFY_CLOSE_CLIP_WAIT_SECONDS) unless it has one already: ``notify_clip_stored`` sends it
    with ``clip_url`` when the clip comes; past the wait it goes out without."""
    has_clip = Clip.objects.filter(alert=alert).exists()
    hold = 0.0 if has_clip else settings.NOTIFY_CLOSE_CLIP_WAIT_SECONDS
    return _enqueue_alert_event(alert=alert, event=Event.CLOSED, now=now, hold_seconds=hold)


def notify_clip_stored(*, alert: Alert, now: datetime | None = None) -> int:
    """The event's clip is stored: its held ``alert.closed`` deliveries (not tried yet) get the clip's
    URL and are due now. Call inside the clip's transaction. Returns how many were released."""
    now = now or timezone.now()
    held = Delivery.objects.filter(
        alert=alert, event=Event.CLOSED, status=DeliveryStatus.PENDING, attempts=0
    ).select_for_update()
    released = 0
    for delivery in held:
        delivery.payload = payloads.alert_payload(alert, event=Event.CLOSED)
        delivery.next_attempt_at = min(delivery.next_attempt_at, now)
        delivery.save(update_fields=["payload", "next_attempt_at"])
        released += 1
    return released


def outbox_claim(*, now: datetime, limit: int, lease_seconds: float) -> list[Delivery]:
    """Take up to ``limit`` due deliveries for this process: each is moved a lease ahead and counted as an
    attempt, so a process killed while sending leaves rows that another claim picks up after the lease.

    PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` lets several delivery processes claim side by side.
    SQLite: the settings open every transaction ``IMMEDIATE`` (the write lock at BEGIN), so claims are
    serialised and the same rows cannot be handed out twice.
    """
    lease_until = now + timedelta(seconds=lease_seconds)
    with transaction.atomic():
        due = _fair_share(now=now, limit=limit)
        if not due:
            return []
        Delivery.objects.filter(pk__in=due).update(
            next_attempt_at=lease_until,
            attempts=F("attempts") + 1,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
        )
    return list(
        Delivery.objects.filter(pk__in=due)
        .select_related("channel", "alert")
        .order_by("next_attempt_at", "id")
    )


def _fair_share(*, now: datetime, limit: int) -> list[int]:
    """Up to ``limit`` due deliveries, locked for this process, shared among the channels that have due
    deliveries (the longest-waiting channels first, each at most an equal share of the batch): one
    tenant's flood of thousands of rows waits its turn behind nobody else's single alert."""
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    channels = list(
        due.values("channel_id")
        .annotate(oldest=Min("next_attempt_at"))
        .order_by("oldest", "channel_id")[:limit]
    )
    share = max(1, limit // max(1, len(channels)))
    chosen: list[int] = []
    for row in channels:
        chosen += list(
            due.filter(channel_id=row["channel_id"])
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:share]
        )
    # Locked now; a row another process claimed meanwhile is skipped (and no longer due after its claim).
    return list(
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=chosen, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)
    )


RESULT_FIELDS = (
    "response_status",
    "last_error",
    "status",
    "delivered_at",
    "latency_seconds",
    "next_attempt_at",
)


def _result_fields(delivery: Delivery, outcome: Outcome, now: datetime) -> dict[str, Any]:
    """What an attempt's outcome changes on its row: delivered, pending again (backoff) or failed."""
    fields: dict[str, Any] = {"response_status": outcome.status, "last_error": outcome.error[:2000]}
    if outcome.ok:
        latency = max(0.0, (now - delivery.created_at).total_seconds())
        fields.update(
            status=DeliveryStatus.DELIVERED, delivered_at=now, latency_seconds=latency, last_error=""
        )
        return fields
    when = None
    if outcome.retryable:
        when = backoff.next_attempt_at(
            now=now,
            first_attempt_at=delivery.first_attempt_at or now,
            attempt=delivery.attempts,
            retry_after=outcome.retry_after,
            base=settings.NOTIFY_BACKOFF_BASE_SECONDS,
            cap=settings.NOTIFY_BACKOFF_MAX_SECONDS,
            window=settings.NOTIFY_RETRY_WINDOW_SECONDS,
        )
    if when is not None:
        fields.update(status=DeliveryStatus.PENDING, next_attempt_at=when)
    else:
        fields.update(status=DeliveryStatus.FAILED)
    return fields


def _count(delivery: Delivery, outcome: Outcome) -> None:
    kind = delivery.channel.kind
    if delivery.status == DeliveryStatus.DELIVERED:
        metrics.SENT.labels(kind=kind).inc()
        if delivery.latency_seconds is not None:  # always set with DELIVERED (_result_fields)
            metrics.LATENCY.labels(kind=kind).observe(delivery.latency_seconds)
    elif delivery.status == DeliveryStatus.FAILED:
        metrics.FAILED.labels(kind=kind).inc()
        logger.warning(
            "delivery %s to channel %s failed for good: %s",
            delivery.delivery_id,
            delivery.channel_id,
            outcome.error,
        )
    else:
        metrics.RETRIED.labels(kind=kind).inc()


def deliveries_record(*, results: list[tuple[Delivery, Outcome, datetime]]) -> int:
    """Store the outcomes of a batch of attempts in one transaction; returns how many rows were written.

    Each row is written only if it is still at the attempt this process claimed: if a lease ran out and
    another process took the row over, that process's attempt is the one recorded. (One UPDATE per row:
    Django's bulk_update compiles its CASE expressions slower than the database runs these.)
    """
    written = []
    with transaction.atomic():
        for delivery, outcome, now in results:
            fields = _result_fields(delivery, outcome, now)
            updated = Delivery.objects.filter(
                pk=delivery.pk, attempts=delivery.attempts, status=DeliveryStatus.PENDING
            ).update(**fields)
            if updated:
                for name, value in fields.items():
                    setattr(delivery, name, value)
                written.append((delivery, outcome))
    for delivery, outcome in written:
        _count(delivery, outcome)
    return len(written)


def delivery_record(*, delivery: Delivery, outcome: Outcome, now: datetime) -> str:
    """One attempt's outcome (see ``deliveries_record``); returns the status written, "" if taken over."""
    written = deliveries_record(results=[(delivery, outcome, now)])
    return delivery.status if written else ""


def channel_send_test(*, channel: Channel, send, now: datetime | None = None) -> Delivery:
    """Send a test message now (one attempt, no retry) and log it as a delivery; returns the record."""
    from notifications.messages import message_for

    now = now or timezone.now()
    delivery = Delivery.objects.create(
        channel=channel,
        event=Event.TEST,
        payload=payloads.test_payload(channel),
        created_at=now,
        next_attempt_at=now,
        first_attempt_at=now,
        attempts=1,
    )
    outcome = send(message_for(delivery))
    if not outcome.ok:
        outcome = Outcome.final(outcome.error, status=outcome.status)  # a test is not retried
    delivery_record(delivery=delivery, outcome=outcome, now=timezone.now())
    return delivery


def availability_sweep(*, now: datetime) -> int:
    """Queue a retained availability message for every (MQTT channel, camera) whose online state changed
    since it was last announced (and the first time). Heartbeats that stop are noticed here, by time.
    Returns how many messages were queued."""
    queued = 0
    channels = list(Channel.objects.filter(kind=ChannelKind.MQTT, enabled=True))
    if not channels:
        return 0
    by_team = access.cameras_by_team({channel.team_id for channel in channels})
    known = {
        (row.channel_id, row.camera_id): row
        for row in ChannelCameraAvailability.objects.filter(channel__in=channels)
    }
    with transaction.atomic():
        for channel in channels:
            for camera in by_team.get(channel.team_id, []):
                if channel.cameras and camera.pk not in channel.cameras:
                    continue
                online = camera.is_active and camera.is_online(now)
                row = known.get((channel.pk, camera.pk))
                if row is not None and row.online == online:
                    continue
                if row is None:
                    ChannelCameraAvailability.objects.create(
                        channel=channel, camera=camera, online=online, changed_at=now
                    )
                else:
                    ChannelCameraAvailability.objects.filter(pk=row.pk).update(online=online, changed_at=now)
                Delivery.objects.create(
                    channel=channel,
                    event=Event.AVAILABILITY,
                    payload=payloads.availability_payload(camera, online=online, at=now),
                    created_at=now,
                    next_attempt_at=now,
                )
                queued += 1
    return queued
