"""Identities in the admin: who signed in through which provider, and the team roles granted last.

An administrator links a provider's subject to an existing local user by adding one here (a first
sign-in never takes over an existing user name)."""

from django.contrib import admin

from sso.models import SsoIdentity


@admin.register(SsoIdentity)
class SsoIdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "issuer", "subject", "last_sign_in_at")
    search_fields = ("user__username", "subject")
    readonly_fields = ("team_roles", "created_at", "last_sign_in_at")
    raw_id_fields = ("user",)
