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
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from reelbox import __version__
from reelbox.api import (
    admin,
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
from reelbox.api.decode_slots import use_decode_slots
from reelbox.api.deps import KeyRing, Services
from reelbox.api.edge import Edge
from reelbox.api.guards import DOCS_PATHS, METRICS_PATHS, LocalOnly
from reelbox.api.limits import RateLimiter
from reelbox.blobs.factory import open_blob_store
from reelbox.blobs.object_store import ObjectBlobStore
from reelbox.engines.catalog import Catalog, ProfileSpec
from reelbox.executors.base import Executor, WorkerWatch
from reelbox.executors.local import LocalExecutor
from reelbox.executors.placement import plan_workers
from reelbox.executors.runner import RunSettings
from reelbox.executors.worker import WorkerConfig
from reelbox.moderation.moderator import Moderator
from reelbox.notify.hub import EventHub
from reelbox.notify.source import start_notifications
from reelbox.observability.logs import LogSettings
from reelbox.observability.metrics import Metrics
from reelbox.scheduler.leader import Leadership
from reelbox.scheduler.scheduler import Scheduler, SchedulerSettings
from reelbox.settings import Settings
from reelbox.startup import weights_problem
from reelbox.store.data_lock import DataLock
from reelbox.store.database import connect, migrate
from reelbox.store.keys import KeyStore
from reelbox.store.moderation_log import ModerationLog
from reelbox.store.quotas import Quotas, quota_defaults
from reelbox.store.store import Store
from reelbox.store.video_reads import VideoReader
from reelbox.studio import mount as mount_studio
from reelbox.webhooks import WebhookService

if TYPE_CHECKING:
    from reelbox.observability.tracing import Tracing

log = logging.getLogger(__name__)


def build_catalog(settings: Settings) -> Catalog:
    profiles = {
        name: ProfileSpec(engine=p.engine, options=p.options, description=p.description)
        for name, p in settings.profiles.items()
    }
    return Catalog(profiles, settings.aliases)


def needs_leader(settings: Settings) -> bool:
    """API replicas and a shared Ray cluster: one replica's scheduler dispatches."""
    return settings.role == "api" or settings.executor == "ray"


def build_ray_executor(
    settings: Settings, *, config: WorkerConfig, store: Store, watch: WorkerWatch | None = None
) -> Executor:
    from reelbox.executors.ray_executor import RayExecutor, ray_profiles

    return RayExecutor(
        address=settings.ray_address,
        namespace=settings.ray_namespace,
        config=config,
        profiles=ray_profiles(settings),
        store=store,
        job_timeout=settings.job_timeout_seconds,
        watch=watch,
    )


def worker_logging(settings: Settings) -> LogSettings:
    """Workers log as this process: JSON at the level `reelbox serve` configured, or (text)
    plain lines at info, as they always did."""
    if settings.log_format != "json":
        return LogSettings()
    return LogSettings(
        log_format="json",
        level=logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower(),
        log_prompts=settings.log_prompts,
    )


def warn_unmoderated(settings: Settings) -> None:
    moderation = settings.moderation
    if moderation.policy == "off":
        log.warning("moderation is off for every project not given a policy of its own")
    off = sorted(p for p, policy in moderation.projects.items() if policy == "off")
    if off:
        log.warning("moderation is off for project(s): %s", ", ".join(off))


def start_tracing(settings: Settings) -> Tracing | None:
    """Traces (extra `otel`) when `otel_endpoint` is set; opentelemetry is imported only then."""
    if settings.otel_endpoint is None:
        return None
    from reelbox.observability.tracing import Tracing

    return Tracing.start(service_name=settings.otel_service_name, endpoint=settings.otel_endpoint)


def create_app(
    settings: Settings, *, run_jobs: bool = True, tracing: Tracing | None = None
) -> FastAPI:
    """The ASGI app. With `run_jobs=False` no scheduler or workers start (API-only tests).

    `tracing` replaces the one `otel_endpoint` would start (tests pass an in-memory exporter's).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        database_url = settings.resolved_database_url
        # One server per SQLite file (store/data_lock.py); `reelbox serve` took it already.
        data_lock = DataLock.acquire(database_url, data_dir=settings.data_dir) if run_jobs else None
        engine = connect(database_url)
        migrate(engine)
        store = Store(
            engine,
            retention_seconds=settings.retention_seconds,
            min_free_bytes=settings.min_free_bytes,
        )
        blobs = open_blob_store(
            url=settings.blob_url,
            local_dir=settings.blob_dir,
            options=settings.blob_options,
            min_free_bytes=settings.min_free_bytes,
        )
        blobs.clean_staging()
        if isinstance(blobs, ObjectBlobStore):
            blobs.check()  # an unreachable bucket is refused at start, naming blob_url
        catalog = build_catalog(settings)
        moderator = Moderator(settings.moderation)
        warn_unmoderated(settings)
        use_decode_slots(settings)  # uploads decoded at once (api/decode_slots.py)
        scheduler: Scheduler | None = None
        local_executor: LocalExecutor | None = None
        if run_jobs:
            problem = weights_problem(settings)
            if problem is not None:
                raise ValueError(problem)
            placement = (
                plan_workers(settings.profiles, gpus=settings.gpus, cpu_workers=settings.workers)
                if settings.executor == "local" and settings.role != "api"
                else None
            )
            for line in placement.describe() if placement is not None else ():
                log.info("placement: %s", line)
            worker_config = WorkerConfig(
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
                pipelined=settings.pipelined_output,
                blob_url=settings.blob_url,
                blob_options=settings.blob_options,
                otel_endpoint=settings.otel_endpoint,
                otel_service_name=settings.otel_service_name,
                logging=worker_logging(settings),
            )
            executor: Executor
            if settings.executor == "ray":
                executor = build_ray_executor(
                    settings, config=worker_config, store=store, watch=metrics
                )
            else:
                executor = local_executor = LocalExecutor(
                    config=worker_config,
                    slots=0 if settings.role == "api" else settings.workers,
                    store=store,
                    job_timeout=settings.job_timeout_seconds,
                    placement=placement,
                    watch=metrics,
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
                    orphan_grace_seconds=settings.orphan_grace_seconds,
                ),
                leadership=Leadership(database_url) if needs_leader(settings) else None,
            )
            scheduler.start()
        services = Services(
            settings=settings,
            store=store,
            blobs=blobs,
            catalog=catalog,
            keys=KeyRing(
                settings.api_keys,
                store=KeyStore(engine),
                ttl=settings.key_cache_seconds,
                offload=not store.local,
            ),
            limiter=RateLimiter.for_database(settings.requests_per_minute, engine=engine),
            wake_scheduler=scheduler.wake if scheduler is not None else (lambda: None),
            moderator=moderator,
            moderation_log=ModerationLog(engine),
            videos=VideoReader(engine),
            placement=local_executor.placement_of if local_executor is not None else dict,
            quotas=Quotas(engine, defaults=quota_defaults(settings)),
            trace_context=tracing.current_context if tracing is not None else _untraced,
        )
        await services.videos.open()  # PostgreSQL's read pool (store/video_reads.py)
        metrics.bind(engine=engine, moderation_log=services.moderation_log)
        if settings.metrics_port is not None:
            metrics.serve(host=settings.host, port=settings.metrics_port)
        # Job changes from every replica (PostgreSQL NOTIFY) or one poller (SQLite) wake the
        # event streams and the scheduler.
        events = EventHub()
        if scheduler is not None:
            wake = scheduler.wake
            events.on_change(lambda kind, _job: wake() if kind == "status" else None)
        notifications = await start_notifications(
            engine, events, poll_interval=settings.events_poll_interval_seconds
        )
        webhooks = WebhookService.from_settings(settings, engine=engine, tracing=tracing)
        if run_jobs:
            webhooks.start()  # the deliverer: a task on this event loop
        try:
            yield {
                "services": services,
                "scheduler": scheduler,
                "webhooks": webhooks,
                "metrics": metrics,
                "events": events,
            }
        finally:
            await notifications.stop()
            metrics.close()
            await webhooks.stop()
            await moderator.aclose()
            await services.videos.aclose()
            if scheduler is not None:
                scheduler.stop()
            engine.dispose()
            if data_lock is not None:
                data_lock.release()
            if tracing is not None and own_tracing:
                tracing.shutdown()

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
    app.include_router(admin.router, prefix="/v1")  # keys, usage, costs, quotas (admin keys)
    app.include_router(studio_api.router, prefix="/v1")  # the web studio's extras
    mount_studio(app)  # the web studio at /
    # -- request tracing: its middleware is added here, before the edge, so that it runs inside
    # the edge (its spans can read `request_id_of(scope)`; the edge's refusals cost no span) and
    # outside every route. Nothing else in the stack needs to change for it. Nothing at all
    # when tracing is off.
    own_tracing = tracing is None
    if tracing is None:
        tracing = start_tracing(settings)
    if tracing is not None:
        app.add_middleware(tracing.middleware)
    metrics = Metrics()  # HTTP figures of this app; the store's are read at scrape time
    # The edge (docs/security.md): ids, metrics, the 500 guard, the guards and the body cap, in
    # one middleware, outermost.
    app.add_middleware(
        Edge,
        metrics=metrics,
        max_body_bytes=settings.max_upload_bytes,
        local_only=LocalOnly(settings) if settings.open_mode else None,
        private_paths=()
        if settings.open_mode
        else [
            *([] if settings.public_docs else DOCS_PATHS),
            *([] if settings.public_metrics else METRICS_PATHS),
        ],
        fast_polls=tracing is None,  # traced: every request gets its span
    )
    return app


def _untraced() -> dict[str, str] | None:
    return None
