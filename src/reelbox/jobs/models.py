"""Jobs, generations and characters as immutable values read from the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus


@dataclass(frozen=True, kw_only=True)
class Generation:
    """One produced video of a job (a job with `n_variants` has several)."""

    id: str
    job_id: str
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
    created_at: int


@dataclass(frozen=True, kw_only=True)
class Job:
    id: str
    project: str
    dialect: str  # "openai" | "azure"
    mode: Mode
    model: str  # as the client sent it
    profile: str  # the engine profile it resolved to
    status: JobStatus
    progress: int
    prompt: str
    width: int
    height: int
    seconds: str  # as shown on the wire (for extensions: the stitched total)
    spec: GenerationSpec
    source_video_id: str | None
    remixed_from_video_id: str | None
    error_code: str | None
    error_message: str | None
    attempt: int
    max_attempts: int
    plan: dict[str, Any] | None
    created_at: int
    started_at: int | None
    completed_at: int | None
    expires_at: int | None
    assets_expired: bool
    extra: dict[str, Any]
    trace_context: dict[str, str] | None = None  # the creating request's W3C trace headers
    key_id: str | None = None  # the stored API key that created it (its quotas count it)

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True, kw_only=True)
class Character:
    id: str
    project: str
    name: str
    clip_key: str
    image_key: str
    created_at: int


@dataclass(frozen=True, kw_only=True)
class JobEvent:
    id: int
    job_id: str
    project: str
    type: str
    from_status: str | None
    to_status: str | None
    data: dict[str, Any]
    created_at: float
