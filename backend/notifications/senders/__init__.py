"""Senders: one module per channel kind, each the only code that talks to its kind of outside system.

Every sender takes a ``Message`` and returns an ``Outcome``; none raises for a failed delivery (a bug
still raises, and the delivery process records it as a retryable error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cctv_common.network_policy import NetworkPolicy


@dataclass(frozen=True)
class Message:
    kind: str
    event: str
    delivery_id: str
    payload: dict[str, Any]
    # Target of the channel, copied so a sender never touches the database.
    url: str = ""
    secret: str = ""
    topic_prefix: str = ""
    username: str = ""
    password: str = ""
    addresses: tuple[str, ...] = ()
    # E-mail: the snapshot's bytes and file name, read by the delivery process.
    attachment: tuple[str, bytes] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    # False: final, no retry (a 4xx, a refused target, a bad address).
    retryable: bool = True
    error: str = ""
    status: int | None = None
    retry_after: float | None = None

    @classmethod
    def delivered(cls, status: int | None = None) -> Outcome:
        return cls(ok=True, retryable=False, status=status)

    @classmethod
    def final(cls, error: str, status: int | None = None) -> Outcome:
        return cls(ok=False, retryable=False, error=error, status=status)

    @classmethod
    def retry(cls, error: str, status: int | None = None, retry_after: float | None = None) -> Outcome:
        return cls(ok=False, retryable=True, error=error, status=status, retry_after=retry_after)


def send(message: Message) -> Outcome:
    from notifications.senders import email, mqtt, webhook

    senders: dict[str, Callable[[Message], Outcome]] = {
        "webhook": webhook.send,
        "mqtt": mqtt.send,
        "email": email.send,
    }
    return senders[message.kind](message)


def target_policy() -> NetworkPolicy:
    """Where a webhook or broker may be: public addresses only, unless NOTIFY_ALLOWED_NETWORKS holds the
    address (users must not reach the inside of the network the backend runs in). Every address a name
    resolves to is checked, at each attempt and each redirect (cctv_common.network_policy.check_host)."""
    from django.conf import settings

    return NetworkPolicy(
        allowed=tuple(settings.NOTIFY_ALLOWED_NETWORKS),
        public_only=True,
        purpose="notification target",
        settings_hint="a loopback, link-local or private address; the operator's NOTIFY_ALLOWED_NETWORKS "
        "(CIDR list) must include it to send there",
    )
