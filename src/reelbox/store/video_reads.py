"""The polling hot path: a Video's wire columns, read without building a `Job`.

Clients poll `GET /v1/videos/{id}` every few hundred milliseconds, so this one read is kept lean
(docs/benchmarks.md measured each piece): only the 15 columns the Video object shows, no JSON
columns to decode, one prebuilt statement. On SQLite it goes through a plain `sqlite3`
connection per thread in autocommit mode, where one `SELECT` is its own consistent WAL snapshot
and never waits for a writer; SQLAlchemy's per-call connection checkout, `BEGIN` and row mapping
cost ten times the query. On PostgreSQL it goes through a small psycopg async pool on the event
loop, in autocommit with prepared statements: one round trip per read, no worker thread, no
`BEGIN`/`ROLLBACK` and no pool ping around it (SQLAlchemy's pooled select cost about four times
as much CPU; docs/benchmarks.md). There, under load, the retrieves waiting at one moment go as
one `id = ANY(...)` query and identical page requests share one read (store/coalescing.py): the
round trip, not the rows, is what a PostgreSQL read costs the API process. Without psycopg's
pool package the PostgreSQL reads fall back to SQLAlchemy in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

from anyio import to_thread
from sqlalchemy import Engine, bindparam, select

from reelbox.jobs.status import JobStatus
from reelbox.store.coalescing import Coalescer
from reelbox.store.tables import jobs

WIRE_COLUMNS = (
    "id",
    "dialect",
    "model",
    "status",
    "progress",
    "created_at",
    "completed_at",
    "expires_at",
    "prompt",
    "width",
    "height",
    "seconds",
    "remixed_from_video_id",
    "error_code",
    "error_message",
)
_SQL = (
    f"SELECT {', '.join(WIRE_COLUMNS)} FROM jobs "
    "WHERE id = ? AND project = ? AND deleted_at IS NULL"
)

_PAGE_SQL = (
    f"SELECT {', '.join(WIRE_COLUMNS)} FROM jobs "
    "WHERE project = ? AND dialect = ? AND deleted_at IS NULL{cursor} "
    "ORDER BY created_at {direction}, id {direction} LIMIT ?"
)
_ANCHOR_SQL = "SELECT created_at, id FROM jobs WHERE id = ? AND project = ?"
# PostgreSQL: the retrieves waiting at one moment, in one round trip (store/coalescing.py).
_MANY_SQL = (
    f"SELECT {', '.join(WIRE_COLUMNS)}, project FROM jobs "
    "WHERE id = ANY(%s) AND deleted_at IS NULL"
)

POOL_SIZE = 8  # PostgreSQL connections each process keeps for these reads, at most
RETRIEVES_IN_FLIGHT = 2  # batches of concurrent retrieves sent at once (the rest wait and join)

log = logging.getLogger(__name__)

_PageKey = tuple[str, str, int, str, str | None]  # project, dialect, limit, order, after
_Page = tuple[list["VideoRow"], bool]


def _pg(sql: str) -> str:
    """The same statement with psycopg's placeholders."""
    return sql.replace("?", "%s")


class VideoRow(NamedTuple):
    """What the Video object shows of a job (the same names as `Job`'s fields).

    A named tuple: a page is built from up to 101 of these per request, and a tuple is built
    four times faster than a frozen dataclass (which sets each field through `object`)."""

    id: str
    dialect: str
    model: str
    status: JobStatus
    progress: int
    created_at: int
    completed_at: int | None
    expires_at: int | None
    prompt: str
    width: int
    height: int
    seconds: str
    remixed_from_video_id: str | None
    error_code: str | None
    error_message: str | None

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


_STATUS = {status.value: status for status in JobStatus}


def video_row(values: Sequence[Any]) -> VideoRow:
    """A row of `WIRE_COLUMNS`, in that order. The times are stored as floats (`jobs` keeps
    fractions of a second) and the Video object shows whole seconds."""
    (vid, dialect, model, status, progress, created, completed, expires, prompt, width, height,
     seconds, remixed, code, message) = values[:15]  # fmt: skip
    return VideoRow(
        str(vid),
        str(dialect),
        str(model),
        _STATUS[status],
        int(progress),
        int(created),
        None if completed is None else int(completed),
        None if expires is None else int(expires),
        str(prompt),
        int(width),
        int(height),
        str(seconds),
        None if remixed is None else str(remixed),
        None if code is None else str(code),
        None if message is None else str(message),
    )


