"""Forms of the dashboard: they parse and check what a user typed; the services do the writing."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from dashboard.paging import BadCursor, decode_cursor
from surveillance.access import Action, cameras_visible_to
from surveillance.models import AlertType, Camera, setting_applies
from surveillance.validators import (
    validate_detector,
    validate_motion_masks,
    validate_object_filters,
    validate_rtsp_url,
    validate_zones,
)

# Model fields the camera form edits, in the order the form shows them.
CAMERA_FIELDS = (
    "name",
    "rtsp_url",
    "detect_rtsp_url",
    "alert_types",
    "confidence_threshold",
    "cooldown_seconds",
    "event_grace_seconds",
    "event_max_seconds",
    "pre_roll_seconds",
    "post_roll_seconds",
    "frame_skip",
    "detect_fps",
    "min_box_area",
    "forced_detect_interval",
    "object_filters",
    "detector",
    # recording (issue 23)
    "record_mode",
    "retain_continuous_days",
    "retain_motion_days",
    "retain_events_days",
)


def _model_field(name: str):
    return Camera._meta.get_field(name)


def _model_max(name: str):
    """The model's upper bound of a field, so that the form refuses what the model would refuse."""
    return next(v.limit_value for v in _model_field(name).validators if isinstance(v, MaxValueValidator))


def _model_min(name: str):
    """The model's lower bound of a field (0 for a positive integer field without one)."""
    found = [v.limit_value for v in _model_field(name).validators if isinstance(v, MinValueValidator)]
    return found[0] if found else 0


def _bounds(name: str) -> dict:
    """min_value, max_value, initial (the default) and help text of a number field, from the model."""
    field = _model_field(name)
    bounds = {"min_value": _model_min(name), "max_value": _model_max(name), "help_text": field.help_text}
    if field.has_default():
        bounds["initial"] = field.get_default()
    return bounds


