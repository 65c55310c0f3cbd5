"""The baseline for `benchmarks/api.py`: a bare Starlette app with one constant JSON route.

It is served exactly as `reelbox serve` serves Reelbox (`uvicorn.run` with the default loop and
HTTP implementation, one process, the same graceful-shutdown timeout), so the difference between
this endpoint and `GET /v1/videos/{id}` is what Reelbox itself adds: FastAPI routing and
dependencies, the request-id middleware, the threadpool hop, the database read, row mapping and
building the Video object.

    python benchmarks/bare_app.py --port 8123
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# A completed Video object as Reelbox returns it (all 13 keys, explicit nulls): the same shape
# and about the same size (~360 bytes) as the retrieve responses the benchmark compares against.
# It is serialised on every request, as Reelbox does with its own Video objects.
VIDEO: dict[str, Any] = {
    "id": "video_0123456789abcdef0123456789abcdef",
    "object": "video",
    "model": "fake",
    "status": "completed",
    "progress": 100,
    "created_at": 1795000000,
    "completed_at": 1795000001,
    "expires_at": 1795086401,
    "prompt": "benchmark clip 00: a red ball bouncing across a wooden floor",
    "size": "64x64",
    "seconds": "1",
    "remixed_from_video_id": None,
    "error": None,
}


async def video(request: Request) -> Response:
    return JSONResponse(VIDEO)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/video", video), Route("/healthz", healthz)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    # The same call `reelbox serve` makes (src/reelbox/cli.py), on this app instead.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
