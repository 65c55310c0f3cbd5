"""Unexpected errors: a logged traceback and a generic 500, and the connection kept.

Starlette's own `ServerErrorMiddleware` answers an unhandled exception and then re-raises it (so
that servers can log it); uvicorn, seeing an exception after the response started, closes the
transport. The client got its 500 but its keep-alive connection was dropped without
`Connection: close`, and its next request on that connection was reset. This middleware sits
inside that one, answers the 500 itself and does not re-raise: the connection stays usable.

The answer names the request id and nothing else about the failure (never the exception's text,
which can carry file paths, blob keys or database details); the log has the traceback and the id.
If the response had already started (a stream failing half-way), nothing honest can be added to
it: the error is logged and the response left incomplete, which makes the server close the
connection, so the client sees a truncated body rather than a complete-looking one.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelbox.api.errors import server_error_response
from reelbox.api.request_id import request_id_of

log = logging.getLogger(__name__)


class ServerErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            request_id = request_id_of(scope)
            log.error(
                "unexpected error on %s %s (request id %s)",
                scope.get("method", ""),
                scope.get("path", ""),
                request_id,
                exc_info=exc,
            )
            if started:
                return  # left incomplete: the server closes the connection
            response = server_error_response(request_id=request_id, path=scope.get("path", ""))
            await response(scope, receive, send)
