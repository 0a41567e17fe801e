"""Input and output of the API's login (``POST /api-token-auth/``)."""

from __future__ import annotations

from rest_framework import serializers


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
