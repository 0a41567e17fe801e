"""surveillance.accounts.users.signed_in_user: the user of a view behind IsUser or login_required, or 403."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from surveillance.accounts.authentication import CameraPrincipal
from surveillance.accounts.users import signed_in_user

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_a_signed_in_user_is_returned_as_is(alice):
    assert signed_in_user(_request(alice)) is alice


@pytest.mark.parametrize("caller", ["anonymous", "camera"])
def test_anyone_else_is_refused_rather_than_served(caller, alice, make_camera):
    # A view that lost its guard must not run with an anonymous caller or a camera's ingest token.
    user = AnonymousUser() if caller == "anonymous" else CameraPrincipal(camera=make_camera(alice, "Door"))
    with pytest.raises(PermissionDenied):
        signed_in_user(_request(user))
