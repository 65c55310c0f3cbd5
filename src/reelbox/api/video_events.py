"""Live events of one video: `GET /v1/videos/{video_id}/events`, as Server-Sent Events.

A Reelbox extension (the studio uses it) that spares clients the polling. Each message carries
the Video object (A3) after a change: `event: video.<status>` when the status changed (and as
the first message), `video.progress` when only the progress moved. Streams wait on the
process's `EventHub` (reelbox/notify/), woken by PostgreSQL notifications or, on SQLite, by one
poller for all streams. The stream ends after a
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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from reelbox.api import validation as v
from reelbox.api.deps import ProjectDep, Services, ServicesDep
from reelbox.api.video_jobs import WIRE_STATUS, get_video, video_json, video_not_found
from reelbox.jobs.models import Job
from reelbox.notify.hub import EventHub, Watch
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
    services: Services,
    job_id: str,
    project: str,
    state: _State,
    *,
    seen: int | None,
    events: EventHub,
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    yield f"retry: {RECONNECT_MS}\n\n"
    if seen is None or state.id > seen:
        yield _message(state, status_changed=True)
    sent = state.key
    # The process's hub wakes this stream when its job changes (no polling per stream). The
    # first pass reads at once: a change may have landed before the watch was registered.
    with events.watch(job_id) as watch:
        async for changed in _changes(services, events, watch, project, state, loop.time):
            if changed is None:
                yield ": keep-alive\n\n"
                continue
            if changed.job is None:
                deleted = {"id": job_id, "object": "video.deleted", "deleted": True}
                yield f"event: video.deleted\ndata: {json.dumps(deleted)}\n\n"
                return
            if changed.key != sent:
                status_changed = sent is None or sent[0] != WIRE_STATUS[changed.job.status]
                yield _message(changed, status_changed=status_changed)
                sent = changed.key


async def _changes(
    services: Services,
    events: EventHub,
    watch: Watch,
    project: str,
    state: _State,
    clock: Callable[[], float],
) -> AsyncIterator[_State | None]:
    """The job's state after each change (None: time for a keep-alive), until it ends."""
    keepalive = services.settings.events_keepalive_seconds
    last_write = clock()
    first = True
    while state.job is not None and not state.job.status.terminal:
        if not first and not await watch.wait(max(0.0, keepalive - (clock() - last_write))):
            last_write = clock()
            yield None
            continue
        first = False
        before = state.key
        # Streams of the same job woken by the same change share one read.
        after = state.last_event
        key = (watch.job_id, project, after, events.version(watch.job_id))
        read = partial(run_in_threadpool, _read, services.store, watch.job_id, project, after)
        state = await events.shared(key, read)
        if state.key != before or state.job is None:
            last_write = clock()
        yield state


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
        _stream(services, job.id, project, state, seen=seen, events=request.state.events),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
