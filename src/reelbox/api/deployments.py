"""Azure deployment names: configured names that serve a profile or alias (DECISIONS D7)."""

from __future__ import annotations

from dataclasses import replace

from reelbox.engines.catalog import Catalog, ResolvedModel
from reelbox.errors import NotFound


def deployment_not_found(name: str) -> NotFound:
    # The message Azure answers for an unknown deployment (SORA_API.md B7).
    return NotFound(
        f"The API deployment '{name}' for this resource does not exist. If you created the "
        "deployment within the last 5 minutes, please wait a moment and try again.",
        type="video_generation_user_error",
    )


def resolve_deployment(
    name: str, *, deployments: dict[str, str], catalog: Catalog
) -> ResolvedModel:
    """The model a deployment serves, named as the deployment (responses echo it)."""
    target = deployments.get(name)
    resolved = catalog.resolve(target) if target is not None else None
    if resolved is None:
        raise deployment_not_found(name)
    return replace(resolved, name=name)
