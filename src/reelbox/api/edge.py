"""The edge: every HTTP request's way in and out, in one pure ASGI middleware.

In order (docs/security.md, "The edge"): count and time the request (observability/metrics.py);
give it an id (`x-request-id`, api/request_id.py); answer unexpected errors with a generic 500
(api/server_errors.py); refuse a hostile request target, a request from beyond this machine in
open mode, or a private path without a key (api/guards.py); answer a plain poll without the
router (api/polling.py); cap the body (api/body_cap.py).

These were six middlewares, one per concern, and each wrapped `send` (some `receive` too) and
built its objects on every request: about a tenth of a polled retrieve's cost went to passing
two messages through four wrappers. Here one `send` wrapper does the response's bookkeeping,
the guards read the headers in one pass, and a request without a body (no `Content-Length`, no
`Transfer-Encoding`: every poll) skips the body cap's counting, which only such headers can
need. Each module above still owns its rules; this one only puts them in order.

Requests the edge refuses itself are counted under the route `(refused)`, with their status;
requests no route matched stay `(unmatched)`; polls answered on the fast path are counted under
their route's template.
"""

from __future__ import annotations

import time
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelbox.api import body_cap, guards, polling, server_errors
from reelbox.api.request_id import STATE_KEY, new_request_id
from reelbox.observability import logs as log_context
from reelbox.observability.metrics import Metrics, route_of

REFUSED = "(refused)"
_WANTED = frozenset(
    {b"host", b"origin", b"sec-fetch-site", b"content-length", b"transfer-encoding"}
)


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        local_only: guards.LocalOnly | None,
        private_paths: Collection[str] = (),
        fast_polls: bool = True,
    ) -> None:
        """`local_only`: open mode's policy (None in keys mode); `private_paths`: keys mode's;
        `fast_polls`: answer plain polls here (api/polling.py)."""
        self.app = app
        self.fast_polls = fast_polls
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.local_only = local_only
        self.private_paths = frozenset(private_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = new_request_id()
        scope.setdefault("state", {})[STATE_KEY] = request_id
        log_context.request_id.set(request_id)  # on this request's log lines
        id_header = (b"x-request-id", request_id.encode())
        status = 500
        streaming = False
        responded = False

        async def sending(message: Message) -> None:
            nonlocal status, streaming, responded
            if message["type"] == "http.response.start":
                responded = True
                status = message["status"]
                headers = message.get("headers", ())
                for name, value in headers:
                    if name == b"content-type" and value.startswith(b"text/event-stream"):
                        streaming = True
                        self.metrics.streams.inc()
                message["headers"] = [*headers, id_header]
            await send(message)

        route = None
        try:
            try:
                route = await self._guarded(scope, receive, sending)
            except Exception as exc:
                server_errors.log_unexpected(scope, exc, request_id=request_id)
                if not responded:  # else left incomplete: the server closes the connection
                    answer = server_errors.response_for(scope, request_id=request_id)
                    await answer(scope, receive, sending)
        finally:
            if streaming:
                self.metrics.streams.dec()
            self.metrics.record(
                scope.get("method", "GET"),
                route or route_of(scope),
                status,
                None if streaming else time.perf_counter() - started,
            )

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> str | None:
        """Run the app behind the guards; the route label of a refusal (None: the app ran)."""
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", ()):
            if name in _WANTED and name not in headers:  # the first of repeated headers
                headers[name] = value
        refusal = guards.target_refusal(scope)
        if refusal is None and self.local_only is not None:
            refusal = self.local_only.refusal(scope, headers)
        if refusal is None and self.private_paths and scope["path"] in self.private_paths:
            refusal = guards.private_path_refusal(scope)
        if refusal is None:
            length = headers.get(b"content-length")
            if length is None and b"transfer-encoding" not in headers:  # no body to count
                if self.fast_polls and (route := await polling.answer(scope, receive, send)):
                    return route
                await self.app(scope, receive, send)
                return None
            declared = body_cap.declared_length(length)
            if declared is None or declared <= self.max_body_bytes:
                await body_cap.run_capped(
                    self.app, scope, receive, send, max_bytes=self.max_body_bytes
                )
                return None
            refusal = body_cap.too_large(scope, max_bytes=self.max_body_bytes)
        await refusal(scope, receive, send)
        return REFUSED
