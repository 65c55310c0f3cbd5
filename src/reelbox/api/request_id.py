"""`x-request-id` on every response (the SDK exposes it as `request_id`)."""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelbox.observability import logs as log_context


class RequestIdMiddleware:
    """A plain ASGI middleware: cheaper than `BaseHTTPMiddleware` on the polling hot path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{secrets.token_hex(16)}".encode()
        log_context.request_id.set(request_id.decode())  # on this request's log lines

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)
