"""Authentication of camera ingest tokens (``Authorization: Token cam_<id>_<hmac>``).

User tokens share the ``Token`` keyword, so this class runs first and passes on anything that is not
shaped like an ingest token. A valid ingest token authenticates as a ``CameraPrincipal``: not a user, so
the default permission (``IsUser``) keeps it out of everything but the two views that accept it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework import authentication, exceptions

from surveillance.accounts import tokens
from surveillance.models import Camera


@dataclass(frozen=True, eq=False)
class CameraPrincipal:
    """Who is calling when a camera's worker uses its ingest token; ``request.auth`` is the camera."""

    camera: Camera

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    @property
    def username(self) -> str:
        return f"camera-{self.camera.pk}"

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def has_perms(self, perms: object, obj: object = None) -> bool:
        return False

    def __str__(self) -> str:
        return self.username


class CameraIngestTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != self.keyword.lower().encode():
            return None
        try:
            token = header[1].decode()
        except UnicodeError:
            return None
        camera_id = tokens.camera_id_of(token)
        if camera_id is None:
            return None  # a user token: TokenAuthentication decides
        camera = Camera.objects.select_related("user").filter(pk=camera_id).first()
        if camera is None or not tokens.token_matches(token, camera.pk, camera.ingest_token_nonce):
            raise exceptions.AuthenticationFailed("Invalid camera ingest token.")
        if not camera.user.is_active:
            raise exceptions.AuthenticationFailed("The camera's owner account is disabled.")
        if not camera.is_active:
            # An inactive camera runs no worker, so nothing should speak for it (a leaked token included).
            raise exceptions.AuthenticationFailed(
                f"Camera {camera.pk} is inactive: its ingest token works again once the camera is activated."
            )
        return CameraPrincipal(camera), camera

    def authenticate_header(self, request) -> str:
        return self.keyword