class CameraForm(forms.Form):
    """Name, RTSP URL and detection config of one camera (zones have their own editor)."""

    name = forms.CharField(max_length=100)
    rtsp_url = forms.CharField(
        label="RTSP URL",
        max_length=1024,
        validators=[validate_rtsp_url],
        widget=forms.TextInput(
            attrs={
                "placeholder": "rtsp://user:password@192.168.1.100:554/stream1",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
        help_text="The password is stored but never shown again; leave *** in place to keep it.",
    )
    detect_rtsp_url = forms.CharField(
        label="Detection sub-stream URL",
        required=False,
        max_length=1024,
        validators=[validate_rtsp_url],
        widget=forms.TextInput(
            attrs={
                "placeholder": "rtsp://user:password@192.168.1.100:554/stream2 (optional)",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
        help_text="Optional low-resolution stream to detect on; the RTSP URL then only feeds clips. "
        "Its password is never shown again either; leave *** in place to keep it.",
    )
    alert_types = forms.MultipleChoiceField(
        choices=AlertType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Alert types this camera raises.",
    )
    confidence_threshold = forms.FloatField(
        label="Confidence threshold",
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        **_bounds("confidence_threshold"),
    )
    cooldown_seconds = forms.IntegerField(label="Cooldown (seconds)", **_bounds("cooldown_seconds"))
    event_grace_seconds = forms.IntegerField(label="Event grace (seconds)", **_bounds("event_grace_seconds"))
    event_max_seconds = forms.IntegerField(label="Longest event (seconds)", **_bounds("event_max_seconds"))
    pre_roll_seconds = forms.IntegerField(label="Clip pre-roll (seconds)", **_bounds("pre_roll_seconds"))
    post_roll_seconds = forms.IntegerField(label="Clip post-roll (seconds)", **_bounds("post_roll_seconds"))
    frame_skip = forms.IntegerField(label="Frame skip", **_bounds("frame_skip"))
    detect_fps = forms.FloatField(
        label="Detection FPS",
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1"}),
        **_bounds("detect_fps"),
    )
    min_box_area = forms.FloatField(
        label="Minimum box area", widget=forms.NumberInput(attrs={"step": "0.01"}), **_bounds("min_box_area")
    )

    forced_detect_interval = forms.FloatField(
        label="Forced detection every (seconds)",
        required=False,  # blank: the model's default (clean_forced_detect_interval)
        widget=forms.NumberInput(attrs={"step": "1"}),
        **{
            **_bounds("forced_detect_interval"),
            "help_text": _model_field("forced_detect_interval").help_text
            + " Motion masks are drawn in the zone editor.",
        },
    )
    object_filters = forms.CharField(
        label="Object filters (JSON)",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "spellcheck": "false", "placeholder": '{"person": {"min_score": 0.6}}'}
        ),
        help_text=_model_field("object_filters").help_text,
    )

    detector = forms.CharField(
        label="Detector",
        required=False,  # blank: the operator's default detector
        max_length=_model_field("detector").max_length,
        initial=_model_field("detector").default,
        validators=[validate_detector],
        widget=forms.TextInput(attrs={"placeholder": "default", "spellcheck": "false"}),
        help_text=_model_field("detector").help_text,
    )

    # --- recording (issue 23); left out or blank: the model's default (clean_* below) ---
    record_mode = forms.ChoiceField(
        label="Record",
        required=False,
        choices=_model_field("record_mode").choices,
        initial=_model_field("record_mode").default,
        help_text=_model_field("record_mode").help_text,
    )
    retain_continuous_days = forms.IntegerField(
        label="Keep continuous recordings (days)", required=False, **_bounds("retain_continuous_days")
    )
    retain_motion_days = forms.IntegerField(
        label="Keep motion recordings (days)", required=False, **_bounds("retain_motion_days")
    )
    retain_events_days = forms.IntegerField(
        label="Keep recordings around events (days)", required=False, **_bounds("retain_events_days")
    )

    def _or_default(self, name: str):
        value = self.cleaned_data[name]
        return _model_field(name).default if value in (None, "") else value

    def clean_record_mode(self) -> str:
        return self._or_default("record_mode")

    def clean_retain_continuous_days(self) -> int:
        return self._or_default("retain_continuous_days")

    def clean_retain_motion_days(self) -> int:
        return self._or_default("retain_motion_days")

    def clean_retain_events_days(self) -> int:
        return self._or_default("retain_events_days")

    # --- end of recording ---

    def __init__(self, *args, user, camera: Camera | None = None, **kwargs) -> None:
        initial = kwargs.get("initial")
        if initial and isinstance(initial.get("object_filters"), dict):
            filters = initial["object_filters"]
            initial["object_filters"] = json.dumps(filters) if filters else ""
        super().__init__(*args, **kwargs)
        self.user = user
        self.camera = camera
        # Which fields apply live and which restart the camera's worker (_field.html shows it), from the
        # one classification in surveillance.models (LIVE_DETECTION_FIELDS, the CRD's annotations).
        for name, field in self.fields.items():
            field.applies = setting_applies(name)  # type: ignore[attr-defined]  # read by _field.html only

    def clean_forced_detect_interval(self) -> float:
        value = self.cleaned_data["forced_detect_interval"]
        return _model_field("forced_detect_interval").default if value is None else value

    def clean_object_filters(self) -> dict:
        raw = self.cleaned_data["object_filters"].strip() or "{}"
        try:
            filters = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValidationError(f"The object filters are not valid JSON ({error.msg}).") from None
        validate_object_filters(filters)
        return filters

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Enter a name.")
        others = cameras_visible_to(self.user, Action.CHANGE).filter(name=name)
        if self.camera is not None:
            others = others.exclude(pk=self.camera.pk)
        # Checked here too (the database enforces it) so the message sits next to the field.
        if others.exists():
            raise ValidationError(f"You already have a camera named {name!r}.")
        return name

    def clean_rtsp_url(self) -> str:
        return self.cleaned_data["rtsp_url"].strip()

    def clean_detect_rtsp_url(self) -> str:
        return self.cleaned_data["detect_rtsp_url"].strip()

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ``ValidationError`` next to the fields it names (others at the top)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class ZonesForm(forms.Form):
    """The zone editor's polygons (zones and motion masks), sent as the JSON the camera stores."""

    zones = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_zones(self) -> list:
        raw = self.cleaned_data["zones"].strip() or "[]"
        try:
            zones = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValidationError(f"The zones are not valid JSON ({error.msg}).") from None
        validate_zones(zones)
        return zones

    motion_masks = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_motion_masks(self) -> list:
        raw = self.cleaned_data["motion_masks"].strip() or "[]"
        try:
            masks = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValidationError(f"The motion masks are not valid JSON ({error.msg}).") from None
        validate_motion_masks(masks)
        return masks


# Dates a filter may name: wide enough for any real footage, narrow enough that a day's arithmetic and
# any time zone's offset stay inside what Python's datetime can hold (9999-12-31 + 1 day overflows).
FILTER_DATE_MIN = date(1970, 1, 1)
FILTER_DATE_MAX = date(2999, 12, 31)
_DATE_RANGE_MESSAGE = f"Pick a date between {FILTER_DATE_MIN} and {FILTER_DATE_MAX}."


def _bounded_date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "min": FILTER_DATE_MIN, "max": FILTER_DATE_MAX}),
        validators=[
            MinValueValidator(FILTER_DATE_MIN, message=_DATE_RANGE_MESSAGE),
            MaxValueValidator(FILTER_DATE_MAX, message=_DATE_RANGE_MESSAGE),
        ],
    )


