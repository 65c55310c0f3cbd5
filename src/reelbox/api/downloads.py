"""Serving stored media: Range, HEAD, ETag and Last-Modified from Starlette's FileResponse."""

from __future__ import annotations

from fastapi.responses import FileResponse, Response
from starlette.datastructures import Headers

from reelbox.api.deps import Services
from reelbox.api.object_downloads import ObjectResponse
from reelbox.blobs.base import BlobNotFound
from reelbox.blobs.object_store import ObjectBlobStore
from reelbox.errors import NotFound
from reelbox.jobs.models import Job
from reelbox.jobs.status import JobStatus


def ensure_downloadable(job: Job) -> None:
    """Content exists only for completed, unexpired jobs (D3)."""
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise NotFound(
            f"Video generation failed: {job.error_message or job.error_code}",
            code="video_failed",
        )
    if job.status is not JobStatus.COMPLETED:
        raise NotFound("Video is not ready yet.", code="video_not_ready")
    if job.assets_expired:
        raise NotFound(
            "The video has expired and its content is no longer available.",
            code="video_expired",
        )


def file_response(
    services: Services,
    key: str,
    *,
    media_type: str,
    request_headers: Headers,
    headers: dict[str, str] | None = None,
) -> Response:
    """A blob as a download: Range, HEAD, ETag and Last-Modified from Starlette's FileResponse,
    plus `If-None-Match` revalidation (304). Objects in an object store are streamed (or
    redirected to a signed URL) by `ObjectResponse`."""
    if isinstance(services.blobs, ObjectBlobStore):
        redirect = services.settings.download_redirect
        return ObjectResponse(
            services.blobs,
            key,
            media_type=media_type,
            request_headers=request_headers,
            headers=headers,
            redirect_seconds=services.settings.download_url_seconds if redirect else None,
        )
    try:
        path = services.blobs.local_path(key)
    except BlobNotFound:
        raise NotFound(
            "The video has expired and its content is no longer available.",
            code="video_expired",
        ) from None
    # Passing the stat result makes FileResponse set ETag and Last-Modified right away.
    response = FileResponse(path, media_type=media_type, headers=headers, stat_result=path.stat())
    etag = response.headers.get("etag")
    wanted = [t.strip() for t in request_headers.get("if-none-match", "").split(",")]
    if etag and (etag in wanted or "*" in wanted):
        return Response(status_code=304, headers={"etag": etag})
    return response
