"""The request checkpoint on the HTTP side: which dialect a request speaks.

The checks themselves (prompts, character names and clips, before acceptance) belong to the
service's gate (`reelbox.service.gate`): a blocked request answers 400 `moderation_blocked`
(plus Azure's `inner_error` on `/openai/` paths) and stores nothing but an audit row; when a
fail-closed classifier cannot answer, the request answers 503 so clients retry.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Request


def dialect_of(request: Request) -> Literal["openai", "azure"]:
    return "azure" if request.url.path.startswith("/openai/") else "openai"
