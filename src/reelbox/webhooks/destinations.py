"""Where webhooks may go: the outbound (SSRF) guard.

Two checks. `DestinationPolicy.check_url` runs when an endpoint is registered or changed: the
scheme (`https` only unless `http` is allowed), the URL's shape, and a literal address. Before
every attempt `DestinationPolicy.resolve` resolves the host and refuses it if any address is
loopback, private, link-local, a cloud metadata address or otherwise not public (unless allowed);
the request then goes to the checked address, with the hostname kept in `Host` and in TLS SNI,
so a DNS answer that changes between the check and the connection (rebinding) cannot redirect
it. Metadata addresses are refused even when private addresses are allowed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2048
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, …
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)


class DestinationRefused(Exception):
    """A URL or address webhooks may not be sent to; the message says why."""


@dataclass(frozen=True, kw_only=True)
class Target:
    """A checked endpoint URL, split into what a connection needs."""

    url: str
    scheme: str
    host: str  # a hostname, or an address without brackets
    port: int
    address: IPAddress | None  # when the host is a literal address


class Resolver(Protocol):
    """Turns a hostname into the addresses a connection may use."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]: ...


class SystemResolver:
    """The operating system's resolver (`getaddrinfo`), without blocking the event loop."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found: dict[IPAddress, None] = {}
        for *_, sockaddr in infos:
            found[ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])] = None
        return list(found)


def _unmapped(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it reaches."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _not_public(address: IPAddress) -> str | None:
    """Why an address is not a public one, or None if it is."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified or address.is_reserved or not address.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True, kw_only=True)
class DestinationPolicy:
    allow_http: bool = False
    allow_private: bool = False  # loopback, private and link-local, never metadata
    allowed_networks: tuple[Network, ...] = ()  # allowed whatever they are

    @classmethod
    def build(
        cls, *, allow_http: bool, allow_private: bool, allowed_networks: Iterable[str]
    ) -> DestinationPolicy:
        return cls(
            allow_http=allow_http,
            allow_private=allow_private,
            allowed_networks=tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks),
        )

    def check_url(self, url: str) -> Target:
        """Check an endpoint URL's scheme and shape (and its address, if it is a literal)."""
        if len(url) > MAX_URL_LENGTH:
            raise DestinationRefused(f"The URL is longer than {MAX_URL_LENGTH} characters.")
        if any(c.isspace() or ord(c) < 32 for c in url):
            raise DestinationRefused("The URL must not contain spaces or control characters.")
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "http" and not self.allow_http:
            raise DestinationRefused("Only https URLs are accepted.")
        if scheme not in ("https", "http"):
            raise DestinationRefused("The URL must start with https://.")
        if not parts.hostname:
            raise DestinationRefused("The URL has no host.")
        if parts.username is not None or parts.password is not None:
            raise DestinationRefused("The URL must not contain credentials.")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise DestinationRefused("The URL's port is not valid.") from None
        host = parts.hostname
        try:
            address: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None:
            self.check_address(address)
        return Target(url=url, scheme=scheme, host=host, port=port, address=address)

    def refusal(self, address: IPAddress) -> str | None:
        """Why webhooks may not reach an address ("a private address"), or None."""
        address = _unmapped(address)
        if any(address in network for network in self.allowed_networks):
            return None
        reason = _not_public(address)
        nearby = address.is_loopback or address.is_private or address.is_link_local
        if self.allow_private and nearby and address not in METADATA_ADDRESSES:
            return None
        return reason

    def check_address(self, address: IPAddress) -> None:
        reason = self.refusal(address)
        if reason is not None:
            raise DestinationRefused(f"{_unmapped(address)} is {reason}.")

    async def resolve(self, target: Target, resolver: Resolver) -> IPAddress:
        """The address to connect to: every address the host resolves to must be allowed.

        Raises `DestinationRefused`, or `OSError` when the name does not resolve.
        """
        if target.address is not None:
            self.check_address(target.address)
            return target.address
        addresses = await resolver.resolve(target.host, target.port)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, f"{target.host} has no addresses")
        for address in addresses:
            reason = self.refusal(address)
            if reason is not None:
                raise DestinationRefused(
                    f"{target.host} resolves to {_unmapped(address)}, {reason}."
                )
        return addresses[0]
