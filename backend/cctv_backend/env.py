"""Typed readers for settings that come from the environment.

Every reader fails with ``ImproperlyConfigured`` naming the variable, so a bad value stops start-up with
one clear line instead of a traceback deep inside Django.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    return _env_number(name, default, int, "an integer", minimum, maximum)


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    return _env_number(name, default, float, "a number", minimum, maximum)


def _env_number(name, default, parse, what: str, minimum, maximum):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {what}") from None
    _check_bounds(name, value, minimum, maximum)
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``, matched case-insensitively (``info`` reads as ``INFO``)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    for choice in choices:
        if choice.lower() == raw.strip().lower():
            return choice
    raise ImproperlyConfigured(f"{name}={raw!r} is not one of {', '.join(choices)}")


def env_secret(name: str) -> str:
    """A secret from ``NAME`` or from the file ``NAME_FILE`` names (a mounted Kubernetes Secret: the value
    never appears in the pod spec or ``kubectl describe``). Both set is an error: which one wins would be
    a guess. Surrounding whitespace (the newline an editor leaves) is dropped."""
    direct = os.environ.get(name, "")
    path = os.environ.get(f"{name}_FILE", "")
    if direct and path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both")
    if not path:
        return direct.strip()
    try:
        with open(path, encoding="utf-8") as handle:
            value = handle.read().strip()
    except OSError as error:
        raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {error.strerror}") from None
    if not value:
        raise ImproperlyConfigured(f"{name}_FILE={path!r} is empty")
    return value


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """An absolute URL with one of ``schemes`` and a host (empty: ``default``)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    parsed = urlsplit(raw)
    if parsed.scheme not in schemes or not parsed.hostname:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a URL like {schemes[0]}://host:port")
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as ``10/minute`` (number / second, minute, hour or day)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    if not _RATE.match(value):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate like 10/minute (per second, minute, hour, day)"
        )
    return value


def _check_bounds(name: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} is above the maximum {maximum}")
