"""Moderation inside a job: the pipeline's input and output checkpoints for one job.

The pipeline calls `inputs` once the job's inputs are decoded (before the engine starts) and
`output` once a variant is encoded but before any of its files are stored, so blocked media is
never kept: the pipeline removes its staged files when `ModerationBlocked` passes through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from reelbox.engines.base import GenerationInputs
from reelbox.jobs.spec import GenerationSpec
from reelbox.media.decode import sample_frames
from reelbox.moderation.moderator import Moderator, evenly
from reelbox.moderation.policy import Policy
from reelbox.moderation.verdict import Checkpoint, ModerationBlocked, Verdict

UPLOADS = "uploads/"


class JobReview:
    def __init__(
        self,
        moderator: Moderator,
        *,
        policy: Policy,
        on_unchecked: Callable[[Verdict], None],
    ) -> None:
        self.moderator = moderator
        self.policy = policy
        self.on_unchecked = on_unchecked

    def inputs(self, spec: GenerationSpec, inputs: GenerationInputs) -> None:
        """Reference images, keyframes and uploaded videos; characters were checked on upload
        and source videos made here were checked as outputs."""
        if not self.policy.enabled:
            return
        checks: list[tuple[str, list[np.ndarray]]] = []
        if inputs.reference_image is not None:
            checks.append(("reference_image", [inputs.reference_image]))
        if inputs.keyframes:
            checks.append(("keyframes", [k.image for k in inputs.keyframes]))
        source = inputs.source_video
        if source is not None and (spec.source_video_key or "").startswith(UPLOADS):
            count = self.moderator.settings.input_video_frames
            checks.append(("input_video", sample_frames(source.path, count)))
        for subject, images in checks:
            self._settle(
                self.moderator.check_images(
                    images, policy=self.policy, checkpoint=Checkpoint.INPUT, subject=subject
                )
            )

    def output(
        self, spec: GenerationSpec, *, frames: Sequence[np.ndarray], plan: dict[str, Any]
    ) -> None:
        """Frames spread over the output, and the texts of the plan the engine derived (which
        carry, for example, the words it speaks)."""
        if not self.policy.enabled:
            return
        count = self.moderator.settings.output_frames
        self._settle(
            self.moderator.check_images(
                evenly(frames, count),
                policy=self.policy,
                checkpoint=Checkpoint.OUTPUT,
                subject="output",
                texts=plan_texts(plan),
            )
        )

    def _settle(self, verdict: Verdict) -> None:
        if verdict.blocked:
            raise ModerationBlocked(verdict)
        if verdict.unchecked:
            self.on_unchecked(verdict)


def plan_texts(plan: object) -> list[str]:
    """Every string in a plan, each checked on its own (words of one field never pair with
    words of another)."""
    found: list[str] = []
    stack = [plan]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item.strip():
                found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found
