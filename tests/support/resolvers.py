"""A DNS resolver from a fixed table, for the webhook tests (it satisfies
`reelbox.webhooks.destinations.Resolver`, a protocol, so nothing in `src/` needs to know it)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping, Sequence

from reelbox.webhooks.destinations import IPAddress


class StaticResolver:
    """Names resolve to the addresses of the table; unknown names fail as DNS would."""

    def __init__(self, table: Mapping[str, Sequence[str]]) -> None:
        self.table = {h: [ipaddress.ip_address(a) for a in addrs] for h, addrs in table.items()}

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, f"unknown host {host}")
        return list(self.table[host])
