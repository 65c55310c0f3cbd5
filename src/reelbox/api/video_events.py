"""Live events of one video: `GET /v1/videos/{video_id}/events`, as Server-Sent Events.

A Reelbox extension (the studio uses it) that spares clients the polling. Each message carries
the Video object (A3) after a change: `event: video.<status>` when the status changed (and as
the first message), `video.progress` when only the progress moved. The stream ends after a
terminal state; a comment (`: keep-alive`) goes out when nothing else has for a while, so idle
proxies keep the connection open.

Message ids only grow: `id = latest job_events id * 1000 + progress`, because every status change
writes an event row and progress never goes backwards (D3). A client reconnecting with
`Last-Event-ID` gets the current state at once if it is newer than what it saw, then the changes
after it; a finished video whose end the client already saw answers 204, which tells an
`EventSource` to stop reconnecting.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from reelbox.api import validation as v
from reelbox.api.deps import ProjectDep, Services, ServicesDep
from reelbox.api.video_jobs import WIRE_STATUS, get_video, video_json, video_not_found
from reelbox.jobs.models import Job
from reelbox.store.store import Store

router = APIRouter()

RECONNECT_MS = 1000
_EVENTS_PAGE = 1000


@dataclass(frozen=True)
class _State:
    job: Job | None  # None once the video is deleted
    last_event: int  # the newest job_events id seen

    @property
    def id(self) -> int:
        return self.last_event * 1000 + (self.job.progress if self.job else 0)

    @property
    def key(self) -> tuple[str, int] | None:
        return None if self.job is None else (WIRE_STATUS[self.job.status], self.job.progress)


def _read(store: Store, job_id: str, project: str, after: int) -> _State:
    # The job first, then its events: a status change seen in the job row is then always
    # matched by its (same-transaction) event row, so the id grows with every change.
    job = store.get_job(job_id, project=project)
    last = after
    while True:
        events = store.events(job_id, after=last, limit=_EVENTS_PAGE)
        if events:
            last = events[-1].id
        if len(events) < _EVENTS_PAGE:
            return _State(job=job, last_event=last)


def _last_event_id(value: str | None) -> int | None:
    """The id a reconnecting client saw; anything but plain ASCII digits counts as none."""
    return None if value is None else v.ascii_int(value.strip(), max_digits=18)


def _message(state: _State, *, status_changed: bool) -> str:
    assert state.job is not None
    video = video_json(state.job)
    name = f"video.{video['status']}" if status_changed else "video.progress"
    return f"id: {state.id}\nevent: {name}\ndata: {json.dumps(video)}\n\n"


async def _stream(
    services: Services, job_id: str, project: str, state: _State, *, seen: int | None
) -> AsyncIterator[str]:
    settings = services.settings
    loop = asyncio.get_running_loop()
    yield f"retry: {RECONNECT_MS}\n\n"
    if seen is None or state.id > seen:
        yield _message(state, status_changed=True)
    sent = state.key
    last_write = loop.time()
    while state.job is not None and not state.job.status.terminal:
        await asyncio.sleep(settings.events_poll_interval_seconds)
        state = await run_in_threadpool(_read, services.store, job_id, project, state.last_event)
        if state.job is None:
            deleted = {"id": job_id, "object": "video.deleted", "deleted": True}
            yield f"event: video.deleted\ndata: {json.dumps(deleted)}\n\n"
            return
        if state.key != sent:
            status_changed = sent is None or sent[0] != WIRE_STATUS[state.job.status]
            yield _message(state, status_changed=status_changed)
            sent = state.key
            last_write = loop.time()
        elif loop.time() - last_write >= settings.events_keepalive_seconds:
            yield ": keep-alive\n\n"
            last_write = loop.time()


@router.get("/videos/{video_id}/events")
async def video_events(
    video_id: str, request: Request, services: ServicesDep, project: ProjectDep
) -> Response:
    job = await get_video(services, video_id, project)  # 404 for unknown and others' videos
    seen = _last_event_id(request.headers.get("last-event-id"))
    state = await run_in_threadpool(_read, services.store, job.id, project, 0)
    if state.job is None:
        raise video_not_found(video_id)
    if state.job.status.terminal and seen is not None and state.id <= seen:
        return Response(status_code=204)
    return StreamingResponse(
        _stream(services, job.id, project, state, seen=seen),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
