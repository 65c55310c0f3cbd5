"""The request body cap, counted as the body streams in (chunked bodies included).

Run by the edge (api/edge.py). A declared `Content-Length` over the cap is answered 413 before
the app runs; a request with no body (neither `Content-Length` nor `Transfer-Encoding`) is not
counted. Otherwise every
body chunk is counted as the app receives it; the chunk that crosses the cap is not handed on:
the 413 is sent at once, the app is told the client went away (`http.disconnect`, which ends its
body reading), and whatever it answers after that is dropped. Nothing past the cap is held in
memory or spooled to disk; the server discards the rest of the body as it arrives and keeps the
connection, so the client reads its 413 instead of a reset.

FastAPI's own `max_body_size` raises from inside the handler's body reading, where handler code
may catch and re-wrap it, and answers outside the OpenAI envelope; this cap answers at the edge.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelbox.api.errors import edge_response

log = logging.getLogger(__name__)


def too_large_message(max_bytes: int) -> str:
    # The wording of the handlers' own check (api/forms.py), in bytes when not whole MiB.
    mib, rest = divmod(max_bytes, 1024 * 1024)
    limit = f"{mib} MB" if mib and not rest else f"{max_bytes:,} byte"
    return f"The request body is larger than the {limit} limit."


def declared_length(value: bytes | None) -> int | None:
    """A `Content-Length` header's value as a number (None: absent or unusable)."""
    # h11 has checked it is ASCII digits; anything else is not a usable length.
    return int(value) if value is not None and value.isdigit() and len(value) < 20 else None


def too_large(scope: Scope, *, max_bytes: int) -> ASGIApp:
    """The 413 of a body over the cap."""
    return edge_response(
        413, too_large_message(max_bytes), path=scope.get("path", ""), code="request_too_large"
    )


async def run_capped(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, *, max_bytes: int
) -> None:
    """Run `app` on a request with a body, counting the body as it streams (the module
    docstring); the declared length, if any, has been checked."""
    received = 0
    answered = False
    started = False

    async def capped_receive() -> Message:
        nonlocal received, answered
        if answered:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                answered = True
                if not started:
                    await too_large(scope, max_bytes=max_bytes)(scope, receive, send)
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if answered:
            return  # the 413 has been sent; the app's late answer is dropped
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, capped_receive, guarded_send)
    except Exception:
        if not answered:
            raise
        # The app failed on the body it was cut off from; the client already has its 413.
        log.debug("error after the body cap answered", exc_info=True)
