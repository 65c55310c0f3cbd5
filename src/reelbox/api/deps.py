"""What route handlers get: the shared services (from lifespan state) and the caller's project."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from reelbox.api.forms import refuse_bad_text
from reelbox.api.limits import RateLimiter
from reelbox.blobs.base import BlobStore
from reelbox.engines.catalog import Catalog
from reelbox.errors import Forbidden, Unauthenticated
from reelbox.moderation.moderator import Moderator
from reelbox.observability import logs as log_context
from reelbox.service.gate import Gate
from reelbox.service.videos import VideoService
from reelbox.settings import Settings
from reelbox.store.keys import ApiKey, KeyStore, key_digest
from reelbox.store.moderation_log import ModerationLog
from reelbox.store.quotas import Quotas
from reelbox.store.store import Store
from reelbox.store.video_reads import VideoReader

OPEN_PROJECT = "default"


def hash_key(key: str) -> str:
    return key_digest(key)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the project a key belongs to, and whether it may administer keys."""

    project: str
    admin: bool = False
    key_id: str | None = None  # a stored key's id (its own quotas); None for settings' keys


MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an "
    "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
    "or in an api-key header."
)


class KeyRing:
    """API keys, held only as SHA-256 digests, mapped to their projects.

    Keys come from settings (a configured key may be given as `sha256:<hex digest>` so that the
    plain key never has to be written into a settings file) and, with a `KeyStore`, from the
    database (`reelbox keys create`). Database answers are cached for `ttl` seconds, so a key
    created or revoked on one replica takes effect on every replica within `ttl` seconds. The
    server is open (every caller is project `default`) only while neither source has a key.
    """

    def __init__(
        self,
        keys: Mapping[SecretStr, str] | Mapping[str, str],
        *,
        store: KeyStore | None = None,
        ttl: float = 2.0,
        offload: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._projects: dict[str, str] = {}
        for secret, project in keys.items():
            key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
            digest = key.removeprefix("sha256:") if key.startswith("sha256:") else hash_key(key)
            self._projects[digest.lower()] = project
        self.store = store
        self._ttl = ttl
        self._offload = offload  # database reads go to the threadpool (PostgreSQL)
        self._clock = clock
        self._wall_clock = wall_clock
        self._found: dict[str, tuple[float, ApiKey | None]] = {}
        self._exists: tuple[float, bool] | None = None

    @property
    def open(self) -> bool:
        return not self._projects and not self._stored_keys_exist()

    def project_for(self, key: str) -> str | None:
        """The project of a key from settings or an active key from the database."""
        caller = self._lookup(hash_key(key))
        return None if caller is None else caller.project

    async def caller(self, key: str | None) -> Caller:
        """Who presents `key`; raises `Unauthenticated` for a missing or unknown key."""
        if self._offload and self._needs_read(key):
            return await run_in_threadpool(self._caller, key)
        return self._caller(key)

    def _caller(self, key: str | None) -> Caller:
        if self.open:
            return Caller(OPEN_PROJECT)
        if key is None:
            raise Unauthenticated(MISSING_KEY)
        caller = self._lookup(hash_key(key))
        if caller is None:
            raise Unauthenticated("Incorrect API key provided.")
        return caller

    def _lookup(self, digest: str) -> Caller | None:
        for known, project in self._projects.items():
            if hmac.compare_digest(known, digest):
                return Caller(project)
        stored = self._stored(digest)
        if stored is None or not stored.active(self._wall_clock()):
            return None
        return Caller(stored.project, admin=stored.admin, key_id=stored.id)

    def _needs_read(self, key: str | None) -> bool:
        if self.store is None:
            return False
        now = self._clock()
        if self._exists is None or self._exists[0] <= now:
            return True
        if key is None:
            return False
        found = self._found.get(hash_key(key))
        return found is None or found[0] <= now

    def _stored_keys_exist(self) -> bool:
        if self.store is None:
            return False
        now = self._clock()
        if self._exists is None or self._exists[0] <= now:
            self._exists = (now + self._ttl, self.store.exists())
        return self._exists[1]

    def _stored(self, digest: str) -> ApiKey | None:
        if self.store is None:
            return None
        now = self._clock()
        found = self._found.get(digest)
        if found is None or found[0] <= now:
            if len(self._found) > 10_000:  # unknown keys tried at random must not grow it
                self._found.clear()
            found = (now + self._ttl, self.store.find(digest))
            self._found[digest] = found
        return found[1]


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
    quotas: Quotas
    # Profile -> its placed workers (GET /v1/models' `placement`); empty without a placement.
    placement: Callable[[], dict[str, list[dict[str, object]]]] = dict
    # The request's trace context to store with a job (observability/tracing.py); off: None.
    trace_context: Callable[[], dict[str, str] | None] = lambda: None
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
                quotas=self.quotas,
                wake_scheduler=self.wake_scheduler,
                trace_context=self.trace_context,
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


async def get_caller(request: Request) -> Caller:
    refuse_bad_request_text(request)
    caller = await services_of(request).keys.caller(presented_key(request))
    log_context.project.set(caller.project)  # on this request's log lines
    return caller


async def get_project(request: Request) -> str:
    caller = await get_caller(request)
    return caller.project


async def get_admin(request: Request) -> Caller:
    """An admin key's caller; project keys (and open servers) never administer."""
    caller = await get_caller(request)
    if not caller.admin:
        raise Forbidden(
            "You have insufficient permissions for this operation: it needs an admin key "
            "(reelbox keys create --admin)."
        )
    return caller


ServicesDep = Annotated[Services, Depends(get_services)]
ProjectDep = Annotated[str, Depends(get_project)]
CallerDep = Annotated[Caller, Depends(get_caller)]
AdminDep = Annotated[Caller, Depends(get_admin)]
