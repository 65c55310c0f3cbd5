"""Serving media from an object store: Range, HEAD, ETag and revalidation, or a redirect.

The local store's downloads use Starlette's `FileResponse`; an object store has no local file,
so this response streams the wanted bytes from the store instead, with the same headers
(`accept-ranges`, `content-range`, `etag`, `last-modified`) and answers (206, 304, 416). With
`download_redirect` it answers every content request with a 302 to a short-lived signed URL,
so the replica carries no video bytes at all.

The object is looked up when the response is sent, not when it is built, so the handler stays
synchronous; a missing object still becomes the API's 404 because nothing has been sent yet.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email.utils import formatdate

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from reelbox.blobs.base import BlobNotFound
from reelbox.blobs.object_store import ObjectBlobStore, ObjectInfo
from reelbox.errors import NotFound


def parse_range(value: str, size: int) -> tuple[int, int] | None:
    """One `bytes=` range as (start, end exclusive); None for a header to ignore.

    Raises ValueError for a range that cannot be satisfied (416). Several ranges are answered
    with the whole object, which RFC 9110 allows.
    """
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", value.strip().lower())
    if match is None or match[1] == match[2] == "":
        return None
    if match[1] == "":
        suffix = int(match[2])
        if suffix == 0:
            raise ValueError("an empty suffix range")
        return max(0, size - suffix), size
    start = int(match[1])
    if match[2] != "" and int(match[2]) < start:
        return None  # invalid: ignored, the whole object is sent
    if start >= size:
        raise ValueError("range not satisfiable")
    return start, size if match[2] == "" else min(int(match[2]) + 1, size)


class ObjectResponse(Response):
    """A download of one object, decided when it is sent."""

    def __init__(
        self,
        blobs: ObjectBlobStore,
        key: str,
        *,
        media_type: str,
        request_headers: Headers,
        headers: dict[str, str] | None = None,
        redirect_seconds: float | None = None,
    ) -> None:
        super().__init__(status_code=200, headers=headers, media_type=media_type)
        self.blobs = blobs
        self.key = key
        self.request_headers = request_headers
        self.extra_headers = dict(headers or {})
        self.redirect_seconds = redirect_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._decide(head_only=scope.get("method", "GET").upper() == "HEAD")
        await response(scope, receive, send)

    async def _decide(self, *, head_only: bool) -> Response:
        try:
            info = await self.blobs.head_async(self.key)
        except BlobNotFound:
            raise NotFound(
                "The video has expired and its content is no longer available.",
                code="video_expired",
            ) from None
        if self.redirect_seconds is not None:
            url = await self.blobs.signed_url(self.key, expires_in=self.redirect_seconds)
            return RedirectResponse(url, status_code=302, headers={"cache-control": "no-store"})
        headers = {
            **self.extra_headers,
            "accept-ranges": "bytes",
            "etag": info.etag,
            "last-modified": formatdate(info.modified, usegmt=True),
        }
        wanted = [t.strip() for t in self.request_headers.get("if-none-match", "").split(",")]
        if info.etag in wanted or "*" in wanted:
            return Response(status_code=304, headers={"etag": info.etag})
        start, end, status = 0, info.size, 200
        range_header = self.request_headers.get("range")
        if_range = self.request_headers.get("if-range")
        if range_header and (if_range is None or if_range.strip() == info.etag):
            try:
                wanted_range = parse_range(range_header, info.size)
            except ValueError:
                return Response(
                    status_code=416, headers={**headers, "content-range": f"bytes */{info.size}"}
                )
            if wanted_range is not None:
                start, end = wanted_range
                status = 206
                headers["content-range"] = f"bytes {start}-{end - 1}/{info.size}"
        headers["content-length"] = str(end - start)
        if head_only or end == start:
            return Response(status_code=status, headers=headers, media_type=self.media_type)
        return StreamingResponse(
            self._body(info, start, end),
            status_code=status,
            headers=headers,
            media_type=self.media_type,
        )

    async def _body(self, info: ObjectInfo, start: int, end: int) -> AsyncIterator[bytes]:
        async for chunk in self.blobs.open_range(info.key, start=start, end=end):
            yield chunk
