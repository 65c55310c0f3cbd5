"""Table definitions. Alembic migrations in `migrations/` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

SECRET_TYPE = String(128).with_variant(Text(), "postgresql")

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project", String(128), nullable=False),
    Column("dialect", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("model", String(256), nullable=False),
    Column("profile", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Integer, nullable=False),
    Column("prompt", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("seconds", String(16), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("source_video_id", String(64), nullable=True),
    Column("remixed_from_video_id", String(64), nullable=True),
    Column("error_code", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("attempt", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", Float, nullable=True),
    Column("plan", JSON, nullable=True),
    Column("extra", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("started_at", Float, nullable=True),
    Column("completed_at", Float, nullable=True),
    Column("expires_at", Float, nullable=True),
    Column("assets_expired", Boolean, nullable=False),
    Column("deleted_at", Float, nullable=True),
    # The W3C trace context of the request that created it (JSON `traceparent`/`tracestate`),
    # when tracing is on: the worker and the webhook deliverer continue that trace.
    Column("trace_context", JSON, nullable=True),
    # The stored API key that created the job (migration 0007_key_quotas), for its quotas.
    Column("key_id", String(64), nullable=True),
    Index("ix_jobs_status_created", "status", "created_at"),
    Index("ix_jobs_project_dialect_created", "project", "dialect", "created_at"),
    Index("ix_jobs_project_status", "project", "status"),
    Index("ix_jobs_expires_at", "expires_at"),
    Index("ix_jobs_key_created", "key_id", "created_at"),
)

generations = Table(
    "generations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("job_id", String(64), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("index", Integer, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("video_key", String(512), nullable=False),
    Column("thumbnail_key", String(512), nullable=False),
    Column("thumbnail_jpeg_key", String(512), nullable=False),
    Column("spritesheet_key", String(512), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("fps", Integer, nullable=False),
    Column("frame_count", Integer, nullable=False),
    Column("duration", Float, nullable=False),
    Column("has_audio", Boolean, nullable=False),
    Column("sprite_columns", Integer, nullable=False),
    Column("sprite_rows", Integer, nullable=False),
    Column("sprite_frame_width", Integer, nullable=False),
    Column("sprite_frame_height", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_generations_job", "job_id", "index", unique=True),
)

characters = Table(
    "characters",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project", String(128), nullable=False),
    Column("name", String(80), nullable=False),
    Column("clip_key", String(512), nullable=False),
    Column("image_key", String(512), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_characters_project", "project"),
)

job_events = Table(
    "job_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(64), nullable=False),
    Column("project", String(128), nullable=False),
    Column("type", String(64), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=True),
    Column("data", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_job_events_job", "job_id", "id"),
)

# -- webhooks (migration 0002) -----------------------------------------------------------------

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project", String(128), nullable=False),
    Column("name", String(256), nullable=False),
    Column("url", Text, nullable=False),
    Column("event_types", JSON, nullable=False),
    # The `whsec_` secret, encrypted (store/secret_box.py): signing needs the key itself, so
    # it cannot be hashed. SQLite ignores VARCHAR lengths; PostgreSQL stores TEXT (0004).
    Column("secret", SECRET_TYPE, nullable=False),
    Column("previous_secret", SECRET_TYPE, nullable=True),
    Column("previous_secret_expires_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_webhook_endpoints_project_created", "project", "created_at"),
)

# The outbox: one row per (event, endpoint); its id is the `webhook-id` header.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(64), primary_key=True),
    Column(
        "endpoint_id",
        String(64),
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("project", String(128), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("window_started_at", Float, nullable=False),
    Column("next_attempt_at", Float, nullable=True),
    Column("lease_expires_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        String(64),
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("success", Boolean, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("response_body", Text, nullable=True),
    Index("ix_webhook_attempts_delivery", "delivery_id", "id"),
)

# The moderation audit log: one row per block (or unchecked pass), never the content itself.
moderation_events = Table(
    "moderation_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project", String(128), nullable=False),
    Column("checkpoint", String(16), nullable=False),
    Column("subject", String(32), nullable=False),
    Column("policy", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("categories", Text, nullable=False),
    Column("sources", Text, nullable=False),
    Column("rules", JSON, nullable=False),
    Column("input_sha256", String(64), nullable=False),
    Column("job_id", String(64), nullable=True),
    Column("dialect", String(16), nullable=True),
    Column("created_at", Float, nullable=False),
    Index("ix_moderation_events_created", "created_at"),
    Index("ix_moderation_events_project_created", "project", "created_at"),
)

# -- API keys and quotas (migration 0004_keys) -------------------------------------------------

# Keys created at run time (`reelbox keys create`, the admin API): only the SHA-256 digest of
# the key is stored; `prefix` is its first characters, to recognise it in a listing.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("project", String(128), nullable=False),
    Column("name", String(256), nullable=False),
    Column("admin", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Index("ix_api_keys_project", "project", "created_at"),
)

# Per-project quotas that override the settings' defaults; NULL keeps the default.
project_quotas = Table(
    "project_quotas",
    metadata,
    Column("project", String(128), primary_key=True),
    Column("seconds_per_day", Float, nullable=True),
    Column("seconds_per_month", Float, nullable=True),
    Column("concurrent_jobs", Integer, nullable=True),
    Column("updated_at", Float, nullable=False),
)

# Per-key quotas (migration 0007_key_quotas), on top of the key's project's; NULL: no limit.
key_quotas = Table(
    "key_quotas",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("seconds_per_day", Float, nullable=True),
    Column("seconds_per_month", Float, nullable=True),
    Column("concurrent_jobs", Integer, nullable=True),
    Column("updated_at", Float, nullable=False),
)

# One row per accepted create, per project, for the request-rate limit shared by every server
# on a PostgreSQL database (store/rate_limits.py); rows older than the window are deleted.
rate_limit_hits = Table(
    "rate_limit_hits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(128), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_rate_limit_hits_project_at", "project", "at"),
)

# Where a completed job's time went, one row per stage (jobs/timings.py), written with its
# completion; `/metrics` reads them at scrape time.
job_stages = Table(
    "job_stages",
    metadata,
    Column("job_id", String(64), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("stage", String(32), primary_key=True),
    Column("profile", String(128), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float, nullable=False),
    Column("seconds", Float, nullable=False),
    Index("ix_job_stages_profile_stage", "profile", "stage"),
)

# A completed job's engine steps, bucketed (upper bound `le` in seconds, NULL for +Inf): a job
# may take thousands of steps, so only the non-empty buckets are kept.
job_steps = Table(
    "job_steps",
    metadata,
    Column("job_id", String(64), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("bucket", Integer, primary_key=True),  # index into jobs.timings.STEP_BUCKETS
    Column("le", Float, nullable=True),
    Column("profile", String(128), nullable=False),
    Column("count", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Index("ix_job_steps_profile", "profile"),
)
