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


def env_secret(name: str, default: str = "") -> str:
    """A secret from ``NAME`` or from the file that ``NAME_FILE`` names (the usual ``_FILE`` convention:
    a Kubernetes Secret mounted as a file stays out of the process environment, which ``/proc``, crash
    reports and child processes can read).

    Exactly one of the two may be set (an empty variable counts as unset); both is an error, not a
    silent choice, so that a forgotten old variable cannot shadow the mounted file. One trailing
    newline (``echo`` and most editors add one) is stripped; an unreadable or empty file stops start-up
    with a message naming the variable and the path.
    """
    value = os.environ.get(name, "")
    file_name = f"{name}_FILE"
    path = os.environ.get(file_name, "")
    if path and value:
        raise ImproperlyConfigured(f"both {name} and {file_name} are set: set only one")
    if not path:
        return value or default
    try:
        with open(path, encoding="utf-8") as handle:
            # Bounded: a secret is short, and a wrong path (a device, a log) must not be read whole.
            content = handle.read(_SECRET_FILE_MAX_CHARS + 1)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ImproperlyConfigured(f"{file_name}={path!r} cannot be read: {reason}") from None
    if len(content) > _SECRET_FILE_MAX_CHARS:
        raise ImproperlyConfigured(f"{file_name}={path!r} is longer than {_SECRET_FILE_MAX_CHARS} characters")
    content = content.removesuffix("\n").removesuffix("\r")
    if not content.strip():
        raise ImproperlyConfigured(f"{file_name}={path!r} is empty")
    return content


_SECRET_FILE_MAX_CHARS = 64 * 1024


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


_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def env_clock_times(name: str, default: list[str]) -> list[str]:
    """Times of day as ``HH:MM`` (24 h), comma-separated, at least one, no repeats; sorted."""
    values = env_list(name, default)
    bad = [value for value in values if not _CLOCK_TIME.match(value)]
    if bad or not values or len(set(values)) != len(values):
        raise ImproperlyConfigured(f"{name}={os.environ.get(name)!r} is not distinct times like 06:00,18:00")
    return sorted(values)


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
