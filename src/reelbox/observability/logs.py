"""Structured logs: `log_format = "json"` writes one JSON object per line, with the request id,
project, job id and profile of the work it belongs to (null when there is none), for every
logger, uvicorn's access log included.

The context lives in contextvars, set where it becomes known: the request id by the edge
middleware (api/edge.py), the project when the key is checked, the job id and profile when the
video service creates or finds a job; in worker processes (and Ray actors) the job's id, project
and profile around its run, which the job's threads inherit (`start_thread`). Workers configure
logging from the same settings (`WorkerConfig.logging`). Prompts are dropped from records (an
extra `prompt` attribute) unless `log_prompts` is on; keys never reach a log line (the access
log has no headers, and keys are held as digests).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from dataclasses import dataclass
from typing import Any, Protocol

request_id: ContextVar[str | None] = ContextVar("reelbox_request_id", default=None)
project: ContextVar[str | None] = ContextVar("reelbox_project", default=None)
job_id: ContextVar[str | None] = ContextVar("reelbox_job_id", default=None)
profile: ContextVar[str | None] = ContextVar("reelbox_profile", default=None)


class JobLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def profile(self) -> str: ...


def use_job(job: JobLike | None) -> None:
    """Put `job` (None: no job) on this context's log lines from now on."""
    job_id.set(None if job is None else job.id)
    profile.set(None if job is None else job.profile)
    project.set(None if job is None else job.project)


@contextmanager
def job_context(job: JobLike) -> Iterator[None]:
    """`job` on the log lines written inside the block; the previous context after it."""
    tokens = (job_id.set(job.id), profile.set(job.profile), project.set(job.project))
    try:
        yield
    finally:
        for var, token in zip((job_id, profile, project), tokens, strict=True):
            var.reset(token)


def start_thread(target: Callable[[], object], *, name: str) -> threading.Thread:
    """A daemon thread that runs `target` in a copy of this context (threads start empty)."""
    thread = threading.Thread(target=copy_context().run, args=(target,), name=name, daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True, kw_only=True)
class LogSettings:
    """How a process logs; picklable, so workers log as the server does."""

    log_format: str = "text"
    level: str = "info"
    log_prompts: bool = False


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


def configure_worker(settings: LogSettings, *, text_format: str) -> None:
    """A worker process's logging: JSON as the server's, or plain lines in `text_format`."""
    if settings.log_format == "json":
        configure(log_format="json", level=settings.level, log_prompts=settings.log_prompts)
    else:
        logging.basicConfig(level=settings.level.upper(), format=text_format)
