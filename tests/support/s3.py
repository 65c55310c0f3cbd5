"""An S3 server on loopback for the tests: moto's server mode, one fresh bucket per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    name: str

    @property
    def url(self) -> str:
        return f"s3://{self.name}/media"

    @property
    def options(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "region": "us-east-1",
            "access_key_id": "reelbox-test",
            "secret_access_key": "reelbox-test-secret",
            "allow_http": True,
        }

    def toml(self, *, redirect: bool = False) -> str:
        """Settings lines that put a server's media in this bucket (before any [table])."""
        options = ", ".join(
            f"{k} = {'true' if v is True else repr(v).replace(chr(39), chr(34))}"
            for k, v in self.options.items()
        )
        lines = [f'blob_url = "{self.url}"', f"blob_options = {{ {options} }}"]
        if redirect:
            lines.append("download_redirect = true")
        return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _new_bucket(s3_endpoint: str) -> Bucket:
    name = f"reelbox-{uuid.uuid4().hex[:12]}"
    response = httpx.put(f"{s3_endpoint}/{name}")
    response.raise_for_status()
    return Bucket(endpoint=s3_endpoint, name=name)


@pytest.fixture
def bucket(s3_endpoint: str) -> Bucket:
    return _new_bucket(s3_endpoint)


@pytest.fixture(scope="module")
def module_bucket(s3_endpoint: str) -> Bucket:
    """One bucket for a module's tests (for a module-scoped server)."""
    return _new_bucket(s3_endpoint)
