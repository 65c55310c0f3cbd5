"""The webhooks package sits beside the scheduler: it reads the store and speaks HTTP as a
client, but knows nothing of the API, engines, workers or media (STYLE.md rule 3)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "reelbox"
FORBIDDEN = (
    "reelbox.api",
    "reelbox.engines",
    "reelbox.executors",
    "reelbox.scheduler",
    "reelbox.media",
    "reelbox.blobs",
    "fastapi",
    "starlette",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_webhooks_import_only_what_they_own_or_sit_on() -> None:
    files = sorted((PACKAGE / "webhooks").rglob("*.py"))
    assert files
    offences = [
        f"{path.name} imports {name}"
        for path in files
        for name in _imports(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]
    assert offences == []


def test_the_store_does_not_import_webhooks() -> None:
    for path in sorted((PACKAGE / "store").rglob("*.py")):
        assert not any(n.startswith("reelbox.webhooks") for n in _imports(path)), path.name
