"""Shared fixtures: stores on real SQLite and PostgreSQL, live `reelbox serve` processes, and the
tiny diffusers checkpoints (`tiny_weights`, built once per session for every directory)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from engines.diffusers.tiny_weights import tiny_weights
from reelbox.store.database import connect, migrate
from reelbox.store.store import Store
from support.skip_guard import (  # no silent skips in CI (tests/skip_allowlist.txt)
    pytest_collectreport,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

__all__ = [
    "pytest_collectreport",
    "pytest_runtest_logreport",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "tiny_weights",
]

PG_ADMIN_URL = os.environ.get(
    "REELBOX_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    if not _postgres_available():
        if os.environ.get("REELBOX_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required but not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL is not reachable (set REELBOX_REQUIRE_POSTGRES=1 to fail)")
    yield PG_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"reelbox_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reelbox.db'}"
    return str(request.getfixturevalue("postgres_url"))


class Clock:
    """A hand-driven clock for expiry and lease tests."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database_url: str, clock: Clock) -> Iterator[Store]:
    engine = connect(database_url)
    migrate(engine)
    yield Store(engine, clock=clock)
    engine.dispose()


@pytest.fixture
def small_disk(tmp_path) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A real 4 MiB filesystem (tmpfs) for disk-full tests; see support/disk.py."""
    from support.disk import mounted_tmpfs

    with mounted_tmpfs(tmp_path / "disk", size="4m") as path:
        yield path
