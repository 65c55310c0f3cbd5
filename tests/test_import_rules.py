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
