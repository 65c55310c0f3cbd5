"""Fixtures: an S3 server on loopback (moto), a bucket and a PostgreSQL database per module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from support.s3 import bucket, module_bucket, s3_endpoint

__all__ = ["bucket", "module_bucket", "s3_endpoint"]


@pytest.fixture(scope="module")
def postgres_db(postgres_admin: str) -> Iterator[str]:
    name = f"reelbox_cluster_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_admin.rsplit("/", 1)[0] + f"/{name}"
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