# "Open" is an event still going (the API's status: open); an alert nobody acknowledged is "unacknowledged".
ACK_CHOICES = [("", "Any"), ("no", "Unacknowledged"), ("yes", "Acknowledged")]
REVIEW_CHOICES = [("", "Any"), ("no", "Not reviewed by me"), ("yes", "Reviewed by me")]
# "shift": since the start of the last shift (surveillance.events.shifts), the window of the to-review count.
PERIOD_CHOICES = [("", "Any time"), ("shift", "Since the last shift")]


class AlertFilterForm(forms.Form):
    """Filters of the alert feed; every one is optional and kept in the query string."""

    camera = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    type = forms.ChoiceField(choices=[("", "All types"), *AlertType.choices], required=False)
    zone = forms.ChoiceField(required=False)
    ack = forms.ChoiceField(label="Status", choices=ACK_CHOICES, required=False)
    review = forms.ChoiceField(label="Review", choices=REVIEW_CHOICES, required=False)
    period = forms.ChoiceField(label="When", choices=PERIOD_CHOICES, required=False)
    date_from = _bounded_date_field("From")
    date_to = _bounded_date_field("To")
    before = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, cameras: list[tuple[int, str]], zones: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["camera"]).choices = [("", "All cameras"), *cameras]
        # Only the names of the user's cameras' zones: the choice is the check on what the filter gets.
        cast(forms.ChoiceField, self.fields["zone"]).choices = [("", "All zones"), *((z, z) for z in zones)]

    def clean_before(self) -> str:
        cursor = self.cleaned_data["before"]
        if cursor:
            try:
                decode_cursor(cursor)
            except BadCursor:
                raise ValidationError("This page link is broken; showing the newest alerts.") from None
        return cursor

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def selector_kwargs(self, *, shift_start: datetime) -> dict:
        """The ``alerts_of`` filters this form asks for (only call after ``is_valid``); ``shift_start``:
        where "since the last shift" begins."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        kwargs: dict = {}
        if data.get("camera") is not None:
            kwargs["camera_id"] = data["camera"]
        if data.get("type"):
            kwargs["alert_type"] = data["type"]
        if data.get("zone"):
            kwargs["zone"] = data["zone"]
        if data.get("ack"):
            kwargs["acknowledged"] = data["ack"] == "yes"
        if data.get("review"):
            kwargs["reviewed"] = data["review"] == "yes"
        since = [shift_start] if data.get("period") == "shift" else []
        if data.get("date_from"):
            since.append(datetime.combine(data["date_from"], time.min, tzinfo=tz))
        if since:
            kwargs["since"] = max(since)
        if data.get("date_to"):
            # "To 25 Nov" includes the whole of that day.
            kwargs["until"] = datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=tz)
        return kwargs


class TeamChoiceField(forms.TypedChoiceField):
    """The team a new row goes to: offers the teams where the user's role allows adding it, and accepts
    any team the user is in, so that the service decides a refusal (403 for a role that may not, as in
    the API) rather than the form hiding it as a wrong choice. A team the user is not in is a wrong choice."""

    def __init__(self, *, offered, member_ids: set[int], **kwargs) -> None:
        choices = [(team.id, f"{team.name} ({team.role})") for team in offered]
        super().__init__(choices=choices, coerce=int, **kwargs)
        self.member_ids = {str(pk) for pk in member_ids}

    def valid_value(self, value) -> bool:
        return str(value) in self.member_ids


def add_team_field(form: forms.Form, *, offered, member_ids: set[int], initial: int | None) -> None:
    """Adds ``team`` to a form that adds a row (camera, channel); hidden when there is nothing to choose."""
    field = TeamChoiceField(
        offered=offered,
        member_ids=member_ids,
        label="Team",
        initial=initial,
        required=False,  # left out: the personal team, as in the API
        empty_value=None,
        help_text="The team that owns it: its members see and use it as their role allows.",
    )
    if len(offered) <= 1:
        field.widget = forms.HiddenInput()
    form.fields["team"] = field
