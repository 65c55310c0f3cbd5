"""The body cap counts bytes as they stream: declared, chunked, and the connection survives."""

from __future__ import annotations

import select
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request

from reelbox.api.body_cap import too_large_message
from reelbox.app import create_app
from reelbox.settings import Settings
from support.inprocess import serve
from support.raw_http import RawConnection

CAP = 1024 * 1024
MIB = b"x" * (1024 * 1024)


@pytest.fixture
def seen() -> list[int]:
    return []


@pytest.fixture
def port(tmp_path: Path, seen: list[int]) -> Iterator[int]:
    app: FastAPI = create_app(
        Settings(data_dir=tmp_path / "data", max_upload_bytes=CAP), run_jobs=False
    )

    @app.post("/test/count")
    async def count(request: Request) -> dict[str, int]:
        total = 0
        try:
            async for chunk in request.stream():
                total += len(chunk)
        finally:
            seen.append(total)  # what the app was handed, however it ended
        return {"bytes": total}

    with serve(app) as port:
        yield port


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


def test_a_body_under_the_cap_reaches_the_app(port: int) -> None:
    with RawConnection("127.0.0.1", port) as conn:
        answer = conn.request("POST", "/test/count", body=b"y" * (CAP - 10))
        assert answer.status == 200 and answer.json() == {"bytes": CAP - 10}


def test_a_declared_length_over_the_cap_is_refused_before_the_app(
    port: int, seen: list[int]
) -> None:
    with RawConnection("127.0.0.1", port) as conn:
        answer = conn.request("POST", "/test/count", body=b"y" * (CAP + 1))
        assert answer.status == 413
        error = answer.json()["error"]
        assert error == {
            "message": "The request body is larger than the 1 MB limit.",
            "type": "invalid_request_error",
            "param": None,
            "code": "request_too_large",
        }
        assert answer.headers["x-request-id"].startswith("req_")
        assert conn.request("GET", "/healthz").status == 200  # the same connection
    assert seen == []


def test_a_chunked_body_is_cut_off_at_the_cap_while_it_streams(port: int, seen: list[int]) -> None:
    with RawConnection("127.0.0.1", port) as conn:
        conn.send(
            b"POST /test/count HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            b"transfer-encoding: chunked\r\ncontent-type: application/octet-stream\r\n\r\n"
        )
        sent = 0
        answered_after = None
        for _ in range(16):  # up to 16 MiB; the answer must come long before
            conn.send(_chunk(MIB))
            sent += len(MIB)
            ready, _, _ = select.select([conn.sock], [], [], 0.5)
            if ready:
                answered_after = sent
                break
        assert answered_after is not None and answered_after <= 3 * CAP
        answer = conn.read_answer()
        assert answer.status == 413 and answer.json()["error"]["code"] == "request_too_large"
        # The client finishes its body; the server discards it and keeps the connection.
        for _ in range(4):
            conn.send(_chunk(MIB))
        conn.send(b"0\r\n\r\n")
        assert conn.request("GET", "/healthz").status == 200
    assert len(seen) == 1 and seen[0] <= CAP  # the app never held more than the cap


def test_a_create_over_the_cap_answers_413_in_the_envelope(port: int) -> None:
    with RawConnection("127.0.0.1", port) as conn:
        boundary = "b0undary"
        head = (
            f"--{boundary}\r\ncontent-disposition: form-data; name=prompt\r\n\r\na cat\r\n"
            f"--{boundary}\r\ncontent-disposition: form-data; name=input_reference; "
            'filename="a.png"\r\ncontent-type: image/png\r\n\r\n'
        ).encode()
        conn.send(
            b"POST /v1/videos HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n"
            + f"content-type: multipart/form-data; boundary={boundary}\r\n\r\n".encode()
            + _chunk(head)
        )
        for _ in range(3):
            conn.send(_chunk(MIB))
        conn.send(_chunk(f"\r\n--{boundary}--\r\n".encode()) + b"0\r\n\r\n")
        answer = conn.read_answer()
        assert answer.status == 413
        assert answer.json()["error"]["code"] == "request_too_large"
        assert conn.request("GET", "/healthz").status == 200


def test_the_message_names_the_limit_exactly() -> None:
    assert too_large_message(50 * 1024 * 1024) == (
        "The request body is larger than the 50 MB limit."
    )
    assert too_large_message(100_000) == "The request body is larger than the 100,000 byte limit."
