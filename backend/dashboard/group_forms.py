"""The team page's camera group forms (issue 25): a group's name and cameras, and the groups a member is
narrowed to. They only parse what was sent; whether each id is the team's, the limits on groups and the
errors are teams.services' (the API's own), so the page and the API refuse the same input the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from rest_framework import serializers

from teams.models import CAMERA_GROUP_NAME_MAX_LENGTH
from teams.serializers import IdListField


def _messages(detail: Any) -> list[str]:
    """DRF's error detail (a list, or the ListField's {index: [...]} for bad items) as flat messages."""
    if isinstance(detail, dict):
        return [f"Item {index + 1}: {text}" for index, errors in detail.items() for text in _messages(errors)]
    if isinstance(detail, list):
        return [text for item in detail for text in _messages(item)]
    return [str(detail)]


class IdsField(forms.MultipleChoiceField):
    """Ticked ids, parsed as the API parses its id lists (``teams.serializers.IdListField``: ASCII digits,
    at most the setting ``limit`` of them, counted before any item, duplicates once). The choices are
    only what the page offers: an id outside them is not refused here but by the service, with its
    message (an id of another team's camera reads as any unknown id)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, limit: str, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise forms.ValidationError("Expected a list of ids.", code="invalid_list")
        try:
            return IdListField(limit=self.limit).run_validation(list(value))
        except serializers.ValidationError as error:
            raise forms.ValidationError(_messages(error.detail), code="invalid") from None

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class CameraGroupForm(forms.Form):
    """A new group, or a group's new name and cameras (the page sends both: the cameras ticked are the
    group's whole set)."""

    name = forms.CharField(max_length=CAMERA_GROUP_NAME_MAX_LENGTH, label="Group name")
    cameras = IdsField(
        limit="CAMERA_GROUP_CAMERAS_MAX",
        required=False,
        help_text="The team's cameras in the group (a camera may be in several groups).",
    )

    def __init__(self, *args: Any, cameras: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cameras"].choices = list(cameras)  # type: ignore[attr-defined]


class MemberGroupsForm(forms.Form):
    """The groups a member's role is narrowed to; none ticked: the whole team."""

    groups = IdsField(limit="CAMERA_GROUPS_PER_TEAM_MAX", required=False)
