"""Which network addresses a camera URL may point at: allowed and denied CIDR lists.

A camera URL is a request the server makes on a user's behalf, with the URL's credentials: without a
policy it can probe the server's own ports (loopback), the cloud's metadata service (link-local) or
anything else the server reaches. The backend refuses such URLs when they are saved (literal addresses;
names are checked where they are resolved), and the worker checks every address a name resolves to
right before it connects, then connects to that checked address, so a DNS change in between cannot
send it elsewhere.

Pure (the resolver is passed in) and standard library only, so the backend, the worker and any other
component that sends traffic to user-given addresses share it. The backend's notification senders
(webhooks, MQTT brokers) use it with ``public_only``: public addresses only, unless the operator's
allowed networks (NOTIFY_ALLOWED_NETWORKS) hold the address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], list[str]]

# Addresses no camera is ever at, which a server must not be made to call: loopback, link-local (cloud
# metadata at 169.254.169.254 included), "this host", and the other clouds' metadata addresses.
SERVER_LOCAL_NETWORKS = (
    "127.0.0.0/8,::1/128,169.254.0.0/16,fe80::/10,0.0.0.0/8,::/128,100.100.100.200/32,fd00:ec2::254/128"
)
# A home or office LAN and this machine: what the laptop product allows.
LAN_AND_LOOPBACK_NETWORKS = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,fe80::/10"


class AddressNotAllowed(ValueError):
    """The host is (or resolves to) an address the policy does not allow."""


def parse_networks(text: str, *, name: str = "networks") -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.168.1.7"`` -> networks; a bad entry raises ValueError naming it and ``name``."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{name}: {entry!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") names no network
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def is_public(address: str) -> bool:
    """A globally routable unicast address: not loopback, link-local, private, shared (CGNAT), multicast,
    reserved or unspecified (an IPv4-mapped IPv6 address counts as its IPv4 address)."""
    ip = _address(address)
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class NetworkPolicy:
    """Denied networks always lose; with allowed networks, an address must also be in one of them.

    ``public_only`` turns the allowed networks into exceptions: an address must then be public or inside
    an allowed network (the outbound policy of a multi-tenant service's notifications).
    """

    allowed: tuple[Network, ...] = ()
    denied: tuple[Network, ...] = ()
    public_only: bool = False
    # How a refusal names what was refused and the settings that decide it.
    purpose: str = "camera address"
    settings_hint: str = "CAMERA_ALLOWED_NETWORKS / CAMERA_DENIED_NETWORKS"

    @classmethod
    def from_strings(cls, allowed: str = "", denied: str = "") -> NetworkPolicy:
        return cls(
            parse_networks(allowed, name="CAMERA_ALLOWED_NETWORKS"),
            parse_networks(denied, name="CAMERA_DENIED_NETWORKS"),
        )

    def allows(self, address: str) -> bool:
        ip = _address(address)
        if any(ip in network for network in self.denied if network.version == ip.version):
            return False
        in_allowed = any(ip in net for net in self.allowed if net.version == ip.version)
        if self.public_only:
            return in_allowed or is_public(address)
        return not self.allowed or in_allowed

    def check_addresses(self, host: str, addresses: Iterable[str]) -> str:
        """The first address if every one is allowed (else ``AddressNotAllowed``)."""
        addresses = list(addresses)
        if not addresses:
            raise AddressNotAllowed(f"{host} resolves to no address")
        for address in addresses:
            if not self.allows(address):
                # The name only, never what it resolved to: the message reaches users (an API answer, a
                # delivery log), and naming the address would make it a resolver of internal names.
                raise AddressNotAllowed(f"{host} is not an allowed {self.purpose} ({self.settings_hint})")
        return addresses[0]


def literal_address(host: str) -> str | None:
    """The host if it is an IP address literal, else None (a name)."""
    try:
        _address(host)
    except ValueError:
        return None
    return host


def system_resolver(host: str) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})


def check_host(host: str, policy: NetworkPolicy, resolve: Resolver = system_resolver) -> list[str]:
    """For connecting by name: every address ``host`` resolves to, when the policy allows each one.

    ``AddressNotAllowed`` when one is not allowed (not just the first: a name with one public and one
    private address would otherwise let a request through to the private one), or when it does not
    resolve.
    """
    if literal_address(host):
        addresses = [host]
    else:
        try:
            addresses = resolve(host)
        except OSError as error:  # socket.gaierror
            raise AddressNotAllowed(f"{host} does not resolve: {error.strerror or error}") from None
    policy.check_addresses(host, addresses)
    return addresses


def check_url_host(url: str, policy: NetworkPolicy) -> None:
    """For saving a URL: refuses a literal address (or ``localhost``) the policy does not allow.

    Names are not resolved here (a camera's name may resolve only inside its own network); the worker
    checks them when it connects.
    """
    host = urlsplit(url).hostname
    if not host:
        return
    if host.rstrip(".").lower() == "localhost" or host.lower().endswith(".localhost"):
        policy.check_addresses(host, ["127.0.0.1", "::1"])
        return
    if literal_address(host):
        policy.check_addresses(host, [host])


def pin_url(url: str, policy: NetworkPolicy, resolve: Resolver = system_resolver) -> str:
    """For connecting: the URL with its host replaced by an allowed address it resolves to.

    Every address of the name must be allowed (a name that also points at a denied address is refused),
    and the connection goes to the address checked here, not to a second lookup. File paths and URLs
    without a host pass unchanged.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not parts.scheme or not host:
        return url
    addresses = [host] if literal_address(host) else resolve(host)
    chosen = policy.check_addresses(host, addresses)
    if chosen == host:
        return url
    shown = f"[{chosen}]" if ":" in chosen else chosen
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = f"{userinfo}{at}{shown}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, parts.query, parts.fragment))
