"""The signed-in user of a request whose view already demands one (``IsUser``, ``login_required``)."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def signed_in_user(request: HttpRequest) -> User:
    """``request.user`` as the account it is, for views behind ``IsUser`` or ``login_required``.

    Those guards already turned away anonymous callers and camera ingest tokens (``CameraPrincipal``);
    this check states that promise where the type checker sees it, and answers 403 rather than reading
    another caller's data if a view ever loses its guard.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("A signed-in user is required.")
    return user
