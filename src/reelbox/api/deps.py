"""What route handlers get: the shared services (from lifespan state) and the caller's project."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from pydantic import SecretStr

from reelbox.api.limits import RateLimiter
from reelbox.blobs.base import BlobStore
from reelbox.engines.catalog import Catalog
from reelbox.errors import Unauthenticated
from reelbox.moderation.moderator import Moderator
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

    def __init__(self, keys: Mapping[SecretStr, str] | Mapping[str, str]) -> None:
        self._projects: dict[str, str] = {}
        for secret, project in keys.items():
            key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
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


async def get_project(request: Request) -> str:
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
