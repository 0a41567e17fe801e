"""Writes of accounts: the operator's service user and its token, a user's saved camera wall."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from rest_framework.authtoken.models import Token

from surveillance.accounts.selectors import OPERATOR_GROUP
from surveillance.models import WallLayout


def operator_group_ensure(*, using: str = "default") -> Group:
    """The ``cctv-operator`` group with the one permission the operator needs (idempotent)."""
    create_permissions(apps.get_app_config("surveillance"), verbosity=0, using=using)
    group, _ = Group.objects.using(using).get_or_create(name=OPERATOR_GROUP)
    permission = Permission.objects.using(using).get(
        content_type__app_label="surveillance", codename="view_active_cameras"
    )
    group.permissions.add(permission)
    return group


def operator_token_create(*, username: str, rotate: bool = False) -> str:
    """A service user in the operator group (no password, no admin) and its API token."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(operator_group_ensure())
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def wall_layout_save(*, user, columns: int, camera_ids: list[int]) -> WallLayout:
    """Save ``user``'s camera wall (their own cameras only: the caller's form limits the choices)."""
    layout, _ = WallLayout.objects.update_or_create(
        user=user, defaults={"columns": columns, "cameras": list(camera_ids)}
    )
    return layout
