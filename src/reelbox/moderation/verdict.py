"""What a moderation check answers, and the exception that carries a block."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from reelbox.moderation import categories as c

BLOCKED_MESSAGE = "Your request was blocked by our moderation system."


class Checkpoint(enum.StrEnum):
    """Where a check ran: the request at create time, decoded inputs, or the finished output."""

    REQUEST = "request"
    INPUT = "input"
    OUTPUT = "output"


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The outcome of one check.

    `categories` are the blocked ones (already filtered through the policy); empty means allowed.
    `unchecked` says the external classifier could not answer: with a fail-open setting the
    check still allows, and the event is audited. `rules` name what fired, for the audit log only.
    """

    checkpoint: Checkpoint
    subject: str  # what was checked: prompt, reference_image, input_video, output_frames, ...
    policy: str
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # terms, faces, classifier
    rules: tuple[str, ...] = ()
    unchecked: bool = False
    input_sha256: str = ""

    @property
    def blocked(self) -> bool:
        return bool(self.categories)

    @property
    def needs_audit(self) -> bool:
        return self.blocked or self.unchecked

    def message(self) -> str:
        """What the user is told: the observed Sora sentence plus the categories in words.

        Never the text or image that matched.
        """
        if not self.categories:
            return BLOCKED_MESSAGE
        described = ", ".join(dict.fromkeys(c.describe(name) for name in self.categories))
        where = {
            Checkpoint.REQUEST: "The request",
            Checkpoint.INPUT: "An input",
            Checkpoint.OUTPUT: "The generated video",
        }[self.checkpoint]
        return f"{BLOCKED_MESSAGE} {where} appears to contain {described}."


class ModerationBlocked(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message())
        self.verdict = verdict


def sha256_of(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()
