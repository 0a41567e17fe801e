"""A user's API token: a name, a scope, an expiry, and the hash of its secret (never the secret)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

NAME_MAX_LENGTH = 100


class TokenScope(models.TextChoices):
    READ = "read", "Read-only"
    FULL = "full", "Full"


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # Not secret: finds the row before the secret's hash is compared (api_tokens.secrets).
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(max_length=8, choices=TokenScope.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")]

    def __str__(self) -> str:
        return f"{self.name} (pat_{self.key_id}…, {self.scope})"

    @property
    def prefix(self) -> str:
        return f"pat_{self.key_id}"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())
