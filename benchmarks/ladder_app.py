"""An ablation ladder for `GET /v1/videos/{id}`: Reelbox's own API app plus experimental routes.

The app is `create_app(settings, run_jobs=False)` (the real routes, middleware, dependencies and
store, without the scheduler and workers) with extra routes that each add or replace one layer
of the retrieve path, so the cost of every layer can be measured under the same load:

    /ladder/starlette                  a plain Starlette route: Reelbox's middleware stack only
    /ladder/fastapi                    + FastAPI route handling (no dependencies)
    /ladder/deps/{video_id}            + Reelbox's services and project dependencies (plain
                                       `def`s, so FastAPI runs each in the threadpool)
    /ladder/adeps/{video_id}           the same dependencies as `async def` (no hop)
    /ladder/adeps-hop/{video_id}       async dependencies + one no-op `run_in_threadpool` hop
    /v1/videos/{video_id}              Reelbox's real retrieve: the two dependency hops, a hop to
                                       `Store.get_job`, `video_json`
    /ladder/adeps-retrieve/{video_id}  the real retrieve with async dependencies
    /ladder/adeps-no-hop/{video_id}    async dependencies, `Store.get_job` on the event loop
    /ladder/adeps-raw/{video_id}       async dependencies, a hop to plain sqlite3 (a connection
                                       per thread, one SELECT of the needed columns, no
                                       SQLAlchemy, no Job object)
    /ladder/adeps-raw-no-hop/{video_id}  the plain sqlite3 read on the event loop

Options to try configurations without touching `src/`: `--threads N` caps the AnyIO threadpool
(default 40 threads), `--sqlite-pool N` gives SQLite a connection pool of N (Reelbox's default is
SQLAlchemy's 5 + 10 overflow, so beyond 15 busy threads requests wait for a connection and every
overflow connection is opened, set up with PRAGMAs and closed again), and `--plain-fastapi`
serves a bare `FastAPI()` app with only the first two routes (the framework's own cost).

    python benchmarks/ladder_app.py --port 8124 --data-dir DIR --config FILE [--threads 4]

`benchmarks/ladder.py` runs it and measures every rung.
"""

from __future__ import annotations

import argparse
import sqlite3
import threading
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import sqlalchemy
import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import reelbox.store.database
from reelbox.api.deps import ProjectDep, Services, ServicesDep, get_project, get_services
from reelbox.app import create_app
from reelbox.errors import NotFound
from reelbox.jobs.models import Job
from reelbox.jobs.status import JobStatus
from reelbox.settings import load_settings

VIDEO: dict[str, Any] = {
    "id": "video_0123456789abcdef0123456789abcdef",
    "object": "video",
    "model": "fake",
    "status": "completed",
    "progress": 100,
    "created_at": 1795000000,
    "completed_at": 1795000001,
    "expires_at": 1795086401,
    "prompt": "benchmark clip 00: a red ball bouncing across a wooden floor",
    "size": "64x64",
    "seconds": "1",
    "remixed_from_video_id": None,
    "error": None,
}

# Local copies of the Video object mapping (the API modules are being reorganised; the real
# route is measured through `create_app` anyway).
WIRE_STATUS = {
    JobStatus.QUEUED: "queued",
    JobStatus.IN_PROGRESS: "in_progress",
    JobStatus.COMPLETED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "failed",
}


def video_json(job: Job) -> dict[str, Any]:
    error = None
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        error = {"code": job.error_code or "internal_error", "message": job.error_message or ""}
    return {
        "id": job.id,
        "object": "video",
        "model": job.model,
        "status": WIRE_STATUS[job.status],
        "progress": job.progress,
        "created_at": job.created_at,
        "completed_at": job.completed_at,
        "expires_at": job.expires_at,
        "prompt": job.prompt,
        "size": job.size,
        "seconds": job.seconds,
        "remixed_from_video_id": job.remixed_from_video_id,
        "error": error,
    }


RAW_COLUMNS = (
    "id, dialect, model, status, progress, created_at, completed_at, expires_at, prompt, "
    "width, height, seconds, remixed_from_video_id, error_code, error_message"
)
RAW_QUERY = f"SELECT {RAW_COLUMNS} FROM jobs WHERE id = ? AND project = ? AND deleted_at IS NULL"


