"""Edge guards: requests refused before routing (api/edge.py runs them, in this order).

- `target_refusal`: a path or query string with a NUL, a malformed percent-escape or bytes
  that are not UTF-8 once decoded (lone surrogates among them) is refused 400. Such text could
  not be stored (PostgreSQL refuses NUL) or compared, and nothing legitimate sends it.
- `LocalOnly` (open local mode only; docs/security.md): the Host header must name this
  machine (loopback names and addresses, the address the server was bound to, `allowed_hosts`),
  which defeats DNS rebinding; and state-changing requests (POST, PUT, PATCH, DELETE) must come
  from no browser origin or from this server's own origin (or `allowed_origins`), which defeats
  cross-site form posts (CSRF). `Sec-Fetch-Site: cross-site` is refused on them too.
- `private_path_refusal` (keys mode only): `/metrics`, `/docs` and `/openapi.json` need a valid key
  unless the settings make them public.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from urllib.parse import unquote_to_bytes, urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Scope

from reelbox.api.deps import presented_key
from reelbox.api.errors import edge_response, error_response
from reelbox.errors import Unauthenticated
from reelbox.settings import Settings

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost"})
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/openapi.json")
METRICS_PATHS = ("/metrics",)

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def target_problem(raw: bytes) -> str | None:
    """Why a raw path or query string is refused, or None."""
    if raw.isascii() and b"%" not in raw and b"\x00" not in raw:
        return None  # the common case, decided without decoding
    if _BAD_ESCAPE.search(raw):
        return "contains a '%' that is not followed by two hexadecimal digits"
    decoded = unquote_to_bytes(raw)
    if b"\x00" in decoded:
        return "contains a NUL character"
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return "is not valid UTF-8 once decoded (lone surrogates are not characters)"
    return None


def target_refusal(scope: Scope) -> ASGIApp | None:
    """The 400 for a hostile path or query string, or None."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogatepass")
    for what, raw in (("path", raw_path), ("query string", scope.get("query_string", b""))):
        problem = target_problem(raw)
        if problem is not None:
            return edge_response(
                400,
                f"The request's {what} {problem}.",
                path=scope["path"],
                code="invalid_url",
            )
    return None


def _text(value: bytes | None) -> str | None:
    return None if value is None else bytes(value).decode("latin-1")


def split_host(value: str) -> tuple[str, int | None] | None:
    """`Host` → (lowercase name without brackets, port or None); None if malformed."""
    try:
        parts = urlsplit(f"//{value}")
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not name or parts.username is not None or parts.password is not None or parts.path:
        return None
    return name, port


def is_loopback_name(name: str) -> bool:
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(name: str, *, allowed: Collection[str]) -> bool:
    if is_loopback_name(name):
        return True
    for entry in allowed:
        entry = entry.lower().strip("[]")
        if entry == "*" or entry == name:
            return True
        if entry.startswith(".") and (name == entry[1:] or name.endswith(entry)):
            return True
    return False


_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(origin: str, host: str) -> bool:
    """Whether a browser `Origin` is the origin this request was sent to (by its Host)."""
    try:
        parts = urlsplit(origin)
        origin_name, origin_port = parts.hostname, parts.port
    except ValueError:
        return False
    split = split_host(host)
    if parts.scheme not in _DEFAULT_PORTS or not origin_name or split is None:
        return False
    default = _DEFAULT_PORTS[parts.scheme]
    name, port = split
    return (origin_name, origin_port or default) == (name, port or default)


class LocalOnly:
    """Open local mode serves this machine only (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        bound = settings.host.strip("[]")
        wildcard = bound in ("", "0.0.0.0", "::")
        # A server bound to one address (with --insecure) is reached by that address.
        self.allowed_hosts = [*settings.allowed_hosts, *([] if wildcard else [bound])]
        self.allowed_origins = {o.lower().rstrip("/") for o in settings.allowed_origins}
        # Host header → served or not. A server sees a handful of Host values, and parsing one
        # (urlsplit, ipaddress) cost more than the rest of the edge on every poll.
        self._hosts: dict[bytes, bool] = {}

    def host_served(self, raw: bytes) -> bool:
        served = self._hosts.get(raw)
        if served is None:
            split = split_host(raw.decode("latin-1"))
            served = split is not None and host_allowed(split[0], allowed=self.allowed_hosts)
            if len(self._hosts) >= 256:  # made-up Host values must not grow it
                self._hosts.clear()
            self._hosts[raw] = served
        return served

    def refusal(self, scope: Scope, headers: Mapping[bytes, bytes]) -> ASGIApp | None:
        """The 421 or 403 for this request, or None; `headers`: the first of each name."""
        path = scope.get("path", "")
        raw_host = headers.get(b"host")
        host = _text(raw_host)
        if raw_host is not None and not self.host_served(bytes(raw_host)):
            return edge_response(
                421,
                "This server runs in open local mode and answers only requests addressed "
                "to this machine (localhost, 127.0.0.1, [::1]); add the host name to the "
                "allowed_hosts setting to serve it.",
                path=path,
                code="host_not_allowed",
            )
        if scope.get("method") not in STATE_CHANGING:
            return None
        fetch_site = (_text(headers.get(b"sec-fetch-site")) or "").lower()
        if fetch_site == "cross-site" or not self.origin_allowed(
            _text(headers.get(b"origin")), host=host
        ):
            return edge_response(
                403,
                "Cross-origin requests that change state are refused in open local mode: a web "
                "page may not create or delete videos on this server. Add the page's origin to "
                "the allowed_origins setting to permit it.",
                path=path,
                type="invalid_request_error",
                code="cross_origin_request",
            )
        return None

    def origin_allowed(self, origin: str | None, *, host: str | None) -> bool:
        if origin is None:
            return True  # not a browser's cross-origin request (SDKs, curl)
        if origin.lower().rstrip("/") in self.allowed_origins:
            return True
        return host is not None and same_origin(origin, host)


def private_path_refusal(scope: Scope) -> ASGIApp | None:
    """Keys mode: the 401 for a private path (docs, metrics) without a valid key, or None."""
    request = Request(scope)
    services = getattr(request.state, "services", None)
    key = presented_key(request)
    if key is None:
        refusal = Unauthenticated(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer "
            "YOUR_KEY), or in an api-key header."
        )
    elif services is None or services.keys.project_for(key) is None:
        refusal = Unauthenticated("Incorrect API key provided.")
    else:
        return None
    return error_response(refusal, path=scope["path"])
