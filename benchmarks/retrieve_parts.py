"""CPU cost of each piece of `GET /v1/videos/{id}`, called in-process on one thread.

    python benchmarks/retrieve_parts.py [--iterations N]

Creates finished videos with a real `reelbox serve` (fake engine, plus one `sora-2` video from
the embedded procedural engine, whose row carries a render plan), stops it, then times the pieces
of the retrieve path against that database with `time.thread_time` (CPU time of this thread, so
other load on the machine matters less): SQLAlchemy's connection checkout, the BEGIN hook, the
statement build and execution, row mapping, `video_json`, JSON rendering, and plain sqlite3 for
comparison. Prints microseconds per call (median of 5 repeats).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
from ladder_app import RawReader, video_json
from sqlalchemy import bindparam, select
from starlette.responses import JSONResponse

from api import (
    FAKE_MODEL,
    SETTINGS_TOML,
    BenchmarkError,
    ServerProcess,
    free_port,
    setup_videos,
    wait_finished,
)
from reelbox.jobs.spec import GenerationSpec
from reelbox.store.database import connect
from reelbox.store.store import Store
from reelbox.store.tables import jobs


def per_call_us(func: Callable[[], object], iterations: int, repeats: int = 5) -> float:
    """Median over `repeats` of the CPU microseconds per call of `func`."""
    results = []
    for _ in range(repeats):
        began = time.thread_time()
        for _ in range(iterations):
            func()
        results.append((time.thread_time() - began) * 1e6 / iterations)
    return statistics.median(results)


def make_database(tmp: Path, videos: int) -> tuple[Path, list[str], str]:
    """A data dir with `videos` finished fake videos and one finished sora-2 video."""
    config = tmp / "reelbox.toml"
    config.write_text(SETTINGS_TOML)
    port = free_port()
    data_dir = tmp / "data"
    server = ServerProcess(
        "reelbox serve",
        [
            sys.executable,
            "-m",
            "reelbox",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--config",
            str(config),
            "--log-level",
            "warning",
        ],
        port=port,
        log_path=tmp / "reelbox.log",
    )
    try:
        server.start("/readyz")
        with httpx.Client(base_url=server.url, timeout=30) as client:
            ids = setup_videos(client, videos, server.check_alive)
            response = client.post(
                "/v1/videos",
                json={"model": "sora-2", "prompt": "a red car in the desert", "seconds": "4"},
            )
            if response.status_code != 200:
                raise BenchmarkError(f"sora-2 create: {response.status_code} {response.text}")
            procedural = response.json()["id"]
            wait_finished(client, procedural, interval=0.1, timeout=600, alive=server.check_alive)
    finally:
        server.stop()
    return data_dir / "reelbox.db", ids, procedural


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--videos", type=int, default=10)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="reelbox-parts-"))
    try:
        db, ids, procedural = make_database(tmp, args.videos)
        engine = connect(f"sqlite:///{db}")
        store = Store(engine)
        raw = RawReader(db)
        project = "default"
        fake_id = ids[0]
        sizes = {}
        with contextlib.closing(sqlite3.connect(db)) as conn:
            for label, video_id in ((FAKE_MODEL, fake_id), ("sora-2", procedural)):
                row = conn.execute(
                    "SELECT length(spec), length(coalesce(plan, '')), length(extra) FROM jobs "
                    "WHERE id = ?",
                    (video_id,),
                ).fetchone()
                sizes[label] = row
        job = store.get_job(fake_id, project=project)
        if job is None:
            raise BenchmarkError("the fake video is missing")
        video = video_json(job)
        spec_json = job.spec.to_json()

        def sqlalchemy_rows(video_id: str) -> Callable[[], object]:
            def run() -> object:
                query = select(jobs).where(
                    jobs.c.id == video_id, jobs.c.deleted_at.is_(None), jobs.c.project == project
                )
                with engine.connect() as conn:
                    return conn.execute(query).mappings().one_or_none()

            return run

        prebuilt = select(jobs).where(
            jobs.c.id == bindparam("id"), jobs.c.deleted_at.is_(None), jobs.c.project == project
        )
        long_lived = engine.connect()

        def prebuilt_long_lived() -> object:
            row = long_lived.execute(prebuilt, {"id": fake_id}).mappings().one_or_none()
            long_lived.rollback()
            return row

        def checkout_only() -> None:
            with engine.connect():
                pass

        def checkout_begin() -> None:
            with engine.connect() as conn:
                conn.begin()

        def build_statement() -> object:
            return select(jobs).where(
                jobs.c.id == fake_id, jobs.c.deleted_at.is_(None), jobs.c.project == project
            )

        raw_conn = sqlite3.connect(db, isolation_level=None)

        def raw_select_star() -> object:
            cursor = raw_conn.execute("SELECT * FROM jobs WHERE id = ?", (fake_id,))
            row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
            for column in ("spec", "plan", "extra"):
                row[column] = json.loads(row[column] or "null")
            return row

        n = args.iterations
        cases: list[tuple[str, Callable[[], object]]] = [
            ("Store.get_job (fake-engine video)", lambda: store.get_job(fake_id, project=project)),
            (
                "Store.get_job (sora-2 video, with render plan)",
                lambda: store.get_job(procedural, project=project),
            ),
            ("  engine.connect() + close (pool checkout/return)", checkout_only),
            ("  engine.connect() + BEGIN hook + close (ROLLBACK)", checkout_begin),
            ("  build select(jobs).where(...)", build_statement),
            ("  connect + execute + fetch RowMapping (no Job)", sqlalchemy_rows(fake_id)),
            ("  same for the sora-2 row (JSON plan decoded)", sqlalchemy_rows(procedural)),
            ("  GenerationSpec.from_json", lambda: GenerationSpec.from_json(spec_json)),
            ("SQLAlchemy: prebuilt statement, long-lived connection", prebuilt_long_lived),
            ("video_json(job)", lambda: video_json(job)),
            ("JSONResponse(video) (json.dumps + headers)", lambda: JSONResponse(video)),
            (
                "plain sqlite3: the 15 needed columns -> Video dict",
                lambda: raw.video(fake_id, project),
            ),
            ("plain sqlite3: SELECT * + json.loads of 3 JSON columns", raw_select_star),
        ]
        print(f"CPU time per call, one thread, median of 5 x {n} calls")
        print(f"  JSON column sizes (spec, plan, extra) in bytes: {sizes}")
        for label, func in cases:
            func()  # warm caches
            print(f"  {per_call_us(func, n):8.1f} us  {label}")
        long_lived.close()
        raw_conn.close()
        engine.dispose()
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
