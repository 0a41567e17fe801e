"""The user's API tokens: listed, made (the secret shown on that one answer, never stored in a message or
the session) and revoked, through the same services as /api/tokens/."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from api_tokens import selectors, services
from api_tokens.models import NAME_MAX_LENGTH, TokenScope
from audit.actions import AuditAction
from audit.services import audit_object
from surveillance.accounts.users import signed_in_user


class TokenForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, help_text="What uses it, e.g. Home Assistant.")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    expires_in_days = forms.IntegerField(
        label="Expires in (days)", min_value=1, max_value=settings.API_TOKEN_MAX_DAYS, initial=90
    )


def _page(
    request: HttpRequest, form: TokenForm, created: str | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "tokens": selectors.tokens_of(signed_in_user(request)),
        "form": form,
        "created": created,
        "now": timezone.now(),
        "nav": "tokens",
    }
    response = render(request, "dashboard/token_list.html", context, status=status)
    if created:
        response["Cache-Control"] = "no-store"  # the page holds the secret: no copy in any cache
    return response


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        made = services.token_create(
            user=signed_in_user(request),
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=timezone.now() + timedelta(days=form.cleaned_data["expires_in_days"]),
        )
    except ValidationError as error:
        form.add_error(None, " ".join(error.messages))
        return _page(request, form, status=400)
    audit_object(request, AuditAction.TOKEN_CREATED, made.token)
    return _page(request, TokenForm(), created=made.secret)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = services.token_revoke(user=signed_in_user(request), token_id=token_id)
    audit_object(request, AuditAction.TOKEN_REVOKED, token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("dashboard:tokens")
