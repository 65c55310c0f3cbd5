"""Operator commands against the database: `reelbox keys create|list|revoke`, `reelbox quotas`,
`reelbox usage`, `reelbox jobs list|show|cancel|retry|purge`, `reelbox webhooks deliveries`.

They work on a running server's database (SQLite file or PostgreSQL); a running server sees
their changes within `key_cache_seconds` (keys) or at once (quotas, jobs). Every command takes
`--json` for scripts; tables are laid out to stay readable at 80 columns and in a pipe.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from reelbox.cli_tables import print_rows
from reelbox.settings import Settings, load_settings
from reelbox.startup import settings_problem

if TYPE_CHECKING:
    from sqlalchemy import Engine

console = Console()

ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML settings file.")]
DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the database and media live.")
]
DatabaseUrlOption = Annotated[str | None, typer.Option("--database-url")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (lists: one per line).")]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(value: str) -> float:
    """`90s`, `30m`, `24h`, `30d` as seconds."""
    unit = value[-1:].lower()
    number = value[:-1]
    if unit not in _UNITS or not number.replace(".", "", 1).isdigit():
        raise typer.BadParameter(f"{value!r}: use a duration like 30m, 24h or 30d")
    return float(number) * _UNITS[unit]


def moment(value: str) -> float:
    """A duration before now (`7d`) or an ISO date/time (UTC when no zone is given)."""
    if value[-1:].lower() in _UNITS and value[:-1].replace(".", "", 1).isdigit():
        return time.time() - duration(value)
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("use a duration like 30m, 24h, 7d or an ISO date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _when(at: float | None) -> str:
    return "-" if at is None else time.strftime("%Y-%m-%d %H:%M", time.gmtime(at))


def _settings(config: Path | None, data_dir: Path | None, database_url: str | None) -> Settings:
    try:
        return load_settings(config, data_dir=data_dir, database_url=database_url)
    except ValueError as exc:
        typer.echo(f"reelbox: invalid settings: {settings_problem(exc)}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def database(
    config: Path | None, data_dir: Path | None, database_url: str | None
) -> Iterator[tuple[Settings, Engine]]:
    from reelbox.store.database import connect, migrate

    settings = _settings(config, data_dir, database_url)
    engine = connect(settings.resolved_database_url, pool_size=2)
    try:
        migrate(engine)
        yield settings, engine
    finally:
        engine.dispose()


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value))


# -- keys ------------------------------------------------------------------------------------------


def add_key_commands(keys_app: typer.Typer) -> None:
    """`keys create|list|revoke` beside the existing `keys hash`."""

    @keys_app.command("create")
    def create(
        project: Annotated[str, typer.Option(help="The project the key belongs to.")],
        name: Annotated[str, typer.Option(help="A name to recognise it by.")] = "",
        expires: Annotated[
            str | None, typer.Option(help="Lifetime, e.g. 30d or 12h (default: none).")
        ] = None,
        admin: Annotated[
            bool, typer.Option("--admin", help="May manage keys and read usage over HTTP.")
        ] = False,
        as_json: JsonOption = False,
        data_dir: DataDirOption = None,
        database_url: DatabaseUrlOption = None,
        config: ConfigOption = None,
    ) -> None:
        """Create a key; it is printed once and only its hash is stored."""
        from reelbox.store.keys import KeyStore

        expires_at = None if expires is None else time.time() + duration(expires)
        with database(config, data_dir, database_url) as (_, engine):
            key, plain = KeyStore(engine).create(
                project=project, name=name, admin=admin, expires_at=expires_at
            )
        if as_json:
            _echo_json({**key.to_json(), "value": plain})
            return
        typer.echo(plain)
        typer.echo(
            f"{key.id} for project {project}{' (admin)' if admin else ''}: "
            "store the key now, it is not shown again.",
            err=True,
        )

    @keys_app.command("list")
    def list_keys(
        project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
        all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
        as_json: JsonOption = False,
        data_dir: DataDirOption = None,
        database_url: DatabaseUrlOption = None,
        config: ConfigOption = None,
    ) -> None:
        """Keys created with `keys create` (keys from settings are not listed)."""
        from reelbox.store.keys import KeyStore

        with database(config, data_dir, database_url) as (_, engine):
            found = KeyStore(engine).list(project=project, include_revoked=all_keys)
        if as_json:
            for key in found:
                _echo_json(key.to_json())
            return
        now = time.time()
        rows = []
        for key in found:
            state = "active" if key.active(now) else ("revoked" if key.revoked_at else "expired")
            rows.append(
                (
                    key.id,
                    key.project,
                    key.name or "-",
                    key.prefix,
                    "admin" if key.admin else "project",
                    _when(key.created_at)[:10],
                    state,
                )
            )
        print_rows(console, ("id", "project", "name", "starts", "scope", "created", "state"), rows)
        console.print(f"{len(found)} key(s)")

    @keys_app.command("revoke")
    def revoke(
        key_id: Annotated[str, typer.Argument(help="The key's id (key_…), from `keys list`.")],
        as_json: JsonOption = False,
        data_dir: DataDirOption = None,
        database_url: DatabaseUrlOption = None,
        config: ConfigOption = None,
    ) -> None:
        """Revoke a key: every server refuses it within `key_cache_seconds` (2 s)."""
        from reelbox.store.keys import KeyStore

        with database(config, data_dir, database_url) as (settings, engine):
            key = KeyStore(engine).revoke(key_id)
        if key is None:
            typer.echo(f"reelbox: no key with id {key_id!r}", err=True)
            raise typer.Exit(1)
        if as_json:
            _echo_json(key.to_json())
            return
        typer.echo(
            f"revoked {key.id} (project {key.project}); refused everywhere within "
            f"{settings.key_cache_seconds:g} s"
        )


# -- quotas and usage ---------------------------------------------------------------------------

quotas_app = typer.Typer(
    help="Quotas per project or per key: video seconds a day and a month, jobs at once."
)
TargetArgument = Annotated[
    str, typer.Argument(help="A project, or with --key a stored key's id (reelbox keys list).")
]
KeyOption = Annotated[
    bool, typer.Option("--key", help="The argument is a key's id: that key's own quotas.")
]


def _show_quotas(engine: Engine, settings: Settings, target: str, key: bool, as_json: bool) -> None:
    from reelbox.store.quotas import Quotas, quota_defaults

    quotas = Quotas(engine, defaults=quota_defaults(settings))
    if key:
        project = _key_project(engine, target)
        status = quotas.key_status(target)
        title, extra = f"key {target} (project {project})", {"key_id": target}
    else:
        project, status = target, quotas.status(target)
        title, extra = f"project {project}", {}
    limits = status.limits
    if as_json:
        _echo_json(
            {
                "project": project,
                **extra,
                "limits": limits.to_json(),
                "seconds_today": status.seconds_today,
                "seconds_this_month": status.seconds_this_month,
                "unfinished_jobs": status.unfinished_jobs,
                "day_resets_at": status.day_resets_at,
                "month_resets_at": status.month_resets_at,
            }
        )
        return

    def of(limit: float | None) -> str:
        return "no limit" if limit is None else f"{limit:g}"

    rows = [
        (
            "video seconds today",
            f"{status.seconds_today:g}",
            of(limits.seconds_per_day),
            _when(status.day_resets_at),
        ),
        (
            "video seconds this month",
            f"{status.seconds_this_month:g}",
            of(limits.seconds_per_month),
            _when(status.month_resets_at),
        ),
        ("unfinished jobs", str(status.unfinished_jobs), of(limits.concurrent_jobs), "-"),
    ]
    console.print(title, highlight=False)
    print_rows(console, ("quota", "used", "limit", "resets (UTC)"), rows)


def _key_project(engine: Engine, key_id: str) -> str:
    """The project of a stored key; exits with one line when there is no such key."""
    from reelbox.store.keys import KeyStore

    found = KeyStore(engine).get(key_id)
    if found is None:
        typer.echo(f"reelbox: no key with id {key_id} (reelbox keys list shows them)", err=True)
        raise typer.Exit(1)
    return found.project


@quotas_app.command("show")
def quotas_show(
    target: TargetArgument,
    key: KeyOption = False,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """A project's (or key's) limits and what it uses now."""
    with database(config, data_dir, database_url) as (settings, engine):
        _show_quotas(engine, settings, target, key, as_json)


@quotas_app.command("set")
def quotas_set(
    target: TargetArgument,
    key: KeyOption = False,
    seconds_per_day: Annotated[float | None, typer.Option(min=0)] = None,
    seconds_per_month: Annotated[float | None, typer.Option(min=0)] = None,
    concurrent_jobs: Annotated[int | None, typer.Option(min=1)] = None,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Give a project its own limits (those not given keep the settings' defaults), or a key
    limits of its own on top of its project's (those not given: no limit of the key's)."""
    from reelbox.store.quotas import Quotas, quota_defaults

    with database(config, data_dir, database_url) as (settings, engine):
        quotas = Quotas(engine, defaults=quota_defaults(settings))
        if key:
            _key_project(engine, target)
        (quotas.set_key if key else quotas.set)(
            target,
            seconds_per_day=seconds_per_day,
            seconds_per_month=seconds_per_month,
            concurrent_jobs=concurrent_jobs,
        )
        _show_quotas(engine, settings, target, key, as_json)


