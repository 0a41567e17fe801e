"""Input and output of the teams API (/api/teams/): what each route reads and answers."""

from __future__ import annotations

from rest_framework import serializers

from teams.models import TEAM_NAME_MAX_LENGTH, Membership
from teams.permissions import Role

ROLE_CHOICES = [role.value for role in Role]
USERNAME_MAX_LENGTH = 150  # django.contrib.auth's


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


class MemberInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=USERNAME_MAX_LENGTH)
    role = serializers.ChoiceField(choices=ROLE_CHOICES)


class MemberRoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLE_CHOICES)


class MemberOutputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    created_at = serializers.DateTimeField()
