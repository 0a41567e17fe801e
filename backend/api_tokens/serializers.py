"""The tokens API's input and output. The secret appears only in the creation's answer."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from api_tokens.models import NAME_MAX_LENGTH, ApiToken, TokenScope


class ApiTokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    scope = serializers.ChoiceField(choices=TokenScope.choices)
    expires_in_days = serializers.IntegerField(required=False, min_value=1, max_value=36_500)
    expires = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict) -> dict:
        days, expires = attrs.pop("expires_in_days", None), attrs.pop("expires", None)
        if (days is None) == (expires is None):
            raise serializers.ValidationError(
                {
                    "expires": [
                        f"Give exactly one of expires_in_days (1..{settings.API_TOKEN_MAX_DAYS}) or expires."
                    ]
                }
            )
        attrs["expires_at"] = expires if expires is not None else timezone.now() + timedelta(days=days)
        return attrs


class ApiTokenOutputSerializer(serializers.ModelSerializer):
    prefix = serializers.CharField(read_only=True)
    expired = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "scope", "prefix", "created_at", "expires_at", "last_used_at", "expired"]
        read_only_fields = fields

    def get_expired(self, token: ApiToken) -> bool:
        return token.is_expired()


class ApiTokenCreatedOutputSerializer(ApiTokenOutputSerializer):
    token = serializers.CharField(read_only=True, help_text="The token itself: shown this once, never again.")

    class Meta(ApiTokenOutputSerializer.Meta):
        fields = [*ApiTokenOutputSerializer.Meta.fields, "token"]
        read_only_fields = fields
