"""The polling fast path: a plain `GET /v1/videos/{id}` or `GET /v1/videos`, answered at the edge.

Clients poll these two routes every few hundred milliseconds, so most of a busy server's
requests are polls. Routed, a poll passes FastAPI's router, its exception middleware, the
route's request/response wrapper and the solving of its two dependencies before the route's own
work (the caller's key, one read, the JSON), and these cost about as much CPU as that work
(docs/benchmarks.md). The edge (api/edge.py) therefore offers each body-less request here first,
after its guards. A poll that succeeds is answered with the same calls the routes make
(`deps.get_caller`, `video_jobs.retrieve_row` / `openai_videos.video_page`, `video_response`),
so its answer is the route's, byte for byte. Anything else — a missing or unknown key, an
unknown video, a bad query, a storage fault, another path or method — goes on to the app, whose
routes and error handlers answer it exactly as before (at the price of one repeated key check
or read, never a different answer). The metrics record a fast poll under its route's
template, like a routed one.

Traced servers (`otel_endpoint`) skip the fast path: every request gets its span.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from reelbox.api.deps import Services, get_caller
from reelbox.api.openai_videos import video_page
from reelbox.api.video_jobs import retrieve_row, video_response

LIST = "/v1/videos"
RETRIEVE = "/v1/videos/{video_id}"
_PREFIX = LIST + "/"


async def answer(scope: Scope, receive: Receive, send: Send) -> str | None:
    """Answer a successful poll: the route template it answered, or None (not answered)."""
    if scope["method"] != "GET" or scope.get("root_path"):
        return None
    path: str = scope["path"]
    if path == LIST:
        route = LIST
    elif path.startswith(_PREFIX) and "/" not in path[len(_PREFIX) :] and len(path) > len(_PREFIX):
        if scope.get("query_string"):
            return None
        route = RETRIEVE
    else:
        return None
    state = scope.get("state")
    services: Services | None = state.get("services") if isinstance(state, dict) else None
    if services is None:
        return None
    request = Request(scope, receive)
    try:
        project = (await get_caller(request)).project
        if route == LIST:
            response = await video_page(
                services, project, QueryParams(scope.get("query_string", b""))
            )
        else:
            row = await retrieve_row(services, path[len(_PREFIX) :], project)
            response = video_response(row, services)
    except Exception:  # the route raises it again, through the app's error handlers: the
        return None  # answer is the routed one (an error of the right dialect and shape)
    await response(scope, receive, send)
    return route
