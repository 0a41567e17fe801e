"""Notification channels of a user (with their rules), the outbox of deliveries, cameras' availability.

A ``Delivery`` row is the outbox: written in the alert's transaction, claimed and sent by the delivery
process (``manage.py deliver_notifications``), kept afterwards as the delivery log.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from notifications.validators import (
    check_channel_target,
    validate_addresses,
    validate_alert_type_list,
    validate_camera_ids,
    validate_time_zone,
    validate_topic_prefix,
    validate_zone_names,
)
from teams.models import OwnedByTeam


class ChannelKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    MQTT = "mqtt", "MQTT"
    EMAIL = "email", "E-mail"


class Event(models.TextChoices):
    """What a delivery announces (the webhook's ``X-CCTV-Event``)."""

    OPENED = "alert.opened", "Alert opened"
    CLOSED = "alert.closed", "Alert closed"
    TEST = "test", "Test message"
    AVAILABILITY = "camera.availability", "Camera availability"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Channel(OwnedByTeam, models.Model):
    """Where a team's alerts go (a webhook, an MQTT broker, e-mail addresses) and which alerts go there."""

    # Who added it; the team owns it (issue 25) and hears about its cameras' alerts.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channels")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)

    # Target. Webhook: an http(s) URL and the signing secret. MQTT: mqtt://host:port or mqtts://host:port,
    # a topic prefix, optional credentials. E-mail: addresses (SMTP from the environment).
    url = models.CharField("URL", max_length=2048, blank=True)
    secret = models.CharField(max_length=255, blank=True)
    topic_prefix = models.CharField(max_length=200, blank=True, validators=[validate_topic_prefix])
    username = models.CharField(max_length=255, blank=True)
    password = models.CharField(max_length=255, blank=True)
    addresses = models.JSONField(default=list, blank=True, validators=[validate_addresses])

    # Rules: empty lists mean "all".
    cameras = models.JSONField(default=list, blank=True, validators=[validate_camera_ids])
    alert_types = models.JSONField(default=list, blank=True, validators=[validate_alert_type_list])
    zones = models.JSONField(default=list, blank=True, validators=[validate_zone_names])
    min_confidence = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    notify_on_open = models.BooleanField(default=True)
    notify_on_close = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                name="channel_name_unique_per_user",
                violation_error_message="You already have a channel with this name.",
            ),
            models.CheckConstraint(
                condition=Q(min_confidence__gte=0) & Q(min_confidence__lte=1),
                name="channel_min_confidence_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def clean(self) -> None:
        check_channel_target(self)


class Delivery(models.Model):
    """One message to one channel: pending in the outbox until sent, then the delivery log's record."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    # The alert stays optional: test and availability messages have none, and a purged alert keeps its log.
    alert = models.ForeignKey(
        "surveillance.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    event = models.CharField(max_length=32, choices=Event.choices)
    # The webhook's X-CCTV-Delivery: fixed at enqueue, the same on every retry.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(default=dict)

    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    # When the row is next due. A claim moves it a lease ahead, so a killed sender's rows come back.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    latency_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The delivery process's claim: pending rows by due time.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due"),
            models.Index(fields=["channel", "-created_at"], name="delivery_channel_recent"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event} to {self.channel} ({self.status})"


class ChannelCameraAvailability(models.Model):
    """The availability last announced to an MQTT channel for a camera, so that only changes are sent."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    camera = models.ForeignKey("surveillance.Camera", on_delete=models.CASCADE, related_name="+")
    online = models.BooleanField()
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "camera"], name="availability_unique_per_channel_camera"
            )
        ]
        verbose_name_plural = "camera availability"

    def __str__(self) -> str:
        return f"camera {self.camera_id} {'online' if self.online else 'offline'} on {self.channel_id}"
