"""`create_app(settings)`: wiring and lifespan only.

Everything shared (database engine, store, blob store, catalogue, scheduler and its worker
processes) is built in the lifespan and handed to requests through lifespan state; nothing is
built at import time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from reelbox import __version__
from reelbox.api import (
    azure_jobs,
    errors,
    health,
    models,
    openai_characters,
    openai_rework,
    openai_videos,
    openai_webhooks,
    video_events,
)
from reelbox.api import studio as studio_api
from reelbox.api.body_cap import BodyCap
from reelbox.api.deps import KeyRing, Services
from reelbox.api.guards import (
    DOCS_PATHS,
    METRICS_PATHS,
    LocalOnlyGuard,
    PrivatePaths,
    RequestTargetGuard,
)
from reelbox.api.limits import RateLimiter
from reelbox.api.request_id import RequestIdMiddleware
from reelbox.api.server_errors import ServerErrors
from reelbox.blobs.local import LocalBlobStore
from reelbox.engines.catalog import Catalog, ProfileSpec
from reelbox.engines.registry import check_weights
from reelbox.executors.local import LocalExecutor
from reelbox.executors.runner import RunSettings
from reelbox.executors.worker import WorkerConfig
from reelbox.moderation.moderator import Moderator
from reelbox.scheduler.scheduler import Scheduler, SchedulerSettings
from reelbox.settings import Settings
from reelbox.store.database import connect, migrate
from reelbox.store.moderation_log import ModerationLog
from reelbox.store.store import Store
from reelbox.store.video_reads import VideoReader
from reelbox.studio import mount as mount_studio
from reelbox.webhooks import WebhookService

log = logging.getLogger(__name__)


def build_catalog(settings: Settings) -> Catalog:
    profiles = {
        name: ProfileSpec(engine=p.engine, options=p.options, description=p.description)
        for name, p in settings.profiles.items()
    }
    return Catalog(profiles, settings.aliases)


def warn_unmoderated(settings: Settings) -> None:
    moderation = settings.moderation
    if moderation.policy == "off":
        log.warning("moderation is off for every project not given a policy of its own")
    off = sorted(p for p, policy in moderation.projects.items() if policy == "off")
    if off:
        log.warning("moderation is off for project(s): %s", ", ".join(off))


def create_app(settings: Settings, *, run_jobs: bool = True) -> FastAPI:
    """The ASGI app. With `run_jobs=False` no scheduler or workers start (API-only tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        database_url = settings.resolved_database_url
        engine = connect(database_url)
        migrate(engine)
        store = Store(engine)
        blobs = LocalBlobStore(settings.blob_dir)
        blobs.clean_staging(older_than=3600)
        catalog = build_catalog(settings)
        moderator = Moderator(settings.moderation)
        warn_unmoderated(settings)
        scheduler: Scheduler | None = None
        if run_jobs:
            for name, profile in settings.profiles.items():
                try:
                    check_weights(profile.engine, profile.options)
                except ValueError as exc:
                    raise ValueError(f"profile {name!r}: {exc}") from None
            executor = LocalExecutor(
                config=WorkerConfig(
                    database_url=database_url,
                    blob_dir=settings.blob_dir.resolve(),
                    profiles={n: (p.engine, p.options) for n, p in settings.profiles.items()},
                    run=RunSettings(
                        lease_seconds=settings.lease_seconds,
                        retention_seconds=settings.retention_seconds,
                    ),
                    memory_mb=settings.worker_memory_mb,
                    moderation=settings.moderation,
                    environment={"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")},
                ),
                slots=settings.workers,
                store=store,
                job_timeout=settings.job_timeout_seconds,
            )
            scheduler = Scheduler(
                store=store,
                blobs=blobs,
                executor=executor,
                settings=SchedulerSettings(
                    per_project_limit=settings.max_running_per_project,
                    lease_seconds=settings.lease_seconds,
                    interval=settings.scheduler_interval_seconds,
                    sweep_interval=settings.sweep_interval_seconds,
                    recover_all_on_start=engine.dialect.name == "sqlite",
                ),
            )
            scheduler.start()
        services = Services(
            settings=settings,
            store=store,
            blobs=blobs,
            catalog=catalog,
            keys=KeyRing(settings.api_keys),
            limiter=RateLimiter(settings.requests_per_minute),
            wake_scheduler=scheduler.wake if scheduler is not None else (lambda: None),
            moderator=moderator,
            moderation_log=ModerationLog(engine),
            videos=VideoReader(engine),
        )
        webhooks = WebhookService.from_settings(settings, engine=engine)
        if run_jobs:
            webhooks.start()  # the deliverer: a task on this event loop
        try:
            yield {"services": services, "scheduler": scheduler, "webhooks": webhooks}
        finally:
            await webhooks.stop()
            await moderator.aclose()
            services.videos.close()
            if scheduler is not None:
                scheduler.stop()
            engine.dispose()

    app = FastAPI(
        title="Reelbox",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    errors.install(app)
    # The OpenAI dialect, also served on Azure's Sora 2 paths with deployment names (D7).
    for prefix in ("/v1", "/openai/v1", "/openai/deployments/{deployment}"):
        for router in (openai_videos.router, openai_rework.router, openai_characters.router):
            app.include_router(router, prefix=prefix)
    app.include_router(azure_jobs.router)  # the Azure Sora 1 jobs API
    app.include_router(models.router, prefix="/v1")
    app.include_router(openai_webhooks.router, prefix="/v1")
    app.include_router(video_events.router, prefix="/v1")  # live events (an extension)
    app.include_router(health.router)
    app.include_router(studio_api.router, prefix="/v1")  # the web studio's extras
    mount_studio(app)  # the web studio at /
    # The edge, innermost first (the last added runs first): docs/security.md.
    app.add_middleware(BodyCap, max_bytes=settings.max_upload_bytes)
    if settings.open_mode:
        app.add_middleware(LocalOnlyGuard, settings=settings)
    else:
        private = [
            *([] if settings.public_docs else DOCS_PATHS),
            *([] if settings.public_metrics else METRICS_PATHS),
        ]
        app.add_middleware(PrivatePaths, paths=private)
    app.add_middleware(RequestTargetGuard)
    app.add_middleware(ServerErrors)
    app.add_middleware(RequestIdMiddleware)
    return app
