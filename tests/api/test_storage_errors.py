"""Read-only storage under the API: 503 `storage_unavailable` without paths; not ready."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reelbox.app import create_app
from reelbox.settings import Settings


@pytest.fixture
def read_only_blobs(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    settings = Settings(data_dir=tmp_path / "data", min_free_bytes=0)
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as client:
        blobs = (tmp_path / "data" / "blobs").resolve()
        subprocess.run(["mount", "--bind", str(blobs), str(blobs)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(blobs)], check=True)
            yield client, blobs
        finally:
            subprocess.run(["umount", str(blobs)], check=True)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (720, 1280), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def test_an_upload_to_read_only_storage_is_a_clean_503(
    read_only_blobs: tuple[TestClient, Path],
) -> None:
    client, blobs = read_only_blobs
    answer = client.post(
        "/v1/videos",
        data={"prompt": "a lighthouse", "model": "sora-2", "size": "720x1280", "seconds": "4"},
        files={"input_reference": ("ref.png", _png(), "image/png")},
    )
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["type"]) == ("storage_unavailable", "server_error")
    assert str(blobs) not in answer.text and ".staging" not in answer.text
    assert int(answer.headers["retry-after"]) >= 1
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "cannot be written" in ready.json()["reason"]
    assert str(blobs) not in ready.text
