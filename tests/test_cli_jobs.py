"""`reelbox jobs list|show|cancel|retry|purge` and `reelbox webhooks deliveries --failed` against
a real database, across projects, with filters and `--json`."""

from __future__ import annotations

import json
import time
from pathlib import Path

from typer.testing import CliRunner

from reelbox.cli import app
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.store.admin_queries import AdminQueries
from reelbox.store.database import connect, migrate
from reelbox.store.keys import KeyStore
from reelbox.store.outbox import AttemptRecord, DeliveryStatus, Outbox
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from reelbox.store.webhook_endpoints import EndpointStore
from support.store import new_generation

runner = CliRunner()


def _new(job_id: str, project: str, profile: str = "p", key_id: str | None = None) -> NewJob:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="a cat", width=64, height=64, seconds=4, seed=7, profile=profile
    )
    return NewJob(
        id=job_id,
        project=project,
        dialect="openai",
        model="sora-2",
        spec=spec,
        seconds="4",
        key_id=key_id,
    )


def _store(tmp_path: Path, clock: object = time.time) -> Store:
    engine = connect(f"sqlite:///{tmp_path / 'data' / 'reelbox.db'}")
    migrate(engine)
    return Store(engine, clock=clock)


def _db(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data")]


def _json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_list_show_cancel_and_retry(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create_job(_new("video_a1", "acme"), queue_cap=10)
    store.create_job(_new("video_a2", "acme", profile="wan"), queue_cap=10)
    store.create_job(_new("video_b1", "beta"), queue_cap=10)
    job = store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert job is not None and job.id == "video_a1"
    store.fail("video_a1", attempt=1, code="engine_error", message="out of memory")

    every = _json_lines(runner.invoke(app, ["jobs", "list", "--json", *_db(tmp_path)]).stdout)
    assert {j["id"] for j in every} == {"video_a1", "video_a2", "video_b1"}
    acme = runner.invoke(
        app, ["jobs", "list", "--project", "acme", "--status", "queued", "--json", *_db(tmp_path)]
    )
    assert [j["id"] for j in _json_lines(acme.stdout)] == ["video_a2"]
    wan = runner.invoke(app, ["jobs", "list", "--profile", "wan", "--json", *_db(tmp_path)])
    assert [j["id"] for j in _json_lines(wan.stdout)] == ["video_a2"]
    old = runner.invoke(app, ["jobs", "list", "--older-than", "1h", "--json", *_db(tmp_path)])
    assert old.stdout == ""
    table = runner.invoke(app, ["jobs", "list", *_db(tmp_path)])
    assert "failed: engine_error" in table.stdout and "3 job(s)" in table.stdout
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    bad = runner.invoke(app, ["jobs", "list", "--status", "done", *_db(tmp_path)])
    assert bad.exit_code == 2

    shown = json.loads(
        runner.invoke(app, ["jobs", "show", "video_a1", "--json", *_db(tmp_path)]).stdout
    )
    assert shown["error"] == {"code": "engine_error", "message": "out of memory"}
    assert [e["type"] for e in shown["events"]][:2] == ["job.created", "job.started"]
    assert runner.invoke(app, ["jobs", "show", "video_zz", *_db(tmp_path)]).exit_code == 1

    cancelled = runner.invoke(app, ["jobs", "cancel", "video_b1", "--json", *_db(tmp_path)])
    assert json.loads(cancelled.stdout)["status"] == "cancelled"

    not_failed = runner.invoke(app, ["jobs", "retry", "video_a2", *_db(tmp_path)])
    assert not_failed.exit_code == 1
    retried = json.loads(
        runner.invoke(app, ["jobs", "retry", "video_a1", "--json", *_db(tmp_path)]).stdout
    )
    assert retried["status"] == "queued" and retried["id"] != "video_a1"
    again = store.get_job(str(retried["id"]))
    assert again is not None and again.spec == store.get_job("video_a1").spec  # type: ignore[union-attr]
    assert again.extra["retry_of"] == "video_a1" and again.project == "acme"
    store.engine.dispose()


def test_retry_respects_the_project_and_key_quotas(tmp_path: Path) -> None:
    store = _store(tmp_path)
    key, _ = KeyStore(store.engine).create(project="acme")
    store.create_job(_new("video_k1", "acme", key_id=key.id), queue_cap=10)
    store.create_job(_new("video_k2", "acme", key_id=key.id), queue_cap=10)
    store.cancel("video_k1", project="acme")
    # The key may hold 8 seconds today; its two jobs hold 4 (the cancelled one gave its back).
    limited = runner.invoke(
        app, ["quotas", "set", key.id, "--key", "--seconds-per-day", "8", *_db(tmp_path)]
    )
    assert limited.exit_code == 0, limited.output
    retried = runner.invoke(app, ["jobs", "retry", "video_k1", "--json", *_db(tmp_path)])
    assert retried.exit_code == 0, retried.output  # 8 of 8: admitted, exactly
    first = json.loads(retried.stdout)
    assert store.get_job(str(first["id"])).key_id == key.id  # type: ignore[union-attr]
    refused = runner.invoke(app, ["jobs", "retry", "video_k1", *_db(tmp_path)])
    assert refused.exit_code == 1 and refused.stdout == ""
    [line] = refused.stderr.splitlines()  # one line, naming the quota and the way past it
    assert f"not retried: Quota exceeded: key '{key.id}' has used 8 of its 8" in line
    assert "--force" in line
    forced = runner.invoke(app, ["jobs", "retry", "video_k1", "--force", *_db(tmp_path)])
    assert forced.exit_code == 0 and "retried as" in forced.stdout
    # The project's own quota is checked as well (its unfinished jobs: k2 and two retries).
    runner.invoke(app, ["quotas", "clear", key.id, "--key", *_db(tmp_path)])
    runner.invoke(app, ["quotas", "set", "acme", "--concurrent-jobs", "3", *_db(tmp_path)])
    refused = runner.invoke(app, ["jobs", "retry", "video_k1", *_db(tmp_path)])
    assert refused.exit_code == 1 and "project 'acme' already has 3 unfinished" in refused.stderr
    store.engine.dispose()


def test_purge_deletes_old_finished_jobs_media(tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = time.time() - 40 * 86400
    store = _store(tmp_path, clock)
    store.create_job(_new("video_old", "acme"), queue_cap=10)
    store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert store.complete(
        "video_old", attempt=1, outputs=[new_generation()], plan=None, retention_seconds=10**8
    )
    clock.now = time.time()
    store.create_job(_new("video_new", "acme"), queue_cap=10)
    media = tmp_path / "data" / "blobs" / "videos" / "video_old" / "1" / "0"
    media.mkdir(parents=True)
    (media / "video.mp4").write_bytes(b"mp4")
    dry = runner.invoke(app, ["jobs", "purge", "--older-than", "30d", *_db(tmp_path)])
    assert "would purge (add --yes) 1 job(s)" in dry.stdout and media.exists()
    done = runner.invoke(
        app, ["jobs", "purge", "--older-than", "30d", "--yes", "--json", *_db(tmp_path)]
    )
    assert _json_lines(done.stdout) == [{"id": "video_old", "project": "acme", "purged": True}]
    assert not (tmp_path / "data" / "blobs" / "videos" / "video_old").exists()
    assert store.get_job("video_old") is None  # deleted for the API
    old = AdminQueries(store.engine).job("video_old")  # its row stays, for usage
    assert old is not None and old.assets_expired
    assert store.get_job("video_new") is not None
    unfinished = runner.invoke(
        app, ["jobs", "purge", "--older-than", "1d", "--status", "queued", *_db(tmp_path)]
    )
    assert unfinished.exit_code == 2
    store.engine.dispose()


def test_failed_webhook_deliveries(tmp_path: Path) -> None:
    store = _store(tmp_path)
    endpoint = EndpointStore(store.engine).create(
        project="acme",
        name="hook",
        url="https://example.invalid/hook",
        event_types=["video.completed"],
        secret="whsec_" + "a" * 32,
    )
    outbox = Outbox(store.engine)
    first = outbox.enqueue_test(
        endpoint, event_type="video.completed", object_id="video_1", lease_seconds=30
    )
    outbox.record_attempt(
        first.delivery.id,
        AttemptRecord(
            number=1,
            started_at=time.time(),
            duration_ms=12,
            success=False,
            status_code=503,
            error=None,
            response_body="busy",
        ),
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
    )
    second = outbox.enqueue_test(
        endpoint, event_type="video.completed", object_id="video_2", lease_seconds=30
    )
    outbox.record_attempt(
        second.delivery.id,
        AttemptRecord(
            number=1,
            started_at=time.time(),
            duration_ms=12,
            success=True,
            status_code=200,
            error=None,
            response_body="ok",
        ),
        status=DeliveryStatus.SUCCEEDED,
        next_attempt_at=None,
    )
    failed = _json_lines(
        runner.invoke(app, ["webhooks", "deliveries", "--failed", "--json", *_db(tmp_path)]).stdout
    )
    assert [(d["id"], d["last_status_code"], d["url"]) for d in failed] == [
        (first.delivery.id, 503, "https://example.invalid/hook")
    ]
    every = runner.invoke(app, ["webhooks", "deliveries", *_db(tmp_path)])
    assert first.delivery.id in every.stdout and second.delivery.id in every.stdout
    assert all(len(line) <= 80 for line in every.stdout.splitlines())
    store.engine.dispose()
