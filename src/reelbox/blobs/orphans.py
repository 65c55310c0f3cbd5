"""The orphan sweep of an object store: objects that no job row accounts for.

A run on a node that died mid-upload, a replica killed between storing an upload and inserting
its job, or an operator's manual row delete leave objects that the expiry sweep never sees
(it walks rows, not objects). This sweep walks the objects instead: under `videos/{job}/…` and
`uploads/{job}/…`, an object whose job is not visible any more, or that belongs to an attempt
older than the job's current one, is deleted once it is older than `grace` seconds (so an
upload racing its job's insert is left alone).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from reelbox.blobs.object_store import ObjectBlobStore

ROOTS = ("videos", "uploads")


def sweep_orphans(
    blobs: ObjectBlobStore,
    *,
    current_attempt: Callable[[str], int | None],
    grace: float = 3600,
    now: float | None = None,
) -> int:
    """Delete orphaned objects; returns how many. `current_attempt(job_id)` is the job's
    attempt, or None when no visible job has that id."""
    cutoff = (time.time() if now is None else now) - grace
    attempts: dict[str, int | None] = {}
    doomed: list[str] = []
    for root in ROOTS:
        for info in blobs.keys(root):
            if info.modified > cutoff:
                continue
            parts = info.key.split("/")
            if len(parts) < 3:
                continue
            job_id = parts[1]
            if job_id not in attempts:
                attempts[job_id] = current_attempt(job_id)
            attempt = attempts[job_id]
            if attempt is None or (root == "videos" and _older(parts[2], attempt)):
                doomed.append(info.key)
    _delete(blobs, doomed)
    return len(doomed)


def _older(segment: str, attempt: int) -> bool:
    return segment.isdigit() and int(segment) < attempt


def _delete(blobs: ObjectBlobStore, keys: Iterable[str]) -> None:
    for key in keys:
        blobs.delete(key)
