"""Field validators of notification channels (shared by the model's full_clean and the API)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from surveillance.models import AlertType

MAX_ADDRESSES = 20
MAX_RULE_ITEMS = 200
# MQTT topic levels: no wildcards, no empty levels, no leading or trailing slash.
_TOPIC_PREFIX = re.compile(r"^[^#+/\s]+(/[^#+/\s]+)*$")


def validate_addresses(value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_ADDRESSES:
        raise ValidationError(f"Addresses must be a list of at most {MAX_ADDRESSES} e-mail addresses.")
    for address in value:
        if not isinstance(address, str):
            raise ValidationError("Each address must be a string.")
        validate_email(address)


def validate_camera_ids(value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_RULE_ITEMS:
        raise ValidationError(f"Cameras must be a list of at most {MAX_RULE_ITEMS} camera ids.")
    if not all(isinstance(item, int) and not isinstance(item, bool) and item > 0 for item in value):
        raise ValidationError("Cameras must be positive integer ids.")


def validate_alert_type_list(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Alert types must be a list of strings.")
    unknown = sorted(set(value) - set(AlertType.values))
    if unknown:
        raise ValidationError(
            f"Unknown alert types: {', '.join(unknown)} (known: {', '.join(AlertType.values)})."
        )


def validate_zone_names(value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_RULE_ITEMS:
        raise ValidationError(f"Zones must be a list of at most {MAX_RULE_ITEMS} zone names.")
    if not all(isinstance(item, str) and 0 < len(item) <= 100 for item in value):
        raise ValidationError("Zone names must be strings of 1 to 100 characters.")


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/Berlin.") from None


def validate_topic_prefix(value: str) -> None:
    if value and not _TOPIC_PREFIX.match(value):
        raise ValidationError(
            "A topic prefix is one or more levels like cctv/home, without + # or empty levels."
        )


def ambiguous_url_reason(url: str) -> str | None:
    """Why parsers could disagree on where ``url`` goes, or None.

    The outbound policy checks the host ``urlsplit`` sees; an HTTP client that reads the URL differently
    connects elsewhere: ``http://127.0.0.1:9999\\@example.com/`` is example.com to ``urlsplit`` and
    127.0.0.1:9999 to urllib3 (a backslash ends its authority). So a target URL is plain ASCII with no
    backslash, space or control character, no user name or password before the host, and no
    percent-escape in its authority; anything else is refused rather than interpreted.
    """
    if not url.isascii():
        return "only ASCII characters (write an international host name in its xn-- form)"
    if "\\" in url or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        return "no backslash, space or control character"
    netloc = urlsplit(url).netloc
    if "@" in netloc:
        return "no user name or password before the host"
    if "%" in netloc:
        return "no percent-escape in the host"
    return None


def validate_webhook_url(value: str) -> None:
    reason = ambiguous_url_reason(value)
    if reason:
        raise ValidationError(f"A webhook URL must be a plain http(s) URL: {reason}.")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("A webhook URL must be http:// or https:// with a host.")
    _check_port(parts)


def validate_broker_url(value: str) -> None:
    reason = ambiguous_url_reason(value)
    if reason:
        raise ValidationError(f"A broker URL must be a plain mqtt(s) URL: {reason}.")
    parts = urlsplit(value)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValidationError("A broker URL must be mqtt://host:port or mqtts://host:port.")
    if parts.path not in ("", "/") or parts.query or parts.username or parts.password:
        raise ValidationError(
            "A broker URL is mqtt://host:port only; credentials go in username and password."
        )
    _check_port(parts)


def _check_port(parts) -> None:
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ValidationError("The URL's port must be a number from 1 to 65535.") from None


def check_channel_target(channel) -> None:
    """The kind's required fields and URL shape; literal addresses against the outbound policy.

    Host names are resolved at delivery time, not here: DNS may be down while a user saves a channel,
    and an answer now says nothing about the answer when the alert comes.
    """
    from cctv_common.network_policy import AddressNotAllowed, literal_address
    from notifications.senders import target_policy

    errors: dict[str, str] = {}
    if channel.kind == "webhook":
        try:
            validate_webhook_url(channel.url)
        except ValidationError as error:
            errors["url"] = error.messages[0]
        if not channel.secret:
            errors["secret"] = "A webhook needs a secret to sign its requests."  # noqa: S105 (a message, not a password)
    elif channel.kind == "mqtt":
        try:
            validate_broker_url(channel.url)
        except ValidationError as error:
            errors["url"] = error.messages[0]
        if channel.password and not channel.username:
            errors["username"] = "A password needs a username."
    elif channel.kind == "email" and not channel.addresses:
        errors["addresses"] = "An e-mail channel needs at least one address."
    if "url" not in errors and channel.kind in ("webhook", "mqtt"):
        host = urlsplit(channel.url).hostname or ""
        candidates = [host] if literal_address(host) else (["127.0.0.1"] if host == "localhost" else [])
        try:
            if candidates:
                target_policy().check_addresses(host, candidates)
        except AddressNotAllowed as error:
            errors["url"] = str(error)
    if errors:
        raise ValidationError(errors)
