"""A network namespace joined to this host by one veth pair, for a container that may reach only what a
test allows: the namespace has no default route (nothing beyond the pair's /30 is reachable) and its
nftables output chain accepts only replies and new TCP connections to the host ports the test names
(what a NetworkPolicy's egress rules would allow). Needs root (ip netns, nft), which podman's rootful
mode needs anyway.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, text=True, timeout=30)


@dataclass(frozen=True)
class PrivateLink:
    namespace: str
    host_ip: str
    inside_ip: str

    @property
    def netns_path(self) -> str:
        return f"/run/netns/{self.namespace}"

    def allow_only(self, *host_ports: int) -> None:
        """Egress from the namespace: replies, and new TCP connections to these ports of the host."""
        ports = ", ".join(str(port) for port in host_ports)
        rules = f"""
        table inet cctv_egress {{
          chain output {{
            type filter hook output priority 0; policy drop;
            oif "lo" accept
            ct state established,related accept
            ip daddr {self.host_ip} tcp dport {{ {ports} }} accept
          }}
        }}
        """
        subprocess.run(["ip", "netns", "exec", self.namespace, "nft", "-f", "-"], input=rules, text=True,
                       check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def private_link() -> Iterator[PrivateLink]:
    suffix = secrets.token_hex(3)
    namespace, host_end, inside_end = f"cctv-{suffix}", f"cv{suffix}h", f"cv{suffix}c"
    # A /30 in 10.231.0.0/16 picked at random: parallel runs get their own.
    base = secrets.randbelow(16384) * 4
    prefix = f"10.231.{base // 256}."
    host_ip, inside_ip = f"{prefix}{base % 256 + 1}", f"{prefix}{base % 256 + 2}"
    _run("ip", "netns", "add", namespace)
    try:
        _run("ip", "link", "add", host_end, "type", "veth", "peer", "name", inside_end)
        _run("ip", "link", "set", inside_end, "netns", namespace)
        _run("ip", "addr", "add", f"{host_ip}/30", "dev", host_end)
        _run("ip", "link", "set", host_end, "up")
        _run("ip", "-n", namespace, "addr", "add", f"{inside_ip}/30", "dev", inside_end)
        _run("ip", "-n", namespace, "link", "set", inside_end, "up")
        _run("ip", "-n", namespace, "link", "set", "lo", "up")
        yield PrivateLink(namespace, host_ip, inside_ip)
    finally:
        subprocess.run(["ip", "link", "del", host_end], capture_output=True, check=False, timeout=30)
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False, timeout=30)
