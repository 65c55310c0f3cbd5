"""`x-request-id` on every response (the SDK exposes it as `request_id`).

The edge (api/edge.py) makes the id first thing and keeps it in the request's state
(`request.state.request_id`, `request_id_of(scope)`) so that error logs and the generic 500
message can name it; the edge is the outermost layer, so every answer carries the header, the
guards' refusals and the 500 of an unexpected error included.
"""

from __future__ import annotations

import secrets

from starlette.types import Scope

STATE_KEY = "request_id"


def request_id_of(scope: Scope) -> str:
    """The id the edge gave this request ("" outside it)."""
    state = scope.get("state")
    value = state.get(STATE_KEY, "") if isinstance(state, dict) else ""
    return str(value)


def new_request_id() -> str:
    return f"req_{secrets.token_hex(16)}"
