"""The request checkpoint: prompts (and character names and clips) checked before acceptance.

A blocked request answers 400 `moderation_blocked` (plus Azure's `inner_error` on `/openai/`
paths) and stores nothing but an audit row. When a fail-closed classifier cannot answer, the
request answers 503 so clients retry; a fail-open one lets it through and audits that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from reelbox.api.deps import Services
from reelbox.errors import ContentBlocked, Unavailable
from reelbox.moderation import categories as c
from reelbox.moderation.verdict import Checkpoint, Verdict
from reelbox.store.moderation_log import event_of


def dialect_of(request: Request) -> str:
    return "azure" if request.url.path.startswith("/openai/") else "openai"


async def settle(
    services: Services, verdict: Verdict, *, project: str, dialect: str, param: str | None
) -> None:
    """Audit the verdict if it needs it, then raise the answer for a block."""
    if verdict.needs_audit:
        await run_in_threadpool(
            services.moderation_log.record, event_of(verdict, project=project, dialect=dialect)
        )
    if c.UNCHECKED in verdict.categories:
        raise Unavailable(
            "The moderation service is unavailable; try again shortly.",
            retry_after=5,
            code="moderation_unavailable",
        )
    if verdict.blocked:
        raise ContentBlocked(verdict.message(), categories=verdict.categories, param=param)


async def check_prompt(
    services: Services,
    texts: Sequence[str],
    *,
    project: str,
    dialect: str,
    param: str | None = "prompt",
    subject: str = "prompt",
) -> None:
    moderator = services.moderator
    policy = moderator.policy_for(project)
    if not policy.enabled:
        return
    verdict = await moderator.acheck_texts(texts, policy=policy, subject=subject)
    await settle(services, verdict, project=project, dialect=dialect, param=param)


def check_character_frames(
    services: Services, frames: Sequence[np.ndarray], *, project: str
) -> Verdict:
    """Faces and the classifier on a character clip's frames (run in the threadpool)."""
    moderator = services.moderator
    return moderator.check_images(
        frames,
        policy=moderator.policy_for(project),
        checkpoint=Checkpoint.INPUT,
        subject="character_clip",
    )
