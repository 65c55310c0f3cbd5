"""Structured logs: `log_format = "json"` writes one JSON object per line, with the request id,
project, job id and profile of the work it belongs to (null when there is none), for every
logger, uvicorn's access log included.

The context lives in contextvars, set where it becomes known: the request id by the request-id
middleware, the project when the key is checked. Prompts are dropped from records (an extra
`prompt` attribute) unless `log_prompts` is on; keys never reach a log line (the access log has
no headers, and keys are held as digests).
"""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str | None] = ContextVar("reelbox_request_id", default=None)
project: ContextVar[str | None] = ContextVar("reelbox_project", default=None)
job_id: ContextVar[str | None] = ContextVar("reelbox_job_id", default=None)
profile: ContextVar[str | None] = ContextVar("reelbox_profile", default=None)

# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "reelbox")


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def __init__(self, *, log_prompts: bool = False) -> None:
        super().__init__()
        self.log_prompts = log_prompts

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
            "project": project.get(),
            "job_id": job_id.get(),
            "profile": profile.get(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_") or key in body:
                continue
            if key == "prompt" and not self.log_prompts:
                continue
            body[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def configure(*, log_format: str, level: str = "info", log_prompts: bool = False) -> None:
    """Send every logger to stderr as `log_format` ("text" leaves logging as it is)."""
    if log_format != "json":
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(log_prompts=log_prompts))
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler] if name == "" else []
        logger.propagate = name != ""
    logging.getLogger().setLevel(level.upper())
