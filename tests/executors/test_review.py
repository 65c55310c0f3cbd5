"""Moderation inside a job: the runner with a real moderator, store and blob store.

A face in a reference image fails the job at the input checkpoint before the engine runs; a
plan that names a real person fails it at the output checkpoint before anything is stored;
either way the job says `moderation_blocked`, the stage is kept for Azure, the blocked media is
gone and the audit log has one row.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from skimage import data as photos

from reelbox.blobs import LocalBlobStore, keys
from reelbox.engines.fake import FakeEngine
from reelbox.executors.review import plan_texts
from reelbox.executors.runner import RunSettings, run_job
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.moderation.moderator import Moderator
from reelbox.settings import ModerationSettings
from reelbox.store.moderation_log import ModerationLog
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from support.moderation_stub import running_moderation_stub

SETTINGS = RunSettings(lease_seconds=30, retention_seconds=3600, heartbeat_seconds=0.05)


@pytest.fixture(scope="module")
def moderator() -> Moderator:
    return Moderator(ModerationSettings(projects={"relaxed": "off"}))


def _png(picture: np.ndarray, size: int) -> bytes:
    image = ImageOps.fit(Image.fromarray(picture).convert("RGB"), (size, size))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _claimed(
    store: Store,
    blobs: LocalBlobStore,
    *,
    prompt: str = "the picture comes alive",
    image: bytes | None = None,
    project: str = "p",
    extra: dict[str, object] | None = None,
) -> Job:
    input_key = None
    if image is not None:
        input_key = keys.upload("video_1", "input.png")
        blobs.put_bytes(input_key, image)
    spec = GenerationSpec(
        mode=Mode.IMAGE if image is not None else Mode.TEXT,
        prompt=prompt,
        width=128,
        height=128,
        seconds=1.0,
        seed=1,
        profile="fake",
        fps=8,
        input_image_key=input_key,
    )
    store.create_job(
        NewJob(
            id="video_1",
            project=project,
            dialect="openai",
            model="m",
            spec=spec,
            seconds="1",
            extra=extra,
        ),
        queue_cap=10,
    )
    job = store.claim_next(owner="t", lease_seconds=30, per_project_limit=2)
    assert job is not None
    return job


def _run(job: Job, store: Store, blobs: LocalBlobStore, moderator: Moderator) -> Job:
    engine = FakeEngine({"fps": 8})
    run_job(job, store=store, blobs=blobs, engine=engine, settings=SETTINGS, moderator=moderator)
    done = store.get_job(job.id)
    assert done is not None
    return done


def test_a_face_fails_the_job_at_the_input_checkpoint(
    store: Store, tmp_path: Path, moderator: Moderator
) -> None:
    blobs = LocalBlobStore(tmp_path)
    job = _claimed(store, blobs, image=_face(128))
    done = _run(job, store, blobs, moderator)
    assert done.status is JobStatus.FAILED and done.error_code == "moderation_blocked"
    assert done.extra["moderation_stage"] == "input_moderation"
    assert "a human face in an input" in (done.error_message or "")
    assert not (tmp_path / "uploads" / "video_1").exists()
    assert not (tmp_path / "videos").exists()
    (event,) = ModerationLog(store.engine).events()
    assert (event.checkpoint, event.subject, event.job_id) == ("input", "reference_image", job.id)
    assert event.categories == ("real-person/face",) and event.sources == ("faces",)


def _face(size: int) -> bytes:
    return _png(photos.astronaut(), size)


def test_a_photo_without_a_face_runs(store: Store, tmp_path: Path, moderator: Moderator) -> None:
    blobs = LocalBlobStore(tmp_path)
    job = _claimed(store, blobs, image=_png(photos.coffee(), 128))
    assert _run(job, store, blobs, moderator).status is JobStatus.COMPLETED
    assert ModerationLog(store.engine).events() == []


def test_the_policy_recorded_at_creation_wins(
    store: Store, tmp_path: Path, moderator: Moderator
) -> None:
    blobs = LocalBlobStore(tmp_path)
    job = _claimed(store, blobs, image=_face(128), extra={"moderation_policy": "off"})
    assert _run(job, store, blobs, moderator).status is JobStatus.COMPLETED


def test_a_project_without_moderation_is_not_checked(
    store: Store, tmp_path: Path, moderator: Moderator
) -> None:
    blobs = LocalBlobStore(tmp_path)
    job = _claimed(store, blobs, image=_face(128), project="relaxed")
    assert _run(job, store, blobs, moderator).status is JobStatus.COMPLETED


def test_the_plan_is_checked_before_the_output_is_stored(
    store: Store, tmp_path: Path, moderator: Moderator
) -> None:
    # The fake engine's plan carries the prompt; the request checkpoint is the API's, so a
    # prompt reaching the worker unchecked is caught here.
    blobs = LocalBlobStore(tmp_path)
    job = _claimed(store, blobs, prompt="Barack Obama waves")
    done = _run(job, store, blobs, moderator)
    assert done.status is JobStatus.FAILED and done.error_code == "moderation_blocked"
    assert done.extra["moderation_stage"] == "output_moderation"
    message = done.error_message or ""
    assert message.endswith("The generated video appears to contain a real person.")
    assert store.generations(job.id) == []
    assert not (tmp_path / "videos").exists()
    assert list((tmp_path / ".staging").iterdir()) == []
    (event,) = ModerationLog(store.engine).events()
    assert (event.checkpoint, event.subject) == ("output", "output")


def test_an_unavailable_classifier_fails_open_with_an_audit_row(
    store: Store, tmp_path: Path
) -> None:
    with running_moderation_stub() as stub:
        stub.status = 503
        moderator = Moderator(
            ModerationSettings(classifier={"url": stub.url, "images": True})  # type: ignore[arg-type]
        )
        blobs = LocalBlobStore(tmp_path)
        job = _claimed(store, blobs, prompt="a red ball")
        assert _run(job, store, blobs, moderator).status is JobStatus.COMPLETED
        moderator.close()
    events = ModerationLog(store.engine).events()
    assert events and {e.outcome for e in events} == {"unchecked"}
    assert {e.checkpoint for e in events} == {"output"}


def test_plan_texts_walks_every_string() -> None:
    plan = {"a": "one", "b": ["two", {"c": "three", "d": 4}], "e": ("four",), "f": " "}
    assert sorted(plan_texts(plan)) == ["four", "one", "three", "two"]


def test_a_job_blocked_at_its_output_keeps_none_of_its_uploads(
    store: Store, tmp_path: Path, moderator: Moderator
) -> None:
    blobs = LocalBlobStore(tmp_path)
    job = _claimed(store, blobs, prompt="Barack Obama waves", image=_png(photos.coffee(), 128))
    assert blobs.exists("uploads/video_1/input.png")
    done = _run(job, store, blobs, moderator)
    assert done.extra["moderation_stage"] == "output_moderation"
    assert not (tmp_path / "uploads" / "video_1").exists()
    assert done.expires_at is not None  # a blocked (failed) job expires like any other
