"""Unexpected errors: a logged traceback and a generic 500, and the connection kept.

Starlette's own `ServerErrorMiddleware` answers an unhandled exception and then re-raises it (so
that servers can log it); uvicorn, seeing an exception after the response started, closes the
transport. The client got its 500 but its keep-alive connection was dropped without
`Connection: close`, and its next request on that connection was reset. The edge (api/edge.py)
sits inside that one, answers the 500 itself (`response_for`) and does not re-raise: the
connection stays usable.

The answer names the request id and nothing else about the failure (never the exception's text,
which can carry file paths, blob keys or database details); the log has the traceback and the id.
If the response had already started (a stream failing half-way), nothing honest can be added to
it: the error is logged and the response left incomplete, which makes the server close the
connection, so the client sees a truncated body rather than a complete-looking one.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Scope

from reelbox.api.errors import server_error_response

log = logging.getLogger(__name__)


def log_unexpected(scope: Scope, exc: Exception, *, request_id: str) -> None:
    log.error(
        "unexpected error on %s %s (request id %s)",
        scope.get("method", ""),
        scope.get("path", ""),
        request_id,
        exc_info=exc,
    )


def response_for(scope: Scope, *, request_id: str) -> ASGIApp:
    """The generic 500, for an error raised before the response started."""
    return server_error_response(request_id=request_id, path=scope.get("path", ""))
