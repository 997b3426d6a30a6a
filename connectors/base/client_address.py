"""The address a request came from, for limits per client: the peer, or, when the peer is a
proxy we trust (nginx in front of the replicas), the address that proxy saw.

``X-Forwarded-For`` is read from the right: each trusted proxy appends the address it was
connected from, so the right-most entry that is not a trusted proxy is the client. Entries
to the left of it were written by the client and are ignored (they are how a client would
rotate addresses). A peer that is not a trusted proxy is the client, whatever it sends.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Loopback and private ranges: where the deployment's nginx and the replicas live.
DEFAULT_TRUSTED_PROXIES = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
                           "192.168.0.0/16", "fc00::/7")


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class ClientAddresses:
    trusted_proxies: tuple[Network, ...]

    @classmethod
    def of_networks(cls, networks: Iterable[str] = DEFAULT_TRUSTED_PROXIES) -> ClientAddresses:
        """ValueError for a malformed network."""
        return cls(tuple(ipaddress.ip_network(network, strict=False) for network in networks))

    def _trusted(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in network
                                           for network in self.trusted_proxies)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        if not self._trusted(peer) or not forwarded_for:
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop if _address(hop) is not None else peer
        return hops[0] if hops else peer