class RawReader:
    """Plain sqlite3, one long-lived connection per thread, autocommit reads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
        return conn

    def video(self, video_id: str, project: str) -> dict[str, Any] | None:
        row = self._conn().execute(RAW_QUERY, (video_id, project)).fetchone()
        if row is None or row[1] != "openai":
            return None
        status = JobStatus(row[3])
        error = None
        if status in (JobStatus.FAILED, JobStatus.CANCELLED):
            error = {"code": row[13] or "internal_error", "message": row[14] or ""}
        return {
            "id": row[0],
            "object": "video",
            "model": row[2],
            "status": WIRE_STATUS[status],
            "progress": row[4],
            "created_at": int(row[5]),
            "completed_at": None if row[6] is None else int(row[6]),
            "expires_at": None if row[7] is None else int(row[7]),
            "prompt": row[8],
            "size": f"{row[9]}x{row[10]}",
            "seconds": row[11],
            "remixed_from_video_id": row[12],
            "error": error,
        }


class ThreadLimit:
    """Sets the AnyIO default threadpool size when the server starts."""

    def __init__(self, app: ASGIApp, tokens: int | None) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self.tokens:
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.tokens
        await self.app(scope, receive, send)


def patch_sqlite_pool(size: int) -> None:
    """Make `reelbox.store.database.connect` give SQLite engines a pool of `size`."""
    original = sqlalchemy.create_engine

    def create_engine(url: Any, **kwargs: Any) -> sqlalchemy.Engine:
        if str(url).startswith("sqlite"):
            kwargs.setdefault("pool_size", size)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", 30)
        return original(url, **kwargs)

    reelbox.store.database.create_engine = create_engine  # type: ignore[attr-defined]


async def get_services_async(request: Request) -> Services:
    """`reelbox.api.deps.get_services` as a coroutine: FastAPI then calls it on the event loop
    instead of sending it to the threadpool."""
    return get_services(request)


async def get_project_async(request: Request) -> str:
    """`reelbox.api.deps.get_project` as a coroutine (it only reads headers and hashes a key)."""
    return get_project(request)


AsyncServicesDep = Annotated[Services, Depends(get_services_async)]
AsyncProjectDep = Annotated[str, Depends(get_project_async)]


def not_found(video_id: str) -> NotFound:
    return NotFound(f"Video with id '{video_id}' not found.", param="video_id", code="not_found")


def nothing() -> None:
    return None


async def constant(request: Request) -> Response:
    return JSONResponse(VIDEO)


def plain_fastapi() -> FastAPI:
    """`FastAPI()` with no Reelbox middleware or handlers: the framework's own cost."""
    app = FastAPI()
    app.router.routes.append(Route("/ladder/starlette", constant))

    @app.get("/ladder/fastapi")
    async def fastapi_route() -> Response:
        return JSONResponse(VIDEO)

    @app.get("/readyz")
    async def readyz() -> Response:
        return JSONResponse({"status": "ready"})

    return app


def build(data_dir: Path, config: Path) -> FastAPI:
    settings = load_settings(config, data_dir=data_dir)
    app = create_app(settings, run_jobs=False)
    raw = RawReader(data_dir / "reelbox.db")
    reelbox_routes = len(app.router.routes)
    app.router.routes.append(Route("/ladder/starlette", constant))

    @app.get("/ladder/fastapi")
    async def fastapi_route() -> Response:
        return JSONResponse(VIDEO)

    @app.get("/ladder/deps/{video_id}")
    async def deps(video_id: str, services: ServicesDep, project: ProjectDep) -> Response:
        return JSONResponse(VIDEO)

    @app.get("/ladder/adeps/{video_id}")
    async def adeps(
        video_id: str, services: AsyncServicesDep, project: AsyncProjectDep
    ) -> Response:
        return JSONResponse(VIDEO)

    @app.get("/ladder/adeps-hop/{video_id}")
    async def adeps_hop(
        video_id: str, services: AsyncServicesDep, project: AsyncProjectDep
    ) -> Response:
        await run_in_threadpool(nothing)
        return JSONResponse(VIDEO)

    @app.get("/ladder/adeps-retrieve/{video_id}")
    async def adeps_retrieve(
        video_id: str, services: AsyncServicesDep, project: AsyncProjectDep
    ) -> Response:
        job = await run_in_threadpool(services.store.get_job, video_id, project=project)
        if job is None or job.dialect != "openai":
            raise not_found(video_id)
        return JSONResponse(video_json(job))

    @app.get("/ladder/adeps-no-hop/{video_id}")
    async def adeps_no_hop(
        video_id: str, services: AsyncServicesDep, project: AsyncProjectDep
    ) -> Response:
        job = services.store.get_job(video_id, project=project)
        if job is None or job.dialect != "openai":
            raise not_found(video_id)
        return JSONResponse(video_json(job))

    @app.get("/ladder/adeps-raw/{video_id}")
    async def adeps_raw(
        video_id: str, services: AsyncServicesDep, project: AsyncProjectDep
    ) -> Response:
        video = await run_in_threadpool(raw.video, video_id, project)
        if video is None:
            raise not_found(video_id)
        return JSONResponse(video)

    @app.get("/ladder/adeps-raw-no-hop/{video_id}")
    async def adeps_raw_no_hop(
        video_id: str, services: AsyncServicesDep, project: AsyncProjectDep
    ) -> Response:
        video = raw.video(video_id, project)
        if video is None:
            raise not_found(video_id)
        return JSONResponse(video)

    # Routing is a scan in order: put the ladder first so that its rungs do not pay for matching
    # Reelbox's (many) routes, which /v1/videos/{id} itself, registered early, barely does.
    ladder = app.router.routes[reelbox_routes:]
    del app.router.routes[reelbox_routes:]
    app.router.routes[0:0] = ladder
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--threads", type=int, help="AnyIO threadpool size (default 40)")
    parser.add_argument("--sqlite-pool", type=int, help="SQLite connection pool size")
    parser.add_argument("--plain-fastapi", action="store_true", help="serve plain FastAPI()")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    if args.sqlite_pool:
        patch_sqlite_pool(args.sqlite_pool)
    inner = plain_fastapi() if args.plain_fastapi else build(args.data_dir, args.config)
    app = ThreadLimit(inner, args.threads)
    # The same uvicorn call as `reelbox serve` (src/reelbox/cli.py).
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