class VideoReader:
    """The Video reads. `get` and `page` block (SQLite's are cheap enough for the event loop);
    `fetch` and `fetch_page` are what the API awaits, on either database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite_path = engine.url.database if engine.dialect.name == "sqlite" else None
        self._pool: Any = None  # psycopg_pool.AsyncConnectionPool, once `open`ed (PostgreSQL)
        # Concurrent retrieves share round trips; identical page requests share one read (the
        # rows are read-only to the callers).
        self._retrieves = Coalescer(self._fetch_many, max_in_flight=RETRIEVES_IN_FLIGHT)
        self._pages = Coalescer(self._pages_many, max_in_flight=RETRIEVES_IN_FLIGHT)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        columns = [jobs.c[name] for name in WIRE_COLUMNS]
        self._statement = select(*columns).where(
            jobs.c.id == bindparam("video_id"),
            jobs.c.project == bindparam("project"),
            jobs.c.deleted_at.is_(None),
        )

    def get(self, video_id: str, *, project: str) -> VideoRow | None:
        """A visible job's wire columns, if it belongs to `project`."""
        if self._sqlite_path is not None:
            values = self._sqlite().execute(_SQL, (video_id, project)).fetchone()
        else:
            with self.engine.connect() as conn:
                found = conn.execute(
                    self._statement, {"video_id": video_id, "project": project}
                ).one_or_none()
            values = None if found is None else tuple(found)
        return None if values is None else video_row(values)

    def page(
        self, *, project: str, dialect: str, limit: int, order: str, after: str | None
    ) -> tuple[list[VideoRow], bool] | None:
        """On SQLite, the page `Store.list_videos` gives, read the same lean way as `get`;
        None elsewhere (PostgreSQL pages go through `Store.list_videos`)."""
        if self._sqlite_path is None:
            return None
        conn = self._sqlite()
        params: list[Any] = [project, dialect]
        cursor = ""
        if after is not None:
            anchor = conn.execute(_ANCHOR_SQL, (after, project)).fetchone()
            if anchor is None:
                return [], False
            cursor = f" AND (created_at, id) {'<' if order == 'desc' else '>'} (?, ?)"
            params += anchor
        direction = "DESC" if order == "desc" else "ASC"
        sql = _PAGE_SQL.format(cursor=cursor, direction=direction)
        rows = conn.execute(sql, (*params, limit + 1)).fetchall()
        return [video_row(r) for r in rows[:limit]], len(rows) > limit

    async def open(self) -> None:
        """On PostgreSQL, start the read pool (its connections open in the background)."""
        if self._sqlite_path is not None or self._pool is not None:
            return
        try:
            from psycopg_pool import AsyncConnectionPool
        except ImportError:
            log.warning("psycopg_pool is not installed: Video reads use SQLAlchemy in threads")
            return
        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._pool = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True, "prepare_threshold": 0},
            open=False,
            name="reelbox-video-reads",
        )
        await self._pool.open(wait=False)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        self.close()

    async def fetch(self, video_id: str, *, project: str) -> VideoRow | None:
        """`get`, awaited: on the loop (SQLite, the PostgreSQL pool) or in a thread."""
        if self._sqlite_path is not None:
            return self.get(video_id, project=project)
        if self._pool is None:
            return await to_thread.run_sync(lambda: self.get(video_id, project=project))
        return await self._retrieves.load((video_id, project))

    async def _fetch_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], VideoRow]:
        rows = await self._query(_MANY_SQL, ([video_id for video_id, _ in keys],))
        return {(r[0], r[-1]): video_row(r) for r in rows}

    async def fetch_page(
        self, *, project: str, dialect: str, limit: int, order: str, after: str | None
    ) -> tuple[list[VideoRow], bool] | None:
        """`page`, awaited; None where only `Store.list_videos` can answer (no pool)."""
        if self._sqlite_path is not None:
            return self.page(
                project=project, dialect=dialect, limit=limit, order=order, after=after
            )
        if self._pool is None:
            return None
        return await self._pages.load((project, dialect, limit, order, after))

    async def _pages_many(self, keys: list[_PageKey]) -> dict[_PageKey, _Page]:
        pages = await asyncio.gather(*(self._page(*key) for key in keys))
        return dict(zip(keys, pages, strict=True))

    async def _page(
        self, project: str, dialect: str, limit: int, order: str, after: str | None
    ) -> _Page:
        params: list[Any] = [project, dialect]
        cursor = ""
        if after is not None:
            anchor = await self._query(_pg(_ANCHOR_SQL), (after, project))
            if not anchor:
                return [], False
            cursor = f" AND (created_at, id) {'<' if order == 'desc' else '>'} (%s, %s)"
            params += anchor[0]
        direction = "DESC" if order == "desc" else "ASC"
        sql = _pg(_PAGE_SQL).format(cursor=cursor, direction=direction)
        rows = await self._query(sql, (*params, limit + 1))
        return [video_row(r) for r in rows[:limit]], len(rows) > limit

    async def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        import psycopg

        for attempt in (1, 2):
            try:
                async with self._pool.connection() as conn:
                    cursor = await conn.execute(sql, params)
                    rows: list[tuple[Any, ...]] = await cursor.fetchall()
                    return rows
            except psycopg.OperationalError:
                # The server dropped connections (a restart, a failover): the pool discards
                # this one; `check` replaces the other idle ones it dropped, then one more try.
                if attempt == 2:
                    raise
                await self._pool.check()
        raise AssertionError("unreachable")

    def _sqlite(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            assert self._sqlite_path is not None
            # Autocommit (no implicit BEGIN): each SELECT reads the latest committed snapshot.
            conn = sqlite3.connect(
                self._sqlite_path, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout=1000")
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self._local = threading.local()

