"""The tokens API's input and output. The secret appears only in the creation's answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api_tokens.models import NAME_MAX_LENGTH, ApiToken, TokenScope
from api_tokens.selectors import tokens_of
from teams.models import ServiceAccount
from teams.service_accounts import SERVICE_ACCOUNT_ROLES, role_of


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


class ServiceAccountCreateInputSerializer(ApiTokenCreateInputSerializer):
    """A new service account and its first token: ``name`` names both; ``role`` is its role in the team."""

    role = serializers.ChoiceField(choices=SERVICE_ACCOUNT_ROLES)


class ServiceAccountOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    username = serializers.CharField(source="user.username")
    role = serializers.SerializerMethodField(help_text="Its role in the team (owner is never one).")
    created_at = serializers.DateTimeField()
    tokens = serializers.SerializerMethodField(help_text="Its live (not revoked) tokens, newest first.")

    def get_role(self, account: ServiceAccount) -> str:
        return role_of(account)

    @extend_schema_field(ApiTokenOutputSerializer(many=True))
    def get_tokens(self, account: ServiceAccount) -> Any:
        return ApiTokenOutputSerializer(tokens_of(account.user), many=True).data


class ServiceAccountCreatedOutputSerializer(ServiceAccountOutputSerializer):
    token = serializers.SerializerMethodField(help_text="The new token, its secret shown this once.")

    @extend_schema_field(ApiTokenCreatedOutputSerializer)
    def get_token(self, account: ServiceAccount) -> dict:
        return self.context["token"]
