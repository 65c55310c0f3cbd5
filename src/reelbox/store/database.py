"""Database engines and migrations.

SQLite gets WAL journaling, a busy timeout and foreign keys on every connection, so the API process
and its worker processes can share one file. Schema changes go through Alembic only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"

WRITE_OPTION = "reelbox_write"
"""Execution option marking a transaction that will write (BEGIN IMMEDIATE on SQLite)."""


def connect(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine for `url` (sqlite:///… or postgresql+psycopg://…)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling is replaced by explicit BEGINs (see `begin`
            # below) so that writers take the write lock up front and queue on busy_timeout
            # instead of failing when a read transaction is upgraded.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            writing = conn.get_execution_options().get(WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def migrate(engine: Engine, *, revision: str = "head") -> None:
    """Bring the schema up to `revision` with Alembic."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
