"""The `reelbox` command: serve the API, generate one video, inspect models, hash keys."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from reelbox import cli_admin
from reelbox.settings import NO_WORKERS_LOCAL, Settings, is_loopback, load_settings
from reelbox.startup import preflight, settings_problem

if TYPE_CHECKING:
    from reelbox.store.moderation_log import ModerationLog

app = typer.Typer(
    help="Reelbox: a self-hosted Sora-compatible video generation service.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML settings file.", exists=False)
]
DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the database and media live.")
]


def _settings(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        typer.echo(f"reelbox: invalid settings: {settings_problem(exc)}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (0: any free port).")] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="sqlite:///… or postgresql://…")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (job slots).")] = None,
    insecure: Annotated[
        bool | None,
        typer.Option("--insecure", help="Allow an open (keyless) server beyond loopback."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    no_workers: Annotated[
        bool,
        typer.Option(
            "--no-workers", help="An API replica (PostgreSQL): no worker processes of its own."
        ),
    ] = False,
) -> None:
    """Run the HTTP API with its scheduler and worker processes."""
    import uvicorn

    from reelbox.app import create_app
    from reelbox.observability.logs import configure as configure_logging

    settings = _settings(
        config,
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        workers=workers,
        insecure=insecure,
    )
    if no_workers:
        if not settings.resolved_database_url.startswith("postgresql"):
            console.print(
                "[red]Invalid settings:[/red] --no-workers needs a PostgreSQL database_url "
                "(API replicas share one database; SQLite serves one machine)"
            )
            raise typer.Exit(2)
        if settings.executor == "local":
            console.print(f"[red]Invalid settings:[/red] {NO_WORKERS_LOCAL}")
            raise typer.Exit(2)
        settings = settings.model_copy(update={"role": "api"})
    problem = preflight(settings)
    if problem is not None:
        typer.echo(f"reelbox: cannot start: {problem}", err=True)
        raise typer.Exit(2)
    from reelbox.store.data_lock import DataDirInUse, DataLock

    try:  # held for the life of the process; the app's lifespan shares it
        DataLock.acquire(settings.resolved_database_url, data_dir=settings.data_dir)
    except DataDirInUse as exc:
        typer.echo(f"reelbox serve: {exc}", err=True)  # one line, never wrapped
        raise typer.Exit(1) from None
    mode = "open local mode (no API keys)" if settings.open_mode else "API keys required"
    console.print(
        f"Reelbox on http://{settings.host}:{settings.port}  data: {settings.data_dir.resolve()}"
        f"  {mode}"
    )
    if settings.open_mode and not is_loopback(settings.host):
        console.print("[yellow]Warning: serving without API keys beyond loopback.[/yellow]")
    configure_logging(
        log_format=settings.log_format, level=log_level, log_prompts=settings.log_prompts
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        timeout_graceful_shutdown=10,
        # JSON logs: configured above; uvicorn's own text config would replace them.
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
    )


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="What the video should show.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the MP4.")] = Path(
        "video.mp4"
    ),
    seconds: Annotated[str, typer.Option(help="Length in seconds.")] = "4",
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT.")] = "720x1280",
    model: Annotated[str | None, typer.Option(help="Model or profile name.")] = None,
    input_reference: Annotated[
        Path | None, typer.Option("--input-reference", help="Image that becomes frame 0.")
    ] = None,
    fit: Annotated[
        str | None, typer.Option(help="Fit a mismatched image: crop, pad or stretch.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (random when omitted).")] = None,
    config: ConfigOption = None,
) -> None:
    """Generate one video in this process, with a progress bar."""
    from reelbox.api import validation as v
    from reelbox.api.inputs import reference_png
    from reelbox.app import build_catalog
    from reelbox.blobs.local import LocalBlobStore
    from reelbox.engines.registry import build_engine
    from reelbox.errors import ReelboxError
    from reelbox.executors.pipeline import produce
    from reelbox.jobs.spec import GenerationSpec, Mode

    settings = _settings(config)
    catalog = build_catalog(settings)
    with tempfile.TemporaryDirectory(prefix="reelbox-") as tmp:
        blobs = LocalBlobStore(Path(tmp))
        try:
            fields = {"prompt": prompt, "model": model, "size": size, "seconds": seconds}
            text = v.prompt(fields)
            resolved = v.model(fields, catalog, default=settings.default_model)
            width, height = v.size(size, resolved)
            seconds_text, length = v.seconds(seconds, resolved)
            input_key = None
            if input_reference is not None:
                png = reference_png(
                    input_reference.read_bytes(),
                    width=width,
                    height=height,
                    fit=fit,  # type: ignore[arg-type]
                    max_pixels=settings.max_image_pixels,
                )
                input_key = "input.png"
                blobs.put_bytes(input_key, png)
        except ReelboxError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from None
        spec = GenerationSpec(
            mode=Mode.IMAGE if input_key else Mode.TEXT,
            prompt=text,
            width=width,
            height=height,
            seconds=length,
            seed=random.randrange(2**31) if seed is None else seed,
            profile=resolved.profile,
            fps=resolved.capabilities.fps,
            input_image_key=input_key,
        )
        profile = settings.profiles[resolved.profile]
        engine = build_engine(profile.engine, profile.options)
        started = time.perf_counter()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(f"{resolved.name} {width}x{height} {seconds_text}s", total=1.0)
            outputs = produce(
                spec,
                engine=engine,
                blobs=blobs,
                key_prefix=lambda index: f"out/{index}",
                on_progress=lambda fraction: bar.update(task, completed=fraction),
                should_cancel=lambda: False,
            )
            bar.update(task, completed=1.0)
        elapsed = time.perf_counter() - started
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(blobs.local_path(outputs[0].video_key), output)
    out = outputs[0]
    console.print(
        f"Wrote {output} ({out.width}x{out.height}, {out.duration:g} s, "
        f"{'with' if out.has_audio else 'no'} sound, seed {spec.seed}) in {elapsed:.1f} s"
    )
    _print_plan_notes(out.plan)


def _print_plan_notes(plan: dict[str, Any] | None) -> None:
    """What the engine drew instead, could not render, or left out (its plan says)."""
    plan = plan or {}
    for item in plan.get("substitutions", ()):
        console.print(f"Drawn as: {item}")
    if plan.get("not_understood"):
        console.print("[yellow]Not understood:[/yellow] " + ", ".join(plan["not_understood"]))
    for warning in plan.get("warnings", ()):
        console.print(f"[yellow]Warning:[/yellow] {warning}")


@app.command("models")
def list_models(config: ConfigOption = None) -> None:
    """List the configured profiles and aliases, with the sizes and seconds the API accepts."""
    from reelbox.app import build_catalog
    from reelbox.cli_tables import print_rows
    from reelbox.engines.catalog import SORA_PRO_SIZES, SORA_SECONDS, SORA_SIZES

    settings = _settings(config)
    catalog = build_catalog(settings)
    rows = []
    for name in catalog.names():
        resolved = catalog.resolve(name)
        assert resolved is not None
        caps = resolved.capabilities.to_json()
        sizes = "any" if caps["sizes"] is None else ", ".join(caps["sizes"])
        seconds = (
            f"{caps['min_seconds']}-{caps['max_seconds']}"
            if caps["seconds"] is None
            else ", ".join(map(str, caps["seconds"]))
        )
        if resolved.sora:  # what the API enforces for Sora names (validation.py)
            sizes = ", ".join(
                f"{w}x{h}" for w, h in (SORA_PRO_SIZES if resolved.pro else SORA_SIZES)
            )
            seconds = ", ".join(SORA_SECONDS)
        rows.append(
            (
                name,
                resolved.profile,
                catalog.profiles[resolved.profile].engine,
                ", ".join(caps["modes"]),
                sizes,
                seconds,
            )
        )
    print_rows(console, ("model", "profile", "engine", "modes", "sizes", "seconds"), rows)
    _print_placement(settings)


def _print_placement(settings: Settings) -> None:
    """The workers `serve` would start, when `gpus` places profiles on devices."""
    from reelbox.executors.placement import PlacementError, plan_workers

    try:
        placement = plan_workers(
            settings.profiles, gpus=settings.gpus, cpu_workers=settings.workers
        )
    except PlacementError as exc:
        raise typer.BadParameter(str(exc), param_hint="gpus / gpus_per_job") from None
    if placement is not None:
        console.print("placement:")
        for line in placement.describe():
            console.print(f"  {line}", soft_wrap=True)


@app.command("plan")
def show_plan(
    prompt: Annotated[str, typer.Argument(help="What the video should show.")],
    seed: Annotated[int, typer.Option(help="Seed (it places the subjects).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Print the scene plan the embedded engine would follow for PROMPT."""
    import json

    from rich.tree import Tree

    from reelbox.engines.procedural.planner import plan_scene

    plan = plan_scene(prompt, seed=seed).to_json()
    if as_json:
        typer.echo(json.dumps(plan, indent=2))
        return
    tree = Tree(f"[bold]{prompt}[/bold]  (seed {seed})")
    scene = tree.add("scene")
    for key in ("setting", "time_of_day", "weather", "wind", "lighting", "style", "mood"):
        scene.add(f"{key}: {plan[key]}")
    camera = tree.add("camera")
    for key, value in plan["camera"].items():
        camera.add(f"{key}: {value}")
    subjects = tree.add(f"subjects ({len(plan['subjects'])})")
    for s in plan["subjects"]:
        name = f" {s['name']}" if s["name"] else ""
        subjects.add(
            f"{s['color']} {s['kind']}{name}: {s['action']} ({s['motion']}), "
            f"size {s['size']:.2f}, depth {s['depth']:.2f}"
        )
    sound = tree.add("sound" if plan["audio"] else "sound: none (silent)")
    for key, value in plan["sound"].items():
        if key == "dialogue":
            for line in value:
                sound.add(f'{line["voice"]} voice says "{line["text"]}"')
        else:
            sound.add(f"{key}: {value}")
    tree.add("understood: " + (", ".join(plan["understood"]) or "nothing"))
    for item in plan.get("substitutions", ()):
        tree.add(f"drawn as: {item}")
    tree.add("not understood: " + (", ".join(plan.get("not_understood", ())) or "nothing"))
    console.print(tree)


keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
cli_admin.register(app, keys_app=keys_app)  # keys create|list|revoke, quotas, usage, jobs, ...


@keys_app.command("hash")
def hash_key(key: Annotated[str, typer.Argument(help="The API key to hash.")]) -> None:
    """Print the `sha256:…` form of a key, to configure it without writing it down."""
    from reelbox.api.deps import hash_key as digest

    typer.echo(f"sha256:{digest(key)}")


@app.command()
def migrate(
    data_dir: DataDirOption = None,
    database_url: Annotated[str | None, typer.Option("--database-url")] = None,
    config: ConfigOption = None,
) -> None:
    """Create or upgrade the database schema."""
    from reelbox.store.database import connect
    from reelbox.store.database import migrate as run_migrations

    settings = _settings(config, data_dir=data_dir, database_url=database_url)
    engine = connect(settings.resolved_database_url)
    run_migrations(engine)
    engine.dispose()
    console.print("Database is up to date.")


moderation_app = typer.Typer(help="Moderation: the audit log, counters, trying a policy.")
app.add_typer(moderation_app, name="moderation")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _since(value: str | None) -> float | None:
    """`30m`, `24h`, `7d` before now, or an ISO date/time."""
    if value is None:
        return None
    unit = value[-1:].lower()
    if unit in _UNITS and value[:-1].replace(".", "", 1).isdigit():
        return time.time() - float(value[:-1]) * _UNITS[unit]
    from datetime import datetime

    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise typer.BadParameter("use a duration like 30m, 24h, 7d or an ISO date") from None


