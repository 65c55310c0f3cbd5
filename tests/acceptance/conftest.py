"""Fixtures for the acceptance tests: live servers and SDK clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openai import OpenAI

from support.server import TEST_CONFIG, LiveServer


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    servers: list[LiveServer] = []

    def make(
        *,
        config: str = TEST_CONFIG,
        env: dict[str, str] | None = None,
        name: str = "data",
        database_url: str | None = None,
        start: bool = True,
    ) -> LiveServer:
        server = LiveServer(tmp_path / name, config=config, env=env, database_url=database_url)
        servers.append(server)
        if start:
            server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def sdk() -> Iterator[Callable[..., OpenAI]]:
    """Makes SDK clients for a server (closed after the test)."""
    made: list[OpenAI] = []

    def make(server: LiveServer, key: str = "anything") -> OpenAI:
        client = OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One open-mode server shared by a module's tests."""
    server = LiveServer(tmp_path_factory.mktemp("shared") / "data", config=TEST_CONFIG)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(shared_server: LiveServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{shared_server.url}/v1", api_key="anything", max_retries=0) as sdk:
        yield sdk
