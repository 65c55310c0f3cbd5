"""Unexpected errors: a generic 500 with the request id, a logged traceback, a kept connection."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from reelbox.app import create_app
from reelbox.settings import Settings
from support.inprocess import serve
from support.raw_http import RawConnection

SECRET = "cannot open /srv/reelbox/blobs/videos/video_abc/1/0/video.mp4"


def _app(tmp_path: Path) -> FastAPI:
    app = create_app(Settings(data_dir=tmp_path / "data"), run_jobs=False)

    @app.get("/test/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    @app.post("/openai/test/video/generations/boom")
    async def azure_boom() -> None:
        raise OSError(SECRET)

    @app.get("/test/half-stream")
    async def half_stream() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"the first part"
            raise RuntimeError(SECRET)

        return StreamingResponse(body())

    return app


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    with serve(_app(tmp_path)) as port:
        yield port


def test_a_500_names_the_request_id_and_nothing_else(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    with RawConnection("127.0.0.1", port) as conn:
        answer = conn.request("GET", "/test/boom")
        assert answer.status == 500
        request_id = answer.headers["x-request-id"]
        error = answer.json()["error"]
        assert isinstance(error, dict)
        assert error["type"] == "server_error"
        assert error["message"].startswith("The server had an error processing your request.")
        assert request_id in error["message"]
        for leak in ("/srv", "video.mp4", "videos/", "RuntimeError", "cannot open"):
            assert leak not in answer.body.decode()
        # The keep-alive connection was not dropped: the next request on it is answered.
        assert "close" not in answer.headers.get("connection", "")
        assert conn.request("GET", "/healthz").status == 200
        assert conn.request("GET", "/test/boom").status == 500
        assert conn.request("GET", "/healthz").status == 200
    logged = [r for r in caplog.records if r.name == "reelbox.api.server_errors"]
    assert logged and request_id in logged[0].getMessage()
    assert logged[0].exc_info is not None and SECRET in str(logged[0].exc_info[1])


def test_the_azure_jobs_api_gets_its_own_envelope(port: int) -> None:
    with RawConnection("127.0.0.1", port) as conn:
        answer = conn.request("POST", "/openai/test/video/generations/boom", body=b"{}")
        assert answer.status == 500
        error = answer.json()["error"]
        assert isinstance(error, dict)
        assert error["code"] == "InternalServerError" and "inner_error" in error
        assert answer.headers["x-request-id"] in error["message"]
        assert SECRET not in answer.body.decode()
        assert conn.request("GET", "/healthz").status == 200


def test_a_stream_failing_half_way_is_cut_off_not_completed(port: int) -> None:
    # The status line went out before the failure: the only honest signal left is a body that
    # does not end (no terminal chunk) and a closed connection.
    with RawConnection("127.0.0.1", port) as conn, pytest.raises(ConnectionError):
        conn.request("GET", "/test/half-stream")


def test_unexpected_errors_in_the_log_carry_the_request_id(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    with RawConnection("127.0.0.1", port) as conn:
        ids = {conn.request("GET", "/test/boom").headers["x-request-id"] for _ in range(3)}
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert all(request_id in messages for request_id in ids)
