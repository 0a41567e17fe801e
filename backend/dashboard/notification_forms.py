"""The dashboard's notification channel form: the API's fields, with secrets write-only."""

from __future__ import annotations

from typing import cast

from django import forms

from cctv_common.redact import mask_url
from notifications.models import ChannelKind
from notifications.services import CHANNEL_EDITABLE_FIELDS
from surveillance.models import AlertType

SECRET_FIELDS = ("secret", "password")


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(choices=ChannelKind.choices)
    name = forms.CharField(max_length=100)
    enabled = forms.BooleanField(required=False, initial=True)
    url = forms.CharField(
        label="URL",
        max_length=2048,
        required=False,
        help_text="Webhook: https://… · MQTT: mqtt://host:1883 or mqtts://host:8883",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    secret = forms.CharField(
        max_length=255,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Webhook signing secret. Empty: generated for a new channel, kept for an existing one.",
    )
    topic_prefix = forms.CharField(
        label="Topic prefix", max_length=200, required=False, help_text="MQTT (cctv)"
    )
    username = forms.CharField(max_length=255, required=False, help_text="MQTT")
    password = forms.CharField(
        max_length=255,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="MQTT. Empty keeps the stored one.",
    )
    addresses = forms.CharField(
        max_length=2000, required=False, help_text="E-mail: addresses separated by commas"
    )
    cameras = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: every camera."
    )
    alert_types = forms.MultipleChoiceField(
        choices=AlertType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every type.",
    )
    min_confidence = forms.FloatField(label="Minimum confidence", min_value=0, max_value=1, initial=0)
    quiet_hours_start = forms.TimeField(
        label="Quiet from", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_hours_end = forms.TimeField(
        label="Quiet until", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    time_zone = forms.CharField(label="Time zone", max_length=64, initial="UTC")
    notify_on_open = forms.BooleanField(label="When an alert opens", required=False, initial=True)
    notify_on_close = forms.BooleanField(label="When an alert closes", required=False)

    def __init__(self, *args, cameras=(), channel=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel
        cast(forms.MultipleChoiceField, self.fields["cameras"]).choices = [
            (str(camera.pk), camera.name) for camera in cameras
        ]
        if channel is not None:
            self.fields["kind"].disabled = True

    def clean_addresses(self) -> list[str]:
        return [item.strip() for item in self.cleaned_data["addresses"].split(",") if item.strip()]

    def clean_cameras(self) -> list[int]:
        return [int(item) for item in self.cleaned_data["cameras"]]

    def service_fields(self) -> dict:
        """The cleaned data as the service's keyword arguments (empty secrets keep the stored ones)."""
        data = {key: value for key, value in self.cleaned_data.items() if key in CHANNEL_EDITABLE_FIELDS}
        for name in SECRET_FIELDS:
            if not data.get(name) and self.channel is not None:
                data.pop(name, None)
        return data

    def add_service_errors(self, error) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


def initial_of(channel) -> dict:
    return {
        "kind": channel.kind, "name": channel.name, "enabled": channel.enabled, "url": mask_url(channel.url),
        "topic_prefix": channel.topic_prefix, "username": channel.username,
        "addresses": ", ".join(channel.addresses), "cameras": [str(pk) for pk in channel.cameras],
        "alert_types": channel.alert_types, "min_confidence": channel.min_confidence,
        "quiet_hours_start": channel.quiet_hours_start, "quiet_hours_end": channel.quiet_hours_end,
        "time_zone": channel.time_zone, "notify_on_open": channel.notify_on_open,
        "notify_on_close": channel.notify_on_close,
    }  # fmt: skip
