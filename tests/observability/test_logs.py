"""Structured logs: a live `reelbox serve` with `log_format = "json"` writes one JSON object per
line, access lines included, with the request id, project, job id and profile; its worker
processes log JSON lines with the job's fields too; no key and no prompt in any of them."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx

from reelbox.observability import logs
from support.server import free_port, server_config, wait_for


def test_records_carry_their_context_and_no_prompt() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("reelbox.test_logs")
    logger.addHandler(handler)
    token = logs.job_id.set("video_1")
    try:
        logger.warning("rendering %s", "slowly", extra={"prompt": "a secret plan", "step": 3})
    finally:
        logs.job_id.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "rendering slowly" and line["level"] == "warning"
    assert line["job_id"] == "video_1" and line["request_id"] is None and line["step"] == 3
    assert "prompt" not in line and "a secret plan" not in stream.getvalue()
    handler.setFormatter(logs.JsonFormatter(log_prompts=True))
    assert (
        json.loads(handler.format(logging.makeLogRecord({"msg": "m", "prompt": "p"})))["prompt"]
        == "p"
    )


@dataclass(frozen=True)
class _Job:
    id: str
    project: str
    profile: str


def test_a_job_context_reaches_threads_started_in_it() -> None:
    seen: list[tuple[str | None, str | None, str | None]] = []

    def record() -> None:
        seen.append((logs.job_id.get(), logs.project.get(), logs.profile.get()))

    with logs.job_context(_Job("video_1", "acme", "wan")):
        logs.start_thread(record, name="t").join()
        plain = threading.Thread(target=record)  # a plain thread starts empty
        plain.start()
        plain.join()
    record()  # the block restored the context before it
    logs.use_job(_Job("video_2", "beta", "tiny"))
    try:
        logs.start_thread(record, name="t").join()
    finally:
        logs.use_job(None)
    record()
    assert seen[0] == ("video_1", "acme", "wan") and seen[1] == (None, None, None)
    assert seen[2] == (None, None, None)
    assert seen[3] == ("video_2", "beta", "tiny") and seen[4] == (None, None, None)


def test_a_live_server_logs_json_lines(tmp_path: Path) -> None:
    config = tmp_path / "reelbox.toml"
    config.write_text(server_config(log_format="json"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOX_")}
    env["REELBOX_API_KEYS"] = "secret-key-123=acme"
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reelbox",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "data"),
                "--config",
                str(config),
                "--log-level",
                "info",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=60)
        answer = httpx.post(
            f"{url}/v1/videos",
            headers={"authorization": "Bearer secret-key-123"},
            json={"prompt": "a private prompt about kites", "model": "tiny", "size": "160x96"},
            timeout=30,
        )
        assert answer.status_code == 200
        request_id = answer.headers["x-request-id"]

        def access_line() -> dict[str, object] | None:
            for raw in log_path.read_text().splitlines():
                line = json.loads(raw)  # every line is JSON
                if line["logger"] == "uvicorn.access" and line["request_id"] == request_id:
                    return line
            return None

        line = wait_for(access_line, timeout=10)
        assert line["project"] == "acme" and "POST /v1/videos" in str(line["message"])
        video = answer.json()
        # The access line of the create names the job it made.
        assert line["job_id"] == video["id"] and line["profile"] == "tiny"

        def completed() -> bool:
            polled = httpx.get(
                f"{url}/v1/videos/{video['id']}",
                headers={"authorization": "Bearer secret-key-123"},
                timeout=10,
            )
            return polled.json()["status"] == "completed"

        wait_for(completed, timeout=120)

        def worker_line() -> dict[str, object] | None:
            for raw in log_path.read_text().splitlines():
                found = json.loads(raw)
                if found["logger"] == "reelbox.executors.runner" and found["job_id"] == video["id"]:
                    return found
            return None

        # Written by the worker process that ran the job, not the server's.
        done = wait_for(worker_line, timeout=10)
        assert done["message"] == f"job {video['id']} completed (attempt 1)"
        assert done["project"] == "acme" and done["profile"] == "tiny"
        assert done["request_id"] is None
        lines = [json.loads(raw) for raw in log_path.read_text().splitlines()]
        polls = [
            found
            for found in lines
            if found["logger"] == "uvicorn.access"
            and f"GET /v1/videos/{video['id']}" in str(found["message"])
        ]
        assert polls and all(p["job_id"] == video["id"] and p["project"] == "acme" for p in polls)
        assert len({p["request_id"] for p in polls}) == len(polls)  # one id per request
        text = log_path.read_text()
        assert "secret-key-123" not in text and "private prompt" not in text
    finally:
        server.terminate()
        server.wait(30)
