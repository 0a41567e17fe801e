"""Input and output serializers of the notifications API (field names: docs/contracts.md)."""

from __future__ import annotations

from rest_framework import serializers

from cctv_common.redact import MASK, mask_url
from notifications.models import Channel, ChannelKind, Delivery, DeliveryStatus
from notifications.services import CHANNEL_RULE_FIELDS
from surveillance.ids import MAX_ID
from surveillance.models import AlertType


class ChannelInputSerializer(serializers.Serializer):
    """Create (kind and name required) and update (PATCH: every field optional; kind cannot change)."""

    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    name = serializers.CharField(max_length=100)
    team = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The owning team's id, on create only (default: your personal team); your role there must "
        "allow changing channels (admin or owner). The channel hears about that team's cameras.",
    )
    enabled = serializers.BooleanField(required=False)
    url = serializers.CharField(max_length=2048, required=False, allow_blank=True)
    secret = serializers.CharField(max_length=255, required=False, allow_blank=True, trim_whitespace=False)
    topic_prefix = serializers.CharField(max_length=200, required=False, allow_blank=True)
    username = serializers.CharField(max_length=255, required=False, allow_blank=True)
    password = serializers.CharField(max_length=255, required=False, allow_blank=True, trim_whitespace=False)
    addresses = serializers.ListField(child=serializers.EmailField(), max_length=20, required=False)
    cameras = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=200, required=False
    )
    alert_types = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertType.choices), required=False
    )
    zones = serializers.ListField(child=serializers.CharField(max_length=100), max_length=200, required=False)
    min_confidence = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    quiet_hours_start = serializers.TimeField(required=False, allow_null=True)
    quiet_hours_end = serializers.TimeField(required=False, allow_null=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    notify_on_open = serializers.BooleanField(required=False)
    notify_on_close = serializers.BooleanField(required=False)

    def validate(self, attrs):
        channel = self.context.get("channel")
        if channel is not None and "kind" in attrs and attrs["kind"] != channel.kind:
            raise serializers.ValidationError(
                {"kind": "A channel's kind cannot change; create another channel."}
            )
        if channel is not None:
            attrs.pop("kind", None)
        return attrs


class ChannelOutputSerializer(serializers.ModelSerializer):
    """A channel with its secret and password masked (they are shown once, at creation)."""

    url = serializers.SerializerMethodField()
    secret = serializers.SerializerMethodField()
    password = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = (
            "id", "kind", "name", "enabled", "url", "secret", "topic_prefix", "username", "password",
            "addresses", *CHANNEL_RULE_FIELDS, "team", "created_at", "updated_at",
        )  # fmt: skip

    def get_url(self, channel: Channel) -> str:
        return mask_url(channel.url)

    def get_secret(self, channel: Channel) -> str:
        return MASK if channel.secret else ""

    def get_password(self, channel: Channel) -> str:
        return MASK if channel.password else ""


class ChannelCreatedOutputSerializer(ChannelOutputSerializer):
    """The answer to a create: the only time the secret and password are shown."""

    def get_url(self, channel: Channel) -> str:
        return channel.url

    def get_secret(self, channel: Channel) -> str:
        return channel.secret

    def get_password(self, channel: Channel) -> str:
        return channel.password


class DeliveryFilterSerializer(serializers.Serializer):
    channel = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)


class DeliveryOutputSerializer(serializers.ModelSerializer):
    channel_name = serializers.CharField(source="channel.name")
    kind = serializers.CharField(source="channel.kind")
    next_attempt_at = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = (
            "id", "delivery_id", "channel", "channel_name", "kind", "event", "alert", "status", "attempts",
            "last_error", "response_status", "latency_seconds", "created_at", "delivered_at",
            "next_attempt_at",
        )  # fmt: skip

    def get_next_attempt_at(self, delivery: Delivery) -> str | None:
        if delivery.status != DeliveryStatus.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)
