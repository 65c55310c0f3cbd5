"""`x-request-id` on every response (the SDK exposes it as `request_id`).

The id is made here, first thing, and kept in the request's state (`request.state.request_id`,
`request_id_of(scope)`) so that error logs and the generic 500 message can name it.
"""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelbox.observability import logs as log_context

STATE_KEY = "request_id"


def request_id_of(scope: Scope) -> str:
    """The id `RequestIdMiddleware` gave this request ("" outside it)."""
    state = scope.get("state")
    value = state.get(STATE_KEY, "") if isinstance(state, dict) else ""
    return str(value)


class RequestIdMiddleware:
    """A plain ASGI middleware: cheaper than `BaseHTTPMiddleware` on the polling hot path.

    It is the outermost layer, so that every answer, the edge guards' refusals and the 500 of an
    unexpected error included, carries the header.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{secrets.token_hex(16)}"
        scope.setdefault("state", {})[STATE_KEY] = request_id
        header = request_id.encode()
        log_context.request_id.set(request_id)  # on this request's log lines

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", header)]
            await send(message)

        await self.app(scope, receive, send_with_id)
