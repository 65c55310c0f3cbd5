"""The one exception tree of Reelbox's request handling.

```
ReelboxError
├── InvalidRequest        a request that cannot be served as sent (param, code)
│   ├── UnknownModel
│   └── ContentBlocked    moderation refused the request (categories, never the content)
├── NotFound              no such resource for this caller (never "forbidden")
├── PayloadTooLarge       an upload over the configured cap
├── RateLimited           a queue cap or request rate exceeded (retry_after seconds)
│   └── QuotaExceeded     a project's video-seconds or concurrent-jobs quota (resets_at)
├── Unavailable           a dependency cannot answer now (retry_after seconds)
│   └── StorageUnavailable  the disk is full, read-only or gone (`full`: 507, else 503)
├── Unauthenticated       missing or unknown API key
└── Forbidden             a valid key without the scope (admin operations)
```
Only the HTTP layer (`reelbox.api.errors`) knows which status code and envelope each becomes.
`storage_fault(exc)` translates an `OSError` or a database error caused by the storage itself into
`StorageUnavailable`, so no client ever sees a server path from such an error.
"""

from __future__ import annotations

import errno


class ReelboxError(Exception):
    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.type = type


class InvalidRequest(ReelboxError):
    pass


class UnknownModel(InvalidRequest):
    def __init__(self, model: str, message: str) -> None:
        super().__init__(message, param="model", code="invalid_value")
        self.model = model


class ContentBlocked(InvalidRequest):
    def __init__(self, message: str, *, categories: tuple[str, ...], param: str | None) -> None:
        super().__init__(message, param=param, code="moderation_blocked")
        self.categories = categories


class NotFound(ReelboxError):
    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message, param=param, code=code, type=type)


class PayloadTooLarge(ReelboxError):
    pass


class RateLimited(ReelboxError):
    def __init__(self, message: str, *, retry_after: float, type: str) -> None:
        super().__init__(message, type=type)
        self.retry_after = retry_after


class Unavailable(ReelboxError):
    def __init__(self, message: str, *, retry_after: float, code: str) -> None:
        super().__init__(message, code=code, type="server_error")
        self.retry_after = retry_after


class Unauthenticated(ReelboxError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_api_key")


class QuotaExceeded(RateLimited):
    """A project's quota is used up until `resets_at` (a Unix time; None: when a job ends)."""

    def __init__(self, message: str, *, retry_after: float, resets_at: float | None) -> None:
        super().__init__(message, retry_after=retry_after, type="insufficient_quota")
        self.code = "quota_exceeded"
        self.resets_at = resets_at


class Forbidden(ReelboxError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="insufficient_permissions", type="permission_error")


class StorageUnavailable(Unavailable):
    """Blobs or the database cannot be written now: the disk is full (`full`), read-only or
    missing. Nothing about the server's paths is in the message."""

    def __init__(self, *, full: bool, retry_after: float = 30) -> None:
        reason = "is full" if full else "cannot be written"
        super().__init__(
            f"The server's storage {reason}; try again later.",
            retry_after=retry_after,
            code="storage_unavailable",
        )
        self.full = full


_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_UNWRITABLE_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO})
# SQLite primary result codes (the low byte of `sqlite_errorcode`) and PostgreSQL SQLSTATEs.
_SQLITE_FULL = 13
_SQLITE_UNWRITABLE = frozenset({8, 10, 14})  # READONLY, IOERR, CANTOPEN
_PG_FULL = frozenset({"53100"})  # disk_full
_PG_UNWRITABLE = frozenset({"25006", "58030"})  # read_only_sql_transaction, io_error


def storage_fault(exc: BaseException) -> StorageUnavailable | None:
    """`StorageUnavailable` when `exc` (or an error it wraps) says the storage is full,
    read-only or unreadable; None for every other error."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, StorageUnavailable):
            return current
        if isinstance(current, OSError) and current.errno is not None:
            if current.errno in _FULL_ERRNOS:
                return StorageUnavailable(full=True)
            if current.errno in _UNWRITABLE_ERRNOS:
                return StorageUnavailable(full=False)
        code = getattr(current, "sqlite_errorcode", None)
        if isinstance(code, int):
            if code & 0xFF == _SQLITE_FULL:
                return StorageUnavailable(full=True)
            if code & 0xFF in _SQLITE_UNWRITABLE:
                return StorageUnavailable(full=False)
        state = getattr(current, "sqlstate", None)
        if state in _PG_FULL:
            return StorageUnavailable(full=True)
        if state in _PG_UNWRITABLE:
            return StorageUnavailable(full=False)
        # SQLAlchemy keeps the driver's error in `orig`; Python chains the rest.
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return None
