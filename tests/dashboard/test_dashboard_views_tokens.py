"""The dashboard's API tokens page: a token made there is shown once and works on the API; revoked there,
it stops at once; another user's token cannot be revoked; each leaves its audit record."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api_tokens.models import ApiToken
from audit.actions import AuditAction
from audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def api(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_a_token_made_on_the_page_is_shown_once_works_and_is_revoked_there(alice_client):
    response = alice_client.post(
        "/dashboard/tokens/", {"name": "Home Assistant", "scope": "read", "expires_in_days": "30"}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    secret = response.context["created"]
    assert secret.startswith("pat_") and secret in response.content.decode()
    assert api(secret).get("/api/cameras/").status_code == 200
    page = alice_client.get("/dashboard/tokens/").content.decode()
    assert "Home Assistant" in page and secret[:16] in page and secret not in page
    token = ApiToken.objects.get()
    response = alice_client.post(f"/dashboard/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert api(secret).get("/api/cameras/").status_code == 401
    assert not alice_client.get("/dashboard/tokens/").context["tokens"]
    assert [r.action for r in AuditRecord.objects.exclude(action=AuditAction.SIGN_IN).order_by("id")] == [
        AuditAction.TOKEN_CREATED, AuditAction.TOKEN_REVOKED,
    ]  # fmt: skip


def test_a_bad_form_is_shown_again_with_its_error_and_makes_nothing(alice_client):
    response = alice_client.post("/dashboard/tokens/", {"name": "", "scope": "admin", "expires_in_days": "0"})
    assert response.status_code == 400 and response.context["form"].errors.keys() == {
        "name",
        "scope",
        "expires_in_days",
    }
    assert not ApiToken.objects.exists()


def test_another_users_token_cannot_be_revoked_and_revoking_needs_a_post(alice_client, bob):
    from datetime import timedelta

    from django.utils import timezone

    from api_tokens import services

    bobs = services.token_create(
        user=bob, name="bob-x", scope="full", expires_at=timezone.now() + timedelta(days=1)
    )
    assert "bob-x" not in alice_client.get("/dashboard/tokens/").content.decode()
    assert alice_client.post(f"/dashboard/tokens/{bobs.token.pk}/revoke/").status_code == 404
    assert alice_client.get(f"/dashboard/tokens/{bobs.token.pk}/revoke/").status_code == 405
    assert api(bobs.secret).get("/api/tokens/").status_code == 200
