"""Reads about accounts: is a user the operator's service user."""

from __future__ import annotations

# The operator's service user is in this group: it reads the active cameras and changes nothing.
OPERATOR_GROUP = "cctv-operator"


def is_operator_service_user(user) -> bool:
    return bool(getattr(user, "pk", None)) and user.groups.filter(name=OPERATOR_GROUP).exists()
