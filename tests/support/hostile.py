"""Shared by the hostile-input tests: live servers per database, the envelope check."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from support.raw_http import Answer
from support.server import LiveServer, server_config

# A 1 MiB upload cap, the tiny profiles, and the Azure deployment the Azure cases name.
HOSTILE_CONFIG = (
    server_config(max_upload_bytes=1024 * 1024) + '\n[deployments]\nsora-fast = "tiny"\n'
)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    name = f"reelbox_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
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


@contextmanager
def live_server(
    data_dir: Path, *, database_url: str | None = None, config: str = HOSTILE_CONFIG
) -> Iterator[LiveServer]:
    server = LiveServer(data_dir, config=config, database_url=database_url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def envelope_problem(path: str, answer: Answer) -> str | None:
    """Why an error answer is not in the dialect's envelope, or None (also None for 2xx/3xx)."""
    if answer.status < 400:
        return None
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"not JSON: {answer.body[:200]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return f"no error object with a message: {body!r:.300}"
    keys = (
        {"code", "message"} if path.startswith("/openai/") else {"message", "type", "param", "code"}
    )
    if not keys <= set(error):
        return f"error object lacks {sorted(keys - set(error))}: {error!r:.300}"
    return None


def healthy(server: LiveServer) -> None:
    """The server answers probes and still creates and finishes a video."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        created = client.post(
            "/v1/videos",
            json={"prompt": "a red ball rolls", "model": "tiny", "size": "64x64", "seconds": "1"},
        )
        assert created.status_code == 200, created.text
        video_id = created.json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = client.get(f"/v1/videos/{video_id}").json()["status"]
            if status in ("completed", "failed"):
                assert status == "completed"
                return
            time.sleep(0.1)
        raise AssertionError("a normal create did not finish after the hostile requests")
