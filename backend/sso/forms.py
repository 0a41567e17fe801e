"""The password login forms (dashboard, admin), which refuse with a message while LOCAL_PASSWORDS is off."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm


def passwords_off_message() -> str:
    other = f"Sign in with {settings.OIDC_PROVIDER_NAME}" if settings.OIDC_ENABLED else "your sign-in proxy"
    return f"Password sign-in is turned off on this server: use {other}."


class _LocalPasswordsMixin(forms.Form):
    def clean(self):
        # Before the password is checked: with passwords off, no password is ever compared (or throttled).
        if not settings.LOCAL_PASSWORDS:
            raise forms.ValidationError(passwords_off_message(), code="passwords_off")
        return super().clean()


class PasswordLoginForm(_LocalPasswordsMixin, AuthenticationForm):
    """The dashboard's login form."""


class AdminPasswordLoginForm(_LocalPasswordsMixin, AdminAuthenticationForm):
    """The admin's login form (installed by SsoConfig.ready)."""
