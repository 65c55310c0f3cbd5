"""The checks a new piece of work passes before anything is stored: the rate limit first, then
moderation (SORA_API.md B6, D9). Both may block (a database-backed limiter, an external
classifier, the audit log), so they run off the event loop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from anyio import to_thread

from reelbox.errors import ContentBlocked, Unavailable
from reelbox.moderation import categories as c
from reelbox.moderation.moderator import Moderator
from reelbox.moderation.verdict import Checkpoint, Verdict
from reelbox.store.moderation_log import ModerationLog, event_of


class Limiter(Protocol):
    def check(self, project: str) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Gate:
    limiter: Limiter
    moderator: Moderator
    moderation_log: ModerationLog

    async def admit(self, project: str) -> None:
        """Raise `RateLimited` when the project is over its request rate (the first check)."""
        await to_thread.run_sync(self.limiter.check, project)

    async def settle(
        self, verdict: Verdict, *, project: str, dialect: str, param: str | None
    ) -> None:
        """Audit the verdict if it needs it, then raise the answer for a block."""
        if verdict.needs_audit:
            event = event_of(verdict, project=project, dialect=dialect)
            await to_thread.run_sync(self.moderation_log.record, event)
        if c.UNCHECKED in verdict.categories:
            raise Unavailable(
                "The moderation service is unavailable; try again shortly.",
                retry_after=5,
                code="moderation_unavailable",
            )
        if verdict.blocked:
            raise ContentBlocked(verdict.message(), categories=verdict.categories, param=param)

    async def check_texts(
        self,
        texts: Sequence[str],
        *,
        project: str,
        dialect: str,
        param: str | None = "prompt",
        subject: str = "prompt",
    ) -> None:
        policy = self.moderator.policy_for(project)
        if not policy.enabled:
            return
        verdict = await self.moderator.acheck_texts(texts, policy=policy, subject=subject)
        await self.settle(verdict, project=project, dialect=dialect, param=param)

    def check_frames(self, frames: Sequence[np.ndarray], *, project: str) -> Verdict:
        """Faces and the classifier on a character clip's frames (call it in a thread)."""
        return self.moderator.check_images(
            frames,
            policy=self.moderator.policy_for(project),
            checkpoint=Checkpoint.INPUT,
            subject="character_clip",
        )

    def policy_name(self, project: str) -> str:
        return self.moderator.policy_for(project).name
