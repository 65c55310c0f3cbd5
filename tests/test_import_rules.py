"""Dependencies point one way (STYLE.md): the HTTP edge never imports engine implementations or
SQL tables, engines never import HTTP, the store or the scheduler, media knows nothing of jobs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "reelbox"

FORBIDDEN = {
    "api": (
        "reelbox.store.tables",
        "reelbox.executors",
        "reelbox.scheduler",
        "reelbox.engines.procedural",
        "reelbox.engines.fake",
        "sqlalchemy.orm",
    ),
    "engines": (
        "reelbox.api",
        "reelbox.store",
        "reelbox.scheduler",
        "reelbox.executors",
        "reelbox.blobs",
        "fastapi",
        "starlette",
        "sqlalchemy",
    ),
    "media": (
        "reelbox.api",
        "reelbox.store",
        "reelbox.jobs",
        "reelbox.scheduler",
        "reelbox.executors",
        "fastapi",
        "sqlalchemy",
    ),
    "jobs": (
        "reelbox.api",
        "reelbox.store",
        "reelbox.engines",
        "reelbox.media",
        "reelbox.executors",
        "reelbox.scheduler",
        "fastapi",
        "sqlalchemy",
    ),
    "store": (
        "reelbox.api",
        "reelbox.engines",
        "reelbox.media",
        "reelbox.executors",
        "reelbox.scheduler",
        "fastapi",
    ),
    "blobs": ("reelbox.api", "reelbox.store", "reelbox.engines", "reelbox.jobs"),
    "service": (
        "reelbox.api",
        "reelbox.store.tables",
        "reelbox.executors",
        "reelbox.scheduler",
        "fastapi",
        "starlette",
        "sqlalchemy.orm",
    ),
    "observability": (
        "reelbox.api",
        "reelbox.engines",
        "reelbox.executors",
        "reelbox.scheduler",
        "fastapi",
    ),
    "moderation": (
        "reelbox.api",
        "reelbox.store",
        "reelbox.engines",
        "reelbox.executors",
        "reelbox.scheduler",
        "reelbox.jobs",
        "fastapi",
        "starlette",
        "sqlalchemy",
    ),
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no modules in {layer}"
    offences = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in imports_of(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer])
    ]
    assert offences == []


def test_nothing_heavy_at_import_time() -> None:
    """Importing the app module must not import torch or diffusers (optional, lazy)."""
    import subprocess
    import sys

    code = (
        "import sys, reelbox.app, reelbox.cli; "
        "print(','.join(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# Every package and top-level module of Reelbox, with the Reelbox modules it may import (a name
# allows itself and everything below it); docs/architecture.md's table says the same in words.
# A package or module with no entry here fails `test_every_package_has_a_rule`.
EVERYTHING = ("reelbox",)
ALLOWED: dict[str, tuple[str, ...]] = {
    "jobs": (),
    "blobs": ("reelbox.disk",),
    "media": (),
    "studio": (),
    "settings": ("reelbox.blobs.object_store",),  # blob_url is checked when settings load
    "notify": ("reelbox.store.tables",),
    "errors": (),
    "disk": (),
    "cli_tables": (),
    "__init__": (),
    "moderation": ("reelbox.settings",),
    "store": (
        "reelbox.jobs",
        "reelbox.moderation.verdict",
        "reelbox.disk",
        "reelbox.errors",
        "reelbox.settings",
        "reelbox.notify.hub",
    ),
    "engines": ("reelbox.jobs.spec", "reelbox.jobs.timings", "reelbox.media"),
    "webhooks": (
        "reelbox.jobs",
        "reelbox.settings",
        "reelbox.store.outbox",
        "reelbox.store.webhook_endpoints",
        "reelbox.store.secret_box",
        "reelbox.observability.tracing",  # a span per delivery attempt
    ),
    "scheduler": (
        "reelbox.store",
        "reelbox.blobs",
        "reelbox.executors.base",
        "reelbox.notify",
        "reelbox.observability.logs",  # the job's fields on log lines
    ),
    "executors": (
        "reelbox.jobs",
        "reelbox.store",
        "reelbox.blobs",
        "reelbox.engines",
        "reelbox.media",
        "reelbox.moderation",
        "reelbox.settings",
        "reelbox.errors",
        "reelbox.observability.tracing",  # the jobs' spans, in the worker
        "reelbox.observability.logs",  # the job's fields on log lines
    ),
    # The one service behind create, cancel, delete and rework: below the HTTP edge.
    "service": (
        "reelbox.jobs",
        "reelbox.store.store",
        "reelbox.store.rows",
        "reelbox.store.moderation_log",
        "reelbox.store.quotas",
        "reelbox.blobs",
        "reelbox.engines.catalog",
        "reelbox.media",
        "reelbox.moderation",
        "reelbox.settings",
        "reelbox.errors",
        "reelbox.observability.logs",  # the job's fields on log lines
    ),
    "observability": (
        "reelbox.store.gauges",
        "reelbox.store.moderation_log",
        "reelbox.jobs.timings",
    ),
    # The checks the lifespan would fail on, run before it: weights, term files, Ray pools.
    "startup": (
        "reelbox.engines.registry",
        "reelbox.executors.ray_executor",
        "reelbox.moderation.moderator",
        "reelbox.settings",
    ),
    "cli_admin": EVERYTHING,
    "cli_jobs": EVERYTHING,
    "api": (
        "reelbox.jobs",
        "reelbox.store.store",
        "reelbox.store.rows",
        "reelbox.store.video_reads",
        "reelbox.store.outbox",
        "reelbox.store.webhook_endpoints",
        "reelbox.store.moderation_log",
        "reelbox.store.keys",
        "reelbox.store.quotas",
        "reelbox.store.usage",
        "reelbox.store.rate_limits",
        "reelbox.service",
        "reelbox.observability",
        "reelbox.notify",
        "reelbox.webhooks",
        "reelbox.moderation",
        "reelbox.blobs",
        "reelbox.engines.catalog",
        "reelbox.media",
        "reelbox.settings",
        "reelbox.errors",
    ),
    "app": EVERYTHING,
    "cli": EVERYTHING,
    "__main__": ("reelbox.cli",),
}


def _unit_files(unit: str) -> list[Path]:
    folder = PACKAGE / unit
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [PACKAGE / f"{unit}.py"]


def _units() -> set[str]:
    return {
        path.name if path.is_dir() else path.stem
        for path in PACKAGE.iterdir()
        if (path.is_dir() and (path / "__init__.py").exists()) or path.suffix == ".py"
    }


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def test_every_package_has_a_rule() -> None:
    assert sorted(_units() - set(ALLOWED)) == []
    assert sorted(set(ALLOWED) - _units()) == []


def _offences(unit: str, files: list[Path]) -> list[str]:
    own = (f"reelbox.{unit}",) if unit != "__init__" else ()
    return [
        f"{path.name} imports {name}"
        for path in files
        for name in sorted(imports_of(path))
        if _within(name, ("reelbox",))
        and name != "reelbox"
        and not _within(name, own)
        and not _within(name, ALLOWED[unit])
    ]


@pytest.mark.parametrize("unit", sorted(ALLOWED))
def test_reelbox_imports_are_allowed(unit: str) -> None:
    assert _offences(unit, _unit_files(unit)) == []


def test_the_rule_check_catches_a_violation(tmp_path: Path) -> None:
    """The check itself fails on an import outside the allow-list (media importing engines, as
    it once did) and lets the package's own modules through."""
    module = tmp_path / "bad.py"
    module.write_text("from reelbox.engines.base import Frame\nimport reelbox.media.frames\n")
    assert _offences("media", [module]) == ["bad.py imports reelbox.engines.base"]
