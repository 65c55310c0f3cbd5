"""Where things are stored: the blob key layout, in one place.

```
uploads/{job}/…                       inputs of a job (reference image, uploaded video, keyframes)
videos/{job}/{attempt}/{index}/…      one generation's video.mp4, video_low.mp4, thumbnails, sheet
characters/{character}/…              a character's clip and cut-out
```
"""

from __future__ import annotations

from reelbox.blobs.base import BlobStore


def uploads(job_id: str) -> str:
    return f"uploads/{job_id}"


def upload(job_id: str, name: str) -> str:
    return f"{uploads(job_id)}/{name}"


def attempt_media(job_id: str, attempt: int) -> str:
    return f"videos/{job_id}/{attempt}"


def generation_media(job_id: str, attempt: int, index: int) -> str:
    return f"{attempt_media(job_id, attempt)}/{index}"


def low_rendition(video_key: str) -> str:
    """The smaller rendition stored next to a video (Azure `quality=low`)."""
    return video_key.rsplit("/", 1)[0] + "/video_low.mp4"


def character(character_id: str, name: str) -> str:
    return f"characters/{character_id}/{name}"


def delete_job_media(blobs: BlobStore, job_id: str) -> None:
    """Remove every stored file of a job: its inputs and all its generations."""
    blobs.delete_prefix(f"videos/{job_id}")
    blobs.delete_prefix(uploads(job_id))
