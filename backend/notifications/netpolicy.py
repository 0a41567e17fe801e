"""Outbound safety: which addresses a webhook or broker host may resolve to.

Pure logic plus one resolver call. A host is refused when any of its addresses is loopback, link-local,
private, multicast, reserved or unspecified, unless the operator's ``NOTIFY_ALLOWED_NETWORKS`` holds
that address. Every address is checked, not just the first: a name that resolves to one public and one
private address would otherwise let a request through to the private one.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedTarget(ValueError):
    """The target's host is not one this service may send to; the message says why and how to allow it."""


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """CIDR strings (``10.0.0.0/8``, ``::1/128``, or a bare address) as networks.

    ``ValueError`` names a bad one."""
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not a CIDR network such as 10.0.0.0/8") from None
    return tuple(networks)


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def refused_addresses(addresses: Iterable[Address], allowed: Sequence[Network]) -> list[Address]:
    """The addresses among ``addresses`` that are neither public nor inside an allowed network."""
    return [
        address
        for address in addresses
        if not is_public(address) and not any(address in network for network in allowed)
    ]


def check_addresses(host: str, addresses: Sequence[Address], allowed: Sequence[Network]) -> None:
    if not addresses:
        raise RefusedTarget(f"{host} resolves to no address")
    refused = refused_addresses(addresses, allowed)
    if refused:
        shown = ", ".join(sorted({str(address) for address in refused}))
        raise RefusedTarget(
            f"{host} resolves to {shown}, a loopback, link-local or private address; the operator's "
            "NOTIFY_ALLOWED_NETWORKS (CIDR list) must include it to send there"
        )


def literal_address(host: str) -> Address | None:
    """``host`` as an IP address when it is written as one (``[::1]`` too), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (an I/O call: DNS or /etc/hosts)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise RefusedTarget(f"{host} does not resolve: {error.strerror}") from None
    return sorted({ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}, key=str)


def check_host(host: str, port: int, allowed: Sequence[Network]) -> list[Address]:
    """Resolve ``host`` and refuse it unless every address is allowed; returns the addresses."""
    addresses = resolve(host, port)
    check_addresses(host, addresses, allowed)
    return addresses
