"""What route handlers get: the shared services (from lifespan state) and the caller's project."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from reelbox.api.forms import refuse_bad_text
from reelbox.api.limits import RateLimiter
from reelbox.blobs.base import BlobStore
from reelbox.engines.catalog import Catalog
from reelbox.errors import Unauthenticated
from reelbox.moderation.moderator import Moderator
from reelbox.service.gate import Gate
from reelbox.service.videos import VideoService
from reelbox.settings import Settings
from reelbox.store.moderation_log import ModerationLog
from reelbox.store.store import Store
from reelbox.store.video_reads import VideoReader

OPEN_PROJECT = "default"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyRing:
    """API keys, held only as SHA-256 digests, mapped to their projects.

    A configured key may be given as `sha256:<hex digest>` so that the plain key never has to be
    written into a settings file.
    """

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._projects: dict[str, str] = {}
        for key, project in keys.items():
            digest = key.removeprefix("sha256:") if key.startswith("sha256:") else hash_key(key)
            self._projects[digest.lower()] = project

    @property
    def open(self) -> bool:
        return not self._projects

    def project_for(self, key: str) -> str | None:
        digest = hash_key(key)
        for known, project in self._projects.items():
            if hmac.compare_digest(known, digest):
                return project
        return None


@dataclass(kw_only=True)
class Services:
    settings: Settings
    store: Store
    blobs: BlobStore
    catalog: Catalog
    keys: KeyRing
    limiter: RateLimiter
    wake_scheduler: Callable[[], None]
    moderator: Moderator
    moderation_log: ModerationLog
    videos: VideoReader
    # Profile -> its placed workers (GET /v1/models' `placement`); empty without a placement.
    placement: Callable[[], dict[str, list[dict[str, object]]]] = dict
    _service: VideoService | None = field(default=None, init=False, repr=False)

    @property
    def service(self) -> VideoService:
        """The one service behind every create, cancel, delete and rework (built on first use)."""
        if self._service is None:
            gate = Gate(
                limiter=self.limiter,
                moderator=self.moderator,
                moderation_log=self.moderation_log,
            )
            self._service = VideoService(
                settings=self.settings,
                store=self.store,
                blobs=self.blobs,
                gate=gate,
                wake_scheduler=self.wake_scheduler,
            )
        return self._service


def services_of(request: Request) -> Services:
    services: Services = request.state.services
    return services


# The dependencies are `async def` on purpose: FastAPI runs plain `def` dependencies in the
# threadpool, a hop that cost ~160 µs per request on the polling path (docs/benchmarks.md).
async def get_services(request: Request) -> Services:
    return services_of(request)


def presented_key(request: Request) -> str | None:
    """The caller's key: the `api-key` header (Azure clients), else a bearer token."""
    key = request.headers.get("api-key")
    if key and key.strip():
        return key.strip()
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


# Headers whose values a route reads as data (the event stream's reconnect point).
VALUE_HEADERS = ("last-event-id",)


def refuse_bad_request_text(request: Request) -> None:
    """400 for a NUL or lone surrogate in a path id, a query parameter or a value header:
    they can never name anything, and PostgreSQL refuses NUL outright (a 500 otherwise)."""
    for name, value in request.path_params.items():
        if isinstance(value, str):
            refuse_bad_text(value, param=name)
    # Query strings decode with errors="replace" (no surrogates): only a NUL can get through,
    # and it can only come from `%00` (or a raw NUL), so the common case costs one scan.
    query = request.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in request.query_params.multi_items():
            refuse_bad_text(name, param=None)
            refuse_bad_text(value, param=name)
    for name in VALUE_HEADERS:
        header = request.headers.get(name)
        if header is not None:
            refuse_bad_text(header, param=name)


async def get_project(request: Request) -> str:
    refuse_bad_request_text(request)
    services = services_of(request)
    key = presented_key(request)
    if services.keys.open:
        return OPEN_PROJECT
    if key is None:
        raise Unauthenticated(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
            "or in an api-key header."
        )
    project = services.keys.project_for(key)
    if project is None:
        raise Unauthenticated("Incorrect API key provided.")
    return project


ServicesDep = Annotated[Services, Depends(get_services)]
ProjectDep = Annotated[str, Depends(get_project)]
