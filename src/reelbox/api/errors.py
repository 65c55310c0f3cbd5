"""Turning Reelbox errors into OpenAI-style error responses.

Only this module knows status codes. Every error body is the OpenAI envelope
`{"error": {"message", "type", "param", "code"}}`; the Azure dialect adds `inner_error`.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelbox.errors import (
    ContentBlocked,
    Forbidden,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ReelboxError,
    StorageUnavailable,
    Unauthenticated,
    Unavailable,
    storage_fault,
)

log = logging.getLogger(__name__)

STATUS: dict[type[ReelboxError], int] = {
    InvalidRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    PayloadTooLarge: 413,
    RateLimited: 429,
    Unavailable: 503,
}


def status_of(exc: ReelboxError) -> int:
    if isinstance(exc, StorageUnavailable) and exc.full:
        return 507  # Insufficient Storage
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(
    message: str,
    *,
    type: str,
    param: str | None = None,
    code: str | None = None,
    inner_error: dict[str, object] | None = None,
) -> dict[str, object]:
    error: dict[str, object] = {"message": message, "type": type, "param": param, "code": code}
    if inner_error is not None:
        error["inner_error"] = inner_error
    return {"error": error}


def is_azure_jobs_path(path: str) -> bool:
    """The Azure Sora 1 jobs API answers errors in its own envelope (with `inner_error`)."""
    return path.startswith("/openai/") and "/video/generations" in path


def azure_error_body(
    message: str,
    *,
    status: int,
    type: str,
    param: str | None,
    code: str | None,
    inner_error: dict[str, object] | None = None,
) -> dict[str, object]:
    # Azure's schema has a string `code` and an `inner_error` object; DECISIONS D7 wraps it.
    return {
        "error": {
            "code": code or _AZURE_CODES.get(status, str(status)),
            "message": message,
            "param": param,
            "type": type,
            "inner_error": inner_error,
        }
    }


_AZURE_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    413: "RequestEntityTooLarge",
    421: "MisdirectedRequest",
    429: "TooManyRequests",
    503: "ServiceUnavailable",
    507: "InsufficientStorage",
    500: "InternalServerError",
}


def error_response(exc: ReelboxError, *, path: str = "") -> JSONResponse:
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited | Unavailable):
        headers["retry-after"] = str(max(1, math.ceil(exc.retry_after)))
        headers["retry-after-ms"] = str(max(1, int(exc.retry_after * 1000)))
    if isinstance(exc, Unauthenticated):
        headers["www-authenticate"] = "Bearer"
    inner = None
    if isinstance(exc, ContentBlocked) and path.startswith("/openai/"):
        # Azure clients look for Azure's content-filter refusal (SORA_API.md B6).
        inner = responsible_ai_violation(exc.categories)
    if is_azure_jobs_path(path):
        body = azure_error_body(
            exc.message,
            status=status,
            type=exc.type,
            param=exc.param,
            code=exc.code,
            inner_error=inner,
        )
    else:
        body = error_body(
            exc.message, type=exc.type, param=exc.param, code=exc.code, inner_error=inner
        )
    return JSONResponse(body, status_code=status, headers=headers)


# Reelbox categories → Azure content-filter names.
_AZURE_FILTERS = (
    ("sexual", "sexual"),
    ("violence", "violence"),
    ("self-harm", "self_harm"),
    ("hate", "hate"),
    ("harassment", "hate"),
    ("copyright", "protected_material_text"),
)


def responsible_ai_violation(categories: tuple[str, ...]) -> dict[str, object]:
    details: dict[str, object] = {}
    for category in categories:
        name = next(
            (azure for ours, azure in _AZURE_FILTERS if category.split("/")[0] == ours),
            "custom_blocklists",
        )
        details[name] = {"filtered": True}
    return {
        "code": "ResponsibleAIPolicyViolation",
        "error_details": details,
        "categories": list(categories),
    }


async def _reelbox_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ReelboxError)
    return error_response(exc, path=request.url.path)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        if request.url.path.startswith("/openai/"):
            # Azure's generic routing error (SORA_API.md B5).
            return JSONResponse(
                {"error": {"code": "404", "message": "Resource not found"}}, status_code=404
            )
        message = f"Invalid URL ({request.method} {request.url.path})"
        return JSONResponse(error_body(message, type="invalid_request_error"), status_code=404)
    return JSONResponse(
        error_body(str(exc.detail), type="invalid_request_error"),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")]
    return JSONResponse(
        error_body(
            f"Invalid value for '{'.'.join(loc)}': {first.get('msg', 'invalid')}",
            type="invalid_request_error",
            param=".".join(loc) or None,
            code="invalid_value",
        ),
        status_code=400,
    )


async def _storage_or_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A full or read-only disk (blobs or database) is a 507/503 `storage_unavailable`, never
    a 500 with a path in it; anything else is unexpected."""
    fault = storage_fault(exc)
    if fault is None:
        raise exc
    log.warning("storage fault on %s %s: %s", request.method, request.url.path, exc)
    return error_response(fault, path=request.url.path)


SERVER_ERROR_MESSAGE = (
    "The server had an error processing your request. Sorry about that! You can retry your "
    "request, or report the error with its request id {request_id} if it keeps happening."
)


def edge_response(
    status: int,
    message: str,
    *,
    path: str,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An error answered before routing (the edge guards): the envelope of the path's dialect."""
    if is_azure_jobs_path(path):
        body = azure_error_body(message, status=status, type=type, param=param, code=code)
    else:
        body = error_body(message, type=type, param=param, code=code)
    return JSONResponse(body, status_code=status, headers=headers)


def server_error_response(*, request_id: str, path: str) -> JSONResponse:
    """The 500 of an unexpected error: a generic message and the request id, nothing else.

    Never the exception's text: it can name files, blob keys or database details.
    """
    return edge_response(
        500, SERVER_ERROR_MESSAGE.format(request_id=request_id), path=path, type="server_error"
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ReelboxError, _reelbox_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OSError, _storage_or_unexpected)
    app.add_exception_handler(SQLAlchemyError, _storage_or_unexpected)
    # No handler for `Exception`: Starlette would run it in its ServerErrorMiddleware, which
    # re-raises after answering, and uvicorn then drops the keep-alive connection. Unexpected
    # errors are answered by the edge (`reelbox.api.edge`, `reelbox.api.server_errors`) instead.
