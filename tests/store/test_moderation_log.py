"""The moderation audit log on real SQLite and PostgreSQL, and a blocked job's failure."""

from __future__ import annotations

from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.store.moderation_log import ModerationLog, NewModerationEvent
from reelbox.store.rows import NewJob
from reelbox.store.store import Store


def _event(project: str = "a", **overrides: object) -> NewModerationEvent:
    values: dict[str, object] = dict(
        project=project,
        checkpoint="request",
        subject="prompt",
        policy="sora",
        outcome="blocked",
        categories=["sexual", "real-person/name"],
        sources=["terms"],
        rules=["sexual.txt:3", "people.txt:10"],
        input_sha256="ab" * 32,
        dialect="openai",
    )
    values.update(overrides)
    return NewModerationEvent(**values)  # type: ignore[arg-type]


def test_events_are_listed_newest_first_and_filtered(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    log = ModerationLog(store.engine, clock=clock)
    first = log.record(_event("a"))
    clock.advance(60)
    second = log.record(_event("b", checkpoint="input", subject="reference_image"))
    clock.advance(60)
    third = log.record(_event("a", outcome="unchecked", categories=[], sources=["classifier"]))

    assert [e.id for e in log.events()] == [third, second, first]
    assert [e.id for e in log.events(project="a")] == [third, first]
    assert [e.id for e in log.events(checkpoint="input")] == [second]
    assert [e.id for e in log.events(since=clock.now - 90)] == [third, second]
    assert [e.id for e in log.events(limit=1)] == [third]
    (event,) = log.events(checkpoint="input")
    assert event.categories == ("real-person/name", "sexual")
    assert event.rules == ("sexual.txt:3", "people.txt:10")
    assert event.to_json()["input_sha256"] == "ab" * 32


def test_counts_split_rows_per_category(store: Store) -> None:
    log = ModerationLog(store.engine)
    log.record(_event(categories=["sexual"]))
    log.record(_event(categories=["sexual"]))
    log.record(_event(categories=["sexual", "hate"]))
    log.record(_event(outcome="unchecked", categories=[]))
    counts = {(c.outcome, c.category): c.count for c in log.counts()}
    assert counts == {("blocked", "sexual"): 3, ("blocked", "hate"): 1, ("unchecked", ""): 1}


def test_a_blocked_job_fails_with_its_stage_and_one_audit_row(store: Store) -> None:
    spec = GenerationSpec(
        mode=Mode.IMAGE, prompt="p", width=64, height=64, seconds=1.0, seed=1, profile="p"
    )
    store.create_job(
        NewJob(
            id="task_1",
            project="a",
            dialect="azure",
            model="sora",
            spec=spec,
            seconds="1",
            extra={"n_seconds": 1},
        ),
        queue_cap=5,
    )
    job = store.claim_next(owner="w", lease_seconds=30, per_project_limit=2)
    assert job is not None
    event = _event(checkpoint="input", subject="reference_image", job_id="task_1")

    assert not store.fail_moderated(
        "task_1", attempt=job.attempt + 1, message="m", stage="input_moderation", event=event
    )  # a stale attempt writes nothing, not even the audit row
    assert ModerationLog(store.engine).events() == []

    assert store.fail_moderated(
        "task_1", attempt=job.attempt, message="blocked", stage="input_moderation", event=event
    )
    failed = store.get_job("task_1")
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error_code == "moderation_blocked" and failed.error_message == "blocked"
    assert failed.extra == {"n_seconds": 1, "moderation_stage": "input_moderation"}
    (logged,) = ModerationLog(store.engine).events()
    assert logged.job_id == "task_1" and logged.checkpoint == "input"
