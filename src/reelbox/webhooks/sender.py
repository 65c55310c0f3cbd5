"""One delivery attempt over HTTP: check the destination, POST the signed body, judge the answer.

Any 2xx status within the timeout is success. Redirects are not followed: a 3xx is a failure,
as is any other status, a timeout, a refused destination or a connection error. Only a short
prefix of the response body is kept, for the deliveries log.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from reelbox.webhooks.destinations import (
    DestinationPolicy,
    DestinationRefused,
    IPAddress,
    Resolver,
    SystemResolver,
    Target,
)

RESPONSE_PREFIX_BYTES = 1024


@dataclass(frozen=True, kw_only=True)
class Outcome:
    success: bool
    status_code: int | None
    error: str | None
    response_body: str | None
    started_at: float
    duration_ms: int


class Sender:
    """Sends single webhook requests; `transport` and `resolver` are plug points for tests."""

    def __init__(
        self,
        *,
        policy: DestinationPolicy,
        timeout: float,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self.resolver: Resolver = resolver or SystemResolver()
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment may bypass the address checks
            timeout=httpx.Timeout(timeout),
            # No connection reuse: a pooled connection is keyed by address, not by TLS name,
            # and two endpoints may share an address.
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, url: str, *, headers: Mapping[str, str], body: bytes) -> Outcome:
        started_at = time.time()
        clock = time.monotonic()
        deadline = asyncio.get_running_loop().time() + self.timeout
        status: int | None = None
        error: str | None = None
        prefix: str | None = None
        location = ""
        try:
            async with asyncio.timeout_at(deadline):
                # Checked again at send time: settings may have changed since registration.
                target = self.policy.check_url(url)
                address = await self.policy.resolve(target, self.resolver)
                response = await self._client.send(
                    self._request(target, address, headers, body), stream=True
                )
            status = response.status_code
            location = response.headers.get("location", "")
            prefix = await self._read_prefix(response, deadline)
        except DestinationRefused as exc:
            error = f"destination refused: {exc}"
        except (TimeoutError, httpx.TimeoutException):
            error = f"no response within {self.timeout:g} s"
        except socket.gaierror as exc:
            error = f"could not resolve the host: {exc.strerror or exc}"
        except (httpx.HTTPError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if status is not None and 300 <= status < 400:
            error = f"redirect to {location!r} not followed" if location else "redirect"
        return Outcome(
            success=status is not None and 200 <= status < 300,
            status_code=status,
            error=error,
            response_body=prefix,
            started_at=started_at,
            duration_ms=round((time.monotonic() - clock) * 1000),
        )

    @staticmethod
    def _request(
        target: Target, address: IPAddress, headers: Mapping[str, str], body: bytes
    ) -> httpx.Request:
        """A request to the checked address, naming the host in `Host` and in TLS SNI."""
        url = httpx.URL(target.url).copy_with(host=str(address), fragment=None)
        extensions = {}
        if target.scheme == "https" and target.address is None:
            extensions["sni_hostname"] = target.host
        return httpx.Request(
            "POST",
            url,
            headers={**headers, "host": urlsplit(target.url).netloc},
            content=body,
            extensions=extensions,
        )

    @staticmethod
    async def _read_prefix(response: httpx.Response, deadline: float) -> str:
        """The first bytes of the body; a receiver that already answered is not failed for a
        slow or broken body."""
        data = bytearray()
        try:
            async with asyncio.timeout_at(deadline):
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) >= RESPONSE_PREFIX_BYTES:
                        break
        except (TimeoutError, httpx.HTTPError):
            pass
        finally:
            await response.aclose()
        return bytes(data[:RESPONSE_PREFIX_BYTES]).decode("utf-8", errors="replace")
