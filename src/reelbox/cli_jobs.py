"""`reelbox jobs list|show|cancel|retry|purge` and `reelbox webhooks deliveries`, against the
database, across every project (operators only; the API always scopes to one project)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reelbox.cli_admin import (
    ConfigOption,
    DatabaseUrlOption,
    DataDirOption,
    JsonOption,
    _echo_json,
    _when,
    console,
    database,
    moment,
)
from reelbox.cli_tables import print_rows

if TYPE_CHECKING:
    from reelbox.blobs.base import BlobStore
    from reelbox.jobs.models import Job
    from reelbox.settings import Settings

jobs_app = typer.Typer(help="Jobs of every project: list, show, cancel, retry, purge.")
webhooks_app = typer.Typer(help="Webhook deliveries.")

STATUSES = ("queued", "in_progress", "completed", "failed", "cancelled")
ProjectFilter = Annotated[str | None, typer.Option(help="Only this project.")]
StatusFilter = Annotated[
    list[str] | None, typer.Option(help="queued, in_progress, completed, failed, cancelled.")
]
ProfileFilter = Annotated[str | None, typer.Option(help="Only this engine profile.")]
OlderFilter = Annotated[str | None, typer.Option(help="Created before: 7d, 24h or a date.")]
NewerFilter = Annotated[str | None, typer.Option(help="Created after: 7d, 24h or a date.")]


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "project": job.project,
        "dialect": job.dialect,
        "model": job.model,
        "profile": job.profile,
        "status": job.status.value,
        "progress": job.progress,
        "size": job.size,
        "seconds": job.seconds,
        "attempt": job.attempt,
        "error": None
        if job.error_code is None
        else {"code": job.error_code, "message": job.error_message},
        "created_at": job.created_at,
        "started_at": job.started_at,
        "completed_at": job.completed_at,
        "expires_at": job.expires_at,
    }


def _statuses(values: list[str] | None) -> list[str] | None:
    for value in values or []:
        if value not in STATUSES:
            raise typer.BadParameter(f"{value!r}: use {', '.join(STATUSES)}", param_hint="--status")
    return values or None


def _find(
    engine: Any,
    *,
    project: str | None,
    status: list[str] | None,
    profile: str | None,
    older_than: str | None,
    newer_than: str | None,
    limit: int,
) -> list[Job]:
    from reelbox.store.admin_queries import AdminQueries

    return AdminQueries(engine).jobs(
        project=project,
        statuses=_statuses(status),
        profile=profile,
        created_before=None if older_than is None else moment(older_than),
        created_after=None if newer_than is None else moment(newer_than),
        limit=limit,
    )


@jobs_app.command("list")
def list_jobs(
    project: ProjectFilter = None,
    status: StatusFilter = None,
    profile: ProfileFilter = None,
    older_than: OlderFilter = None,
    newer_than: NewerFilter = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Jobs, newest first."""
    with database(config, data_dir, database_url) as (_, engine):
        found = _find(
            engine,
            project=project,
            status=status,
            profile=profile,
            older_than=older_than,
            newer_than=newer_than,
            limit=limit,
        )
    if as_json:
        for job in found:
            _echo_json(job_json(job))
        return
    rows = []
    for job in found:
        status_text = job.status.value
        if job.status.value == "in_progress":
            status_text = f"running {job.progress}%"
        elif job.error_code:
            status_text = f"{job.status.value}: {job.error_code}"
        rows.append(
            (job.id, job.project, job.profile, status_text, job.seconds, _when(job.created_at))
        )
    print_rows(console, ("id", "project", "profile", "status", "s", "created (UTC)"), rows)
    console.print(f"{len(found)} job(s)")


def _one(engine: Any, job_id: str) -> Job:
    from reelbox.store.admin_queries import AdminQueries

    job = AdminQueries(engine).job(job_id)
    if job is None:
        typer.echo(f"reelbox: no job with id {job_id!r}", err=True)
        raise typer.Exit(1)
    return job


