"""The webhook outbox on real SQLite and PostgreSQL: rows commit with the status change that
causes them, leases, attempts, fencing, redelivery."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.store.outbox import AttemptRecord, DeliveryStatus, Outbox
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from reelbox.store.tables import webhook_deliveries
from reelbox.store.webhook_endpoints import Endpoint, EndpointStore
from support.store import new_generation


def _new(job_id: str, *, project: str = "a", dialect: str = "openai") -> NewJob:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="a cat", width=64, height=64, seconds=1.0, seed=7, profile="p"
    )
    return NewJob(
        id=job_id, project=project, dialect=dialect, model="sora-2", spec=spec, seconds="1"
    )


@pytest.fixture
def endpoints(store: Store, clock) -> EndpointStore:  # type: ignore[no-untyped-def]
    return EndpointStore(store.engine, clock=clock)


@pytest.fixture
def outbox(store: Store, clock) -> Outbox:  # type: ignore[no-untyped-def]
    return Outbox(store.engine, clock=clock)


def _endpoint(
    endpoints: EndpointStore, *types: str, project: str = "a", url: str = "https://h.example/"
) -> Endpoint:
    return endpoints.create(
        project=project,
        name="hook",
        url=url,
        event_types=types or ("video.completed", "video.failed"),
        secret="whsec_c2VjcmV0",
    )


def _run(store: Store, job_id: str, **kw: object) -> None:
    store.create_job(_new(job_id, **kw), queue_cap=10)  # type: ignore[arg-type]
    job = store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert job is not None and job.id == job_id


def _complete(store: Store, job_id: str, attempt: int = 1, gen: str = "gen_1") -> bool:
    return store.complete(
        job_id, attempt=attempt, outputs=[new_generation(gen)], plan=None, retention_seconds=60
    )


def _rows(store: Store) -> list[dict[str, object]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(webhook_deliveries).order_by(webhook_deliveries.c.id))
        return [dict(r) for r in rows.mappings()]


def test_a_completion_records_one_delivery_per_subscribed_endpoint(
    store: Store, endpoints: EndpointStore, clock
) -> None:  # type: ignore[no-untyped-def]
    both = _endpoint(endpoints)
    completed_only = _endpoint(endpoints, "video.completed")
    _endpoint(endpoints, "video.failed")  # not subscribed to completions
    _endpoint(endpoints, project="b")  # another project's
    _run(store, "video_1")
    assert _rows(store) == []  # starting a job sends nothing
    assert _complete(store, "video_1")
    rows = _rows(store)
    assert sorted(r["endpoint_id"] for r in rows) == sorted([both.id, completed_only.id])
    # One event, the same for every endpoint; one webhook-id per delivery.
    assert len({r["event_id"] for r in rows}) == 1 and len({r["id"] for r in rows}) == 2
    body = json.loads(str(rows[0]["body"]))
    assert body == {
        "id": rows[0]["event_id"],
        "object": "event",
        "created_at": int(clock.now),
        "type": "video.completed",
        "data": {"id": "video_1"},
    }
    assert list(body) == ["id", "object", "created_at", "type", "data"]
    assert str(rows[0]["id"]).startswith("wh_") and str(rows[0]["event_id"]).startswith("evt_")
    assert {r["status"] for r in rows} == {"pending"}


def test_failures_send_video_failed_and_cancellations_nothing(
    store: Store, endpoints: EndpointStore
) -> None:
    _endpoint(endpoints)
    _run(store, "video_1")
    assert store.fail("video_1", attempt=1, code="engine_error", message="boom")
    store.create_job(_new("video_2"), queue_cap=10)
    assert store.fail("video_2", attempt=None, code="moderation_blocked", message="no")
    _run(store, "video_3")
    store.cancel("video_3", project="a")
    store.create_job(_new("video_4"), queue_cap=10)
    store.cancel("video_4", project="a")
    events = sorted(
        (json.loads(str(r["body"]))["data"]["id"], r["event_type"]) for r in _rows(store)
    )
    assert events == [("video_1", "video.failed"), ("video_2", "video.failed")]


def test_running_out_of_attempts_sends_video_failed(store: Store, endpoints: EndpointStore) -> None:
    _endpoint(endpoints)
    store.create_job(_new("video_1"), queue_cap=10)
    store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert store.requeue_or_fail("video_1", attempt=1, reason="lost") is JobStatus.QUEUED
    assert _rows(store) == []
    store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert store.requeue_or_fail("video_1", attempt=2, reason="lost") is JobStatus.QUEUED
    store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert store.requeue_or_fail("video_1", attempt=3, reason="lost") is JobStatus.FAILED
    assert [r["event_type"] for r in _rows(store)] == ["video.failed"]


def test_azure_jobs_send_their_own_event_types(store: Store, endpoints: EndpointStore) -> None:
    openai = _endpoint(endpoints)
    azure = _endpoint(endpoints, "video.generation.job.succeeded", "video.generation.job.failed")
    _run(store, "task_1", dialect="azure")
    assert _complete(store, "task_1")
    _run(store, "task_2", dialect="azure")
    assert store.fail("task_2", attempt=1, code="engine_error", message="boom")
    rows = _rows(store)
    assert {r["endpoint_id"] for r in rows} == {azure.id} != {openai.id}
    assert sorted(str(r["event_type"]) for r in rows) == [
        "video.generation.job.failed",
        "video.generation.job.succeeded",
    ]


def test_no_event_without_the_change_that_causes_it(store: Store, endpoints: EndpointStore) -> None:
    _endpoint(endpoints)
    _run(store, "video_1")
    # A fenced-out worker (stale attempt) changes nothing and invents no event.
    assert not _complete(store, "video_1", attempt=7)
    # A completion whose transaction fails (duplicate generation id) rolls the event back too.
    _run(store, "video_2")
    assert _complete(store, "video_2", gen="gen_dup")
    _run(store, "video_3")
    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error
        _complete(store, "video_3", gen="gen_dup")
    job = store.get_job("video_3")
    assert job is not None and job.status is JobStatus.IN_PROGRESS
    assert [json.loads(str(r["body"]))["data"]["id"] for r in _rows(store)] == ["video_2"]


def test_claims_lease_one_delivery_per_endpoint_and_skip_busy_ones(
    store: Store, endpoints: EndpointStore, outbox: Outbox, clock
) -> None:  # type: ignore[no-untyped-def]
    first = _endpoint(endpoints, "video.completed")
    second = _endpoint(endpoints, "video.completed")
    for i in range(3):
        _run(store, f"video_{i}")
        assert _complete(store, f"video_{i}", gen=f"gen_{i}")
        clock.advance(1)
    claimed = outbox.claim_due(limit=10, lease_seconds=30)
    assert sorted(c.delivery.endpoint_id for c in claimed) == sorted([first.id, second.id])
    assert all(c.number == 1 and c.url == "https://h.example/" for c in claimed)
    assert all(c.secrets == ("whsec_c2VjcmV0",) for c in claimed)
    # The oldest first, per endpoint.
    assert {json.loads(c.delivery.body)["data"]["id"] for c in claimed} == {"video_0"}
    # Leased rows are not claimed again; busy endpoints are skipped.
    again = outbox.claim_due(limit=10, lease_seconds=30)
    assert sorted(c.delivery.endpoint_id for c in again) == sorted([first.id, second.id])
    assert {json.loads(c.delivery.body)["data"]["id"] for c in again} == {"video_1"}
    assert outbox.claim_due(limit=10, lease_seconds=30, busy={first.id})[
        0
    ].delivery.endpoint_id == (second.id)
    assert outbox.claim_due(limit=10, lease_seconds=30, busy={first.id, second.id}) == []


def test_attempts_are_recorded_and_fenced(
    store: Store, endpoints: EndpointStore, outbox: Outbox, clock
) -> None:  # type: ignore[no-untyped-def]
    endpoint = _endpoint(endpoints, "video.completed")
    _run(store, "video_1")
    _complete(store, "video_1")
    (claimed,) = outbox.claim_due(limit=5, lease_seconds=30)

    def attempt(number: int, status: int | None) -> AttemptRecord:
        return AttemptRecord(
            number=number,
            started_at=clock.now,
            duration_ms=3,
            success=status == 200,
            status_code=status,
            error=None if status else "timeout",
            response_body="nope",
        )

    assert outbox.record_attempt(
        claimed.delivery.id,
        attempt(1, 500),
        status=DeliveryStatus.PENDING,
        next_attempt_at=clock.now + 10,
    )
    assert outbox.claim_due(limit=5, lease_seconds=30) == []  # not due yet
    clock.advance(10)
    (second,) = outbox.claim_due(limit=5, lease_seconds=30)
    assert second.delivery.id == claimed.delivery.id and second.number == 2
    # The lease runs out (a hung server); another claim takes over; the late answer is fenced.
    clock.advance(31)
    (third,) = outbox.claim_due(limit=5, lease_seconds=30)
    assert third.number == 3
    assert not outbox.record_attempt(
        claimed.delivery.id, attempt(2, 200), status=DeliveryStatus.SUCCEEDED, next_attempt_at=None
    )
    assert outbox.record_attempt(
        claimed.delivery.id, attempt(3, 200), status=DeliveryStatus.SUCCEEDED, next_attempt_at=None
    )
    found = outbox.get_delivery(claimed.delivery.id, endpoint_id=endpoint.id, project="a")
    assert found is not None
    delivery, attempts = found
    assert delivery.status is DeliveryStatus.SUCCEEDED and delivery.attempts == 3
    assert [(a.number, a.status_code) for a in attempts] == [(1, 500), (2, 200), (3, 200)]
    assert outbox.get_delivery(claimed.delivery.id, endpoint_id=endpoint.id, project="b") is None


def test_leases_are_given_back_on_shutdown_and_after_a_crash(
    store: Store, endpoints: EndpointStore, outbox: Outbox
) -> None:
    _endpoint(endpoints, "video.completed")
    _run(store, "video_1")
    _complete(store, "video_1")
    (claimed,) = outbox.claim_due(limit=5, lease_seconds=300)
    outbox.release(claimed.delivery.id, number=claimed.number)
    (claimed,) = outbox.claim_due(limit=5, lease_seconds=300)
    assert outbox.claim_due(limit=5, lease_seconds=300) == []
    assert outbox.release_all() == 1  # start-up of the only server
    assert len(outbox.claim_due(limit=5, lease_seconds=300)) == 1


def test_redelivery_reopens_the_same_message(
    store: Store, endpoints: EndpointStore, outbox: Outbox, clock
) -> None:  # type: ignore[no-untyped-def]
    endpoint = _endpoint(endpoints, "video.completed")
    _run(store, "video_1")
    _complete(store, "video_1")
    (claimed,) = outbox.claim_due(limit=5, lease_seconds=30)
    record = AttemptRecord(
        number=1,
        started_at=clock.now,
        duration_ms=1,
        success=False,
        status_code=500,
        error=None,
        response_body=None,
    )
    outbox.record_attempt(
        claimed.delivery.id, record, status=DeliveryStatus.FAILED, next_attempt_at=None
    )
    assert outbox.claim_due(limit=5, lease_seconds=30) == []
    assert not outbox.redeliver(claimed.delivery.id, endpoint_id=endpoint.id, project="b")
    clock.advance(100)
    assert outbox.redeliver(claimed.delivery.id, endpoint_id=endpoint.id, project="a")
    (again,) = outbox.claim_due(limit=5, lease_seconds=30)
    assert again.delivery.id == claimed.delivery.id and again.delivery.body == claimed.delivery.body
    assert again.delivery.window_started_at == clock.now and again.number == 2


def test_listing_deliveries_pages_newest_first(
    store: Store, endpoints: EndpointStore, outbox: Outbox, clock
) -> None:  # type: ignore[no-untyped-def]
    endpoint = _endpoint(endpoints, "video.completed")
    for i in range(3):
        _run(store, f"video_{i}")
        _complete(store, f"video_{i}", gen=f"gen_{i}")
        clock.advance(1)
    page = outbox.list_deliveries(endpoint.id, project="a", limit=2, after=None)
    assert [d.object_id for d, _ in page.items] == ["video_2", "video_1"] and page.has_more
    page = outbox.list_deliveries(endpoint.id, project="a", limit=2, after=page.items[-1][0].id)
    assert [d.object_id for d, _ in page.items] == ["video_0"] and not page.has_more
    assert outbox.list_deliveries(endpoint.id, project="b", limit=2, after=None).items == []


def test_deleting_an_endpoint_drops_its_deliveries_and_pruning_old_finished_ones(
    store: Store, endpoints: EndpointStore, outbox: Outbox, clock
) -> None:  # type: ignore[no-untyped-def]
    gone = _endpoint(endpoints, "video.completed")
    kept = _endpoint(endpoints, "video.completed")
    _run(store, "video_1")
    _complete(store, "video_1")
    assert not endpoints.delete(gone.id, project="b")
    assert endpoints.delete(gone.id, project="a")
    assert [r["endpoint_id"] for r in _rows(store)] == [kept.id]
    (claimed,) = outbox.claim_due(limit=5, lease_seconds=30)
    record = AttemptRecord(
        number=1,
        started_at=clock.now,
        duration_ms=1,
        success=True,
        status_code=200,
        error=None,
        response_body="",
    )
    outbox.record_attempt(
        claimed.delivery.id, record, status=DeliveryStatus.SUCCEEDED, next_attempt_at=None
    )
    assert outbox.prune(finished_before=clock.now - 1) == 0
    clock.advance(10)
    assert outbox.prune(finished_before=clock.now - 1) == 1
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(webhook_deliveries)).scalar() == 0
