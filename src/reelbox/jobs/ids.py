"""Id formats: an opaque prefix plus 48 hex characters, like OpenAI's `video_68d7…`.

The first 8 hex digits are the creation second, so ids sort roughly by time; the rest is random.
"""

from __future__ import annotations

import secrets
import time


def _new(prefix: str) -> str:
    return f"{prefix}_{int(time.time()):08x}{secrets.token_hex(20)}"


def new_video_id() -> str:
    return _new("video")


def new_task_id() -> str:
    """An Azure Sora 1 job id (`task_…`)."""
    return _new("task")


def new_generation_id() -> str:
    return _new("gen")


def new_character_id() -> str:
    return _new("char")


def new_event_id() -> str:
    return _new("evt")
