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
├── Unauthenticated       missing or unknown API key
└── Forbidden             a valid key without the scope (admin operations)
```
Only the HTTP layer (`reelbox.api.errors`) knows which status code and envelope each becomes.
"""

from __future__ import annotations


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