@jobs_app.command("show")
def show(
    job_id: Annotated[str, typer.Argument(help="The job's id (video_… or task_…).")],
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """One job and its events."""
    from reelbox.store.store import Store

    with database(config, data_dir, database_url) as (_, engine):
        job = _one(engine, job_id)
        events = Store(engine).events(job_id)
    if as_json:
        body = job_json(job)
        body["events"] = [
            {"type": e.type, "from": e.from_status, "to": e.to_status, "at": e.created_at}
            for e in events
        ]
        _echo_json(body)
        return
    for key, value in job_json(job).items():
        if key == "error" and value is not None:
            value = f"{value['code']}: {value['message']}"
        elif key.endswith("_at"):
            value = _when(value)
        console.print(f"{key:>12}  {value if value is not None else '-'}", highlight=False)
    print_rows(
        console,
        ("event", "from", "to", "at (UTC)"),
        [
            (e.type, str(e.from_status or "-"), str(e.to_status or "-"), _when(e.created_at))
            for e in events
        ],
    )


@jobs_app.command("cancel")
def cancel(
    job_id: Annotated[str, typer.Argument(help="The job's id.")],
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Cancel an unfinished job (its worker stops at its next heartbeat) and delete it."""
    from reelbox.blobs.keys import delete_job_media
    from reelbox.store.store import Store

    with database(config, data_dir, database_url) as (settings, engine):
        store = Store(engine)
        job = _one(engine, job_id)
        before = store.cancel(job.id, project=job.project)
        if before is not None and before.status.terminal:
            delete_job_media(_blobs(settings), job.id)
            store.mark_assets_expired(job.id)
        after = _one(engine, job.id)
    if as_json:
        _echo_json(job_json(after))
        return
    typer.echo(f"{job.id}: {job.status.value} -> {after.status.value}, deleted")


@jobs_app.command("retry")
def retry(
    job_id: Annotated[str, typer.Argument(help="A failed or cancelled job's id.")],
    force: Annotated[
        bool, typer.Option("--force", help="Queue it even past the project's or key's quotas.")
    ] = False,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Queue a new job with the same request as a failed or cancelled one (a new id; the old
    job stays as it was). A running server picks it up at its next scheduler tick.

    The retry counts towards the quotas of the job's project and of the key that created it,
    and is refused (exit 1) when it would pass one, as the API would refuse it; `--force`
    queues it anyway."""
    from contextlib import nullcontext

    from reelbox.errors import QuotaExceeded
    from reelbox.jobs.ids import new_task_id, new_video_id
    from reelbox.store.quotas import Quotas, quota_defaults
    from reelbox.store.rows import NewJob
    from reelbox.store.store import QueueFull, Store

    with database(config, data_dir, database_url) as (settings, engine):
        store = Store(engine)
        job = _one(engine, job_id)
        if job.status.value not in ("failed", "cancelled"):
            typer.echo(
                f"reelbox: {job.id} is {job.status.value}; only failed or cancelled "
                "jobs can be retried",
                err=True,
            )
            raise typer.Exit(1)
        new_id = new_video_id() if job.dialect == "openai" else new_task_id()
        quotas = Quotas(engine, defaults=quota_defaults(settings))
        seconds = job.spec.seconds * job.spec.variants
        try:
            with nullcontext() if force else quotas.hold(job.project, seconds, key_id=job.key_id):
                created = store.create_job(
                    NewJob(
                        id=new_id,
                        project=job.project,
                        key_id=job.key_id,
                        dialect=job.dialect,
                        model=job.model,
                        spec=replace(job.spec),
                        seconds=job.seconds,
                        source_video_id=job.source_video_id,
                        remixed_from_video_id=job.remixed_from_video_id,
                        max_attempts=settings.max_attempts,
                        extra={**job.extra, "retry_of": job.id},
                    ),
                    queue_cap=settings.max_queued_per_project,
                )
        except QueueFull:
            typer.echo(
                f"reelbox: {job.id} not retried: project {job.project} already has "
                f"{settings.max_queued_per_project} queued jobs (max_queued_per_project)",
                err=True,
            )
            raise typer.Exit(1) from None
        except QuotaExceeded as exc:
            typer.echo(
                f"reelbox: {job.id} not retried: {exc.message} (--force: retry anyway)", err=True
            )
            raise typer.Exit(1) from None
    if as_json:
        _echo_json(job_json(created))
        return
    typer.echo(f"{job.id} retried as {created.id} (queued)")


@jobs_app.command("purge")
def purge(
    older_than: Annotated[str, typer.Option(help="Created before: 30d, 24h or a date.")],
    project: ProjectFilter = None,
    status: StatusFilter = None,
    profile: ProfileFilter = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do it (without: only list).")] = False,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Delete finished jobs' media and mark them deleted (their rows stay for usage)."""
    from reelbox.blobs.keys import delete_job_media
    from reelbox.store.store import Store

    chosen = _statuses(status) or ["completed", "failed", "cancelled"]
    unfinished = sorted(set(chosen) - {"completed", "failed", "cancelled"})
    if unfinished:
        raise typer.BadParameter("purge only finished jobs (cancel the others first)")
    with database(config, data_dir, database_url) as (settings, engine):
        found = _find(
            engine,
            project=project,
            status=chosen,
            profile=profile,
            older_than=older_than,
            newer_than=None,
            limit=1_000_000,
        )
        if yes:
            store, blobs = Store(engine), _blobs(settings)
            for job in found:
                store.cancel(job.id, project=job.project)
                delete_job_media(blobs, job.id)
                store.mark_assets_expired(job.id)
    if as_json:
        for job in found:
            _echo_json({"id": job.id, "project": job.project, "purged": yes})
        return
    verb = "purged" if yes else "would purge (add --yes)"
    typer.echo(f"{verb} {len(found)} job(s)")


@webhooks_app.command("deliveries")
def deliveries(
    failed: Annotated[bool, typer.Option("--failed", help="Only deliveries given up on.")] = False,
    project: ProjectFilter = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Webhook deliveries with their endpoint and last attempt, newest first."""
    from reelbox.store.admin_queries import AdminQueries

    with database(config, data_dir, database_url) as (_, engine):
        found = AdminQueries(engine).deliveries(
            project=project, status="failed" if failed else None, limit=limit
        )
    if as_json:
        for row in found:
            _echo_json(row.to_json())
        return
    rows = []
    for row in found:
        answer = str(row.last_status_code) if row.last_status_code else (row.last_error or "-")
        rows.append((row.id, row.project, row.event_type, row.status, str(row.attempts), answer))
    print_rows(console, ("delivery", "project", "event", "status", "tries", "last answer"), rows)
    console.print(f"{len(found)} delivery(ies)")


def _blobs(settings: Settings) -> BlobStore:
    """The server's blob store: the object store of `blob_url` when set, else `data_dir`'s."""
    from reelbox.blobs.factory import open_blob_store

    return open_blob_store(
        url=settings.blob_url, local_dir=settings.blob_dir, options=settings.blob_options
    )
