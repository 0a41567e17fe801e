"""Input and output of the teams API (/api/teams/): what each route reads and answers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from teams.models import CAMERA_GROUP_NAME_MAX_LENGTH, TEAM_NAME_MAX_LENGTH, CameraGroup, Membership
from teams.permissions import Role

ROLE_CHOICES = [role.value for role in Role]
USERNAME_MAX_LENGTH = 150  # django.contrib.auth's
ID_MAX = 2**63 - 1


class _IdField(serializers.IntegerField):
    """An object id: an integer 1 .. 2**63-1, or a string of ASCII digits ("\u0661" is a digit to Python,
    not an id)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=ID_MAX, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or (isinstance(data, str) and not (data.isascii() and data.isdigit())):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdListField(serializers.ListField):
    """A list of ids, at most the setting ``limit`` of them (read at each request). The length is checked
    before any item, so an oversized list is one short error, not one per item; duplicates count once."""

    def __init__(self, *, limit: str, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(child=_IdField(), **kwargs)

    def to_internal_value(self, data: Any) -> list[int]:
        most = getattr(settings, self.limit)
        if isinstance(data, list) and len(data) > most:
            raise serializers.ValidationError(f"At most {most} ids ({self.limit}); {len(data)} given.")
        return list(dict.fromkeys(super().to_internal_value(data)))


class TeamInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=TEAM_NAME_MAX_LENGTH)


class TeamOutputSerializer(serializers.Serializer):
    """A team the caller belongs to (read from their membership), with their role in it."""

    id = serializers.IntegerField(source="team.id")
    name = serializers.CharField(source="team.name")
    personal = serializers.SerializerMethodField(help_text="Whether this is the caller's personal team.")
    role = serializers.ChoiceField(choices=ROLE_CHOICES, help_text="The caller's role in the team.")
    created_at = serializers.DateTimeField(source="team.created_at")

    def get_personal(self, membership: Membership) -> bool:
        return membership.team.personal_of_id == membership.user_id


def _groups_field(**kwargs: Any) -> IdListField:
    return IdListField(
        limit="CAMERA_GROUPS_PER_TEAM_MAX",
        help_text="Narrows the role to these camera groups of the team (their cameras and what hangs off "
        "them); empty: the whole team. An owner cannot be narrowed.",
        **kwargs,
    )


class MemberInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=USERNAME_MAX_LENGTH)
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    groups = _groups_field(required=False)


class MemberUpdateInputSerializer(serializers.Serializer):
    """PATCH of a member: a new role, new groups, or both (what is left out stays)."""

    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False)
    groups = _groups_field(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give the member's role, groups or both.")
        return attrs


class MemberOutputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    groups = serializers.SerializerMethodField(
        help_text="Ids of the camera groups the role is narrowed to; empty: the whole team."
    )
    created_at = serializers.DateTimeField()

    def get_groups(self, membership: Membership) -> list[int]:
        # Prefetched by teams.selectors.members_of.
        return sorted(group.pk for group in membership.groups.all())


class CameraGroupInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=CAMERA_GROUP_NAME_MAX_LENGTH)
    cameras = IdListField(
        limit="CAMERA_GROUP_CAMERAS_MAX", required=False, help_text="Ids of the team's cameras in the group."
    )


class CameraGroupUpdateInputSerializer(CameraGroupInputSerializer):
    """PATCH of a group: a new name, a new set of cameras, or both (what is left out stays)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give the group's name, cameras or both.")
        return attrs


class CameraGroupOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.IntegerField(source="team_id")
    name = serializers.CharField()
    cameras = serializers.SerializerMethodField(help_text="Ids of the cameras in the group.")
    created_at = serializers.DateTimeField()

    def get_cameras(self, group: CameraGroup) -> list[int]:
        return [camera.pk for camera in group.cameras.all()]  # prefetched (teams.selectors.groups_of)
