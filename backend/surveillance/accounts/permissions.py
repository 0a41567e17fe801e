"""Who may call what: users (their own objects), the operator (active cameras), cameras (their ingest)."""

from __future__ import annotations

from rest_framework import permissions

from surveillance.accounts.authentication import CameraPrincipal
from surveillance.accounts.selectors import is_operator_service_user


def is_camera(request) -> bool:
    return isinstance(request.user, CameraPrincipal)


class IsUser(permissions.BasePermission):
    """An authenticated user (user token or session). The default for every API view."""

    message = (
        "Authenticate with a user token; camera ingest tokens only send alerts and heartbeats, and the "
        "operator's service token only reads."
    )

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated) or is_camera(request):
            return False
        # The operator's token sits in a cluster Secret: whoever reads it may look, never change.
        return request.method in permissions.SAFE_METHODS or not is_operator_service_user(request.user)


class IsUserOrCamera(permissions.BasePermission):
    """A user, or a camera's ingest token (the view checks that the token's camera is the one addressed)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)