@quotas_app.command("clear")
def quotas_clear(
    target: TargetArgument,
    key: KeyOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Forget a project's own limits (the settings' defaults apply again), or a key's."""
    from reelbox.store.quotas import Quotas

    with database(config, data_dir, database_url) as (_, engine):
        if key:
            Quotas(engine).clear_key(target)
            typer.echo(f"key {target} has no quotas of its own")
        else:
            Quotas(engine).clear(target)
            typer.echo(f"project {target} uses the default quotas")


def usage(
    project: Annotated[list[str] | None, typer.Option(help="Only this project (repeat).")] = None,
    since: Annotated[str, typer.Option(help="7d, 24h or an ISO date.")] = "7d",
    until: Annotated[str | None, typer.Option(help="Until (default: now).")] = None,
    bucket: Annotated[str, typer.Option(help="Bucket width: 1h or 1d.")] = "1d",
    group_by: Annotated[
        str, typer.Option(help="Comma list of project_id, model, profile, outcome.")
    ] = "project_id,model",
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Seconds of video, jobs and cost per bucket, read from the jobs table."""
    from reelbox.store.usage import GROUP_FIELDS, UsageReader

    widths = {"1h": 3600, "1d": 86400}
    if bucket not in widths:
        raise typer.BadParameter("use 1h or 1d", param_hint="--bucket")
    groups = [g.strip() for g in group_by.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUP_FIELDS]
    if unknown:
        raise typer.BadParameter(f"use {', '.join(GROUP_FIELDS)}", param_hint="--group-by")
    width = widths[bucket]
    start = moment(since)
    start -= start % width
    end = time.time() if until is None else moment(until)
    with database(config, data_dir, database_url) as (settings, engine):
        price = _pricer(settings)
        buckets = UsageReader(engine).buckets(
            start=start, end=end, width=width, group_by=groups, projects=project, price=price
        )
    rows = [(b, r) for b in buckets for r in b.results]
    if as_json:
        for b, r in rows:
            _echo_json(
                {
                    "start_time": b.start_time,
                    "end_time": b.end_time,
                    **{g: getattr(r, g) for g in groups},
                    "seconds": r.seconds,
                    "jobs": r.jobs,
                    "cost_usd": round(r.cost, 6),
                }
            )
        return
    print_rows(
        console,
        ("from (UTC)", *groups, "jobs", "seconds", "cost $"),
        [
            (
                _when(b.start_time)[: 10 if width == 86400 else 16],
                *(str(getattr(r, g)) for g in groups),
                str(r.jobs),
                f"{r.seconds:g}",
                f"{r.cost:.2f}",
            )
            for b, r in rows
        ],
    )
    total = sum(r.seconds for _, r in rows)
    cost = sum(r.cost for _, r in rows)
    console.print(f"{total:g} s of video, ${cost:.2f}")


def _pricer(settings: Settings) -> Any:
    """The price of a completed job, as the admin API computes it."""
    from reelbox.api.admin import job_price
    from reelbox.app import build_catalog
    from reelbox.store.usage import JobUsage

    catalog = build_catalog(settings)

    def price(job: JobUsage) -> float:
        return job_price(job, settings=settings, catalog=catalog)

    return price


def register(app: typer.Typer, *, keys_app: typer.Typer) -> None:
    """Add the operator commands to the `reelbox` command."""
    from reelbox.cli_jobs import jobs_app, webhooks_app

    add_key_commands(keys_app)
    app.add_typer(quotas_app, name="quotas")
    app.command("usage")(usage)
    app.add_typer(jobs_app, name="jobs")
    app.add_typer(webhooks_app, name="webhooks")