def _moderation_log(
    config: Path | None, data_dir: Path | None, database_url: str | None
) -> ModerationLog:
    from reelbox.store.database import connect
    from reelbox.store.database import migrate as run_migrations
    from reelbox.store.moderation_log import ModerationLog

    settings = _settings(config, data_dir=data_dir, database_url=database_url)
    engine = connect(settings.resolved_database_url)
    run_migrations(engine)
    return ModerationLog(engine)


DatabaseUrlOption = Annotated[str | None, typer.Option("--database-url")]


@moderation_app.command("log")
def moderation_log(
    project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
    since: Annotated[str | None, typer.Option(help="30m, 24h, 7d or an ISO date.")] = None,
    checkpoint: Annotated[str | None, typer.Option(help="request, input or output.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Blocked requests, inputs and outputs (and unchecked passes), newest first."""
    log = _moderation_log(config, data_dir, database_url)
    events = log.events(project=project, since=_since(since), checkpoint=checkpoint, limit=limit)
    log.engine.dispose()
    if as_json:
        for event in events:
            typer.echo(json.dumps(event.to_json()))
        return
    from reelbox.cli_tables import print_rows

    columns = ("time (UTC)", "project", "checkpoint", "subject", "outcome", "categories")
    rows = [
        (
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(e.created_at)),
            e.project,
            e.checkpoint,
            e.subject,
            e.outcome,
            ", ".join(e.categories) or "-",
            e.policy,
            e.job_id or "-",
            e.input_sha256[:16],
        )
        for e in events
    ]
    print_rows(console, (*columns, "policy", "job", "input sha256"), rows)
    console.print(f"{len(events)} event(s)")


@moderation_app.command("stats")
def moderation_stats(
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Totals per checkpoint, policy, outcome and category (also served at /metrics)."""
    log = _moderation_log(config, data_dir, database_url)
    counts = log.counts()
    log.engine.dispose()
    table = Table("checkpoint", "policy", "outcome", "category", "count")
    for c in counts:
        table.add_row(c.checkpoint, c.policy, c.outcome, c.category or "-", str(c.count))
    console.print(table)


@moderation_app.command("check")
def moderation_check(
    text: Annotated[str | None, typer.Argument(help="A prompt to try.")] = None,
    image: Annotated[
        list[Path] | None, typer.Option(help="An image to check as a job input.")
    ] = None,
    policy: Annotated[str | None, typer.Option(help="Policy name (default: settings).")] = None,
    config: ConfigOption = None,
) -> None:
    """Run the built-in checks (and a configured classifier) on a prompt or images.

    Exits 1 when blocked. Shows which rules fired: it is for operators tuning their lists.
    """
    import numpy as np
    from PIL import Image

    from reelbox.moderation.moderator import Moderator
    from reelbox.moderation.verdict import Checkpoint

    settings = _settings(config)
    try:
        moderator = Moderator(settings.moderation)
    except ValueError as exc:
        console.print(f"[red]Invalid moderation settings:[/red] {exc}")
        raise typer.Exit(2) from None
    name = policy or settings.moderation.policy
    if name not in moderator.policies:
        console.print(f"[red]Unknown policy {name!r}[/red]; known: {', '.join(moderator.policies)}")
        raise typer.Exit(2)
    chosen = moderator.policy(name)
    verdicts = []
    if text is not None:
        verdicts.append(moderator.check_texts([text], policy=chosen, checkpoint=Checkpoint.REQUEST))
    for path in image or []:
        with Image.open(path) as picture:
            pixels = np.asarray(picture.convert("RGB"))
        verdicts.append(
            moderator.check_images(
                [pixels], policy=chosen, checkpoint=Checkpoint.INPUT, subject=path.name
            )
        )
    moderator.close()
    if not verdicts:
        raise typer.BadParameter("give a prompt or --image")
    blocked = False
    for verdict in verdicts:
        if verdict.blocked:
            blocked = True
            console.print(
                f"[red]blocked[/red] ({verdict.subject}, policy {name}): "
                f"{', '.join(verdict.categories)}  rules: {', '.join(verdict.rules)}"
            )
        else:
            note = " (classifier unavailable)" if verdict.unchecked else ""
            console.print(f"[green]allowed[/green] ({verdict.subject}, policy {name}){note}")
    raise typer.Exit(1 if blocked else 0)


def main() -> None:
    app()
