"""The orphan sweep: blobs that no row owns, in the local folder or an object store alike.

The expiry sweep walks rows, so it never sees files that no row accounts for: a run on a node
that died mid-upload, a replica killed between storing an upload and inserting its job, an
attempt taken over by another, or an operator's manual row delete. This sweep walks the blobs
instead and groups them by the prefix a row can own:

```
uploads/{job}                 owned while the job's media has not expired
videos/{job}/{attempt}        owned while that attempt runs, or if a generation came from it
characters/{character}        owned while the character exists
```

So an attempt older than its job's current one (its run died or was taken over) is removed, as
is every attempt of a job with no visible row. A prefix is removed only once its newest blob
is older than the grace period: an upload is written just before its job's row, and a running
attempt writes as it goes.

`kept(job_ids, character_ids)` answers which candidate prefixes rows still own (the store's
`kept_blob_prefixes`, one query per 500 ids); this module knows the key layout, not the rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from reelbox.blobs.base import BlobStore

log = logging.getLogger(__name__)

ROOTS = {"videos": 3, "uploads": 2, "characters": 2}  # root -> parts of an owned prefix

Kept = Callable[[list[str], list[str]], set[str]]


def orphaned_prefixes(blobs: BlobStore, *, kept: Kept, cutoff: float) -> list[str]:
    """The owned-prefix candidates whose newest blob is older than `cutoff` and that no row
    keeps, sorted."""
    newest: dict[str, float] = {}
    for root, depth in ROOTS.items():
        for blob in blobs.iter_blobs(root):
            parts = blob.key.split("/")
            if len(parts) <= depth:
                continue
            prefix = "/".join(parts[:depth])
            newest[prefix] = max(newest.get(prefix, 0.0), blob.modified)
    candidates = {p for p, modified in newest.items() if modified < cutoff}
    if not candidates:
        return []
    job_ids = sorted({p.split("/")[1] for p in candidates if not p.startswith("characters/")})
    character_ids = sorted({p.split("/")[1] for p in candidates if p.startswith("characters/")})
    return sorted(candidates - kept(job_ids, character_ids))


def sweep_orphans(blobs: BlobStore, *, kept: Kept, grace: float, now: float | None = None) -> int:
    """Delete orphaned prefixes untouched for `grace` seconds; returns how many prefixes."""
    cutoff = (time.time() if now is None else now) - grace
    doomed = orphaned_prefixes(blobs, kept=kept, cutoff=cutoff)
    for prefix in doomed:
        blobs.delete_prefix(prefix)
    if doomed:
        log.info("removed %d orphaned blob prefixes", len(doomed))
    return len(doomed)
