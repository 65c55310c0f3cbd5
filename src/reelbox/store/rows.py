"""Values going into the store and rows coming out of it, mapped to the job domain's types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import RowMapping

from reelbox.jobs.models import Character, Generation, Job, JobEvent
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus


@dataclass(frozen=True, kw_only=True)
class NewJob:
    """The fields of a job about to be created."""

    id: str
    project: str
    dialect: str
    model: str
    spec: GenerationSpec
    seconds: str
    source_video_id: str | None = None
    remixed_from_video_id: str | None = None
    max_attempts: int = 3
    extra: dict[str, Any] | None = None
    trace_context: dict[str, str] | None = None  # W3C headers, when tracing is on
    key_id: str | None = None  # the stored API key that asked for it (its quotas count it)


@dataclass(frozen=True, kw_only=True)
class NewGeneration:
    id: str
    index: int
    seed: int
    video_key: str
    thumbnail_key: str
    thumbnail_jpeg_key: str
    spritesheet_key: str
    width: int
    height: int
    fps: int
    frame_count: int
    duration: float
    has_audio: bool
    sprite_columns: int
    sprite_rows: int
    sprite_frame_width: int
    sprite_frame_height: int


@dataclass(frozen=True, kw_only=True)
class Page:
    items: list[Job]
    has_more: bool


def job_from_row(row: RowMapping) -> Job:
    spec = GenerationSpec.from_json(row["spec"])
    return Job(
        id=row["id"],
        project=row["project"],
        dialect=row["dialect"],
        mode=Mode(row["mode"]),
        model=row["model"],
        profile=row["profile"],
        status=JobStatus(row["status"]),
        progress=row["progress"],
        prompt=row["prompt"],
        width=row["width"],
        height=row["height"],
        seconds=row["seconds"],
        spec=spec,
        source_video_id=row["source_video_id"],
        remixed_from_video_id=row["remixed_from_video_id"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        plan=row["plan"],
        created_at=int(row["created_at"]),
        started_at=int_or_none(row["started_at"]),
        completed_at=int_or_none(row["completed_at"]),
        expires_at=int_or_none(row["expires_at"]),
        assets_expired=bool(row["assets_expired"]),
        extra=row["extra"] or {},
        trace_context=row.get("trace_context"),
        key_id=row.get("key_id"),
    )


def int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)


def generation_from_row(row: RowMapping) -> Generation:
    return Generation(
        id=row["id"],
        job_id=row["job_id"],
        index=row["index"],
        seed=row["seed"],
        video_key=row["video_key"],
        thumbnail_key=row["thumbnail_key"],
        thumbnail_jpeg_key=row["thumbnail_jpeg_key"],
        spritesheet_key=row["spritesheet_key"],
        width=row["width"],
        height=row["height"],
        fps=row["fps"],
        frame_count=row["frame_count"],
        duration=row["duration"],
        has_audio=bool(row["has_audio"]),
        sprite_columns=row["sprite_columns"],
        sprite_rows=row["sprite_rows"],
        sprite_frame_width=row["sprite_frame_width"],
        sprite_frame_height=row["sprite_frame_height"],
        created_at=int(row["created_at"]),
    )


def character_from_row(row: RowMapping) -> Character:
    return Character(
        id=row["id"],
        project=row["project"],
        name=row["name"],
        clip_key=row["clip_key"],
        image_key=row["image_key"],
        created_at=int(row["created_at"]),
    )


def event_from_row(row: RowMapping) -> JobEvent:
    return JobEvent(
        id=row["id"],
        job_id=row["job_id"],
        project=row["project"],
        type=row["type"],
        from_status=row["from_status"],
        to_status=row["to_status"],
        data=row["data"],
        created_at=row["created_at"],
    )
