"""The read side of the store: lookups and pages of jobs, generations, events and characters.

`Store` inherits these; nothing here writes. Reads run in a plain connection (on SQLite a
`BEGIN`, so a read sees one consistent snapshot).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Select, and_, func, or_, select
from sqlalchemy.engine import RowMapping

from reelbox.jobs.models import Character, Generation, Job, JobEvent
from reelbox.jobs.status import JobStatus
from reelbox.store.rows import (
    Page,
    character_from_row,
    event_from_row,
    generation_from_row,
    job_from_row,
)
from reelbox.store.tables import characters, generations, job_events, jobs
from reelbox.store.video_reads import WIRE_COLUMNS, VideoRow, video_row


class JobQueries:
    """Queries over `engine`; `Store` builds it and adds every write."""

    engine: Engine
    _clock: Any

    def now(self) -> float:
        return float(self._clock())

    def events(self, job_id: str, *, after: int = 0, limit: int = 1000) -> list[JobEvent]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(job_events)
                .where(job_events.c.job_id == job_id, job_events.c.id > after)
                .order_by(job_events.c.id)
                .limit(limit)
            ).mappings()
            return [event_from_row(r) for r in rows]

    def get_job(self, job_id: str, *, project: str | None = None) -> Job | None:
        """A visible (not deleted) job; with `project`, only if it belongs to that project."""
        query = select(jobs).where(jobs.c.id == job_id, jobs.c.deleted_at.is_(None))
        if project is not None:
            query = query.where(jobs.c.project == project)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().one_or_none()
        return None if row is None else job_from_row(row)

    def list_jobs(
        self,
        *,
        project: str,
        dialect: str,
        limit: int,
        order: str = "desc",
        after: str | None = None,
        before: str | None = None,
        statuses: Sequence[JobStatus] | None = None,
    ) -> Page:
        """A page of a project's jobs ordered by creation time.

        `after` continues past the job with that id in the chosen order; `before` pages the other
        way. A cursor id that does not exist (or belongs to someone else) yields an empty page.
        """
        rows, has_more = self._page(
            select(jobs),
            project=project,
            dialect=dialect,
            limit=limit,
            order=order,
            after=after,
            before=before,
            statuses=statuses,
        )
        return Page(items=[job_from_row(r) for r in rows], has_more=has_more)

    def list_videos(
        self, *, project: str, dialect: str, limit: int, order: str = "desc", after: str | None
    ) -> tuple[list[VideoRow], bool]:
        """Like `list_jobs`, reading only the Video's columns (no JSON to decode)."""
        rows, has_more = self._page(
            select(*(jobs.c[name] for name in WIRE_COLUMNS)),
            project=project,
            dialect=dialect,
            limit=limit,
            order=order,
            after=after,
        )
        return [video_row(tuple(r[name] for name in WIRE_COLUMNS)) for r in rows], has_more

    def _page(
        self,
        query: Select[Any],
        *,
        project: str,
        dialect: str,
        limit: int,
        order: str,
        after: str | None = None,
        before: str | None = None,
        statuses: Sequence[JobStatus] | None = None,
    ) -> tuple[Sequence[RowMapping], bool]:
        descending = order == "desc"
        key = (jobs.c.created_at, jobs.c.id)
        query = query.where(
            jobs.c.project == project, jobs.c.dialect == dialect, jobs.c.deleted_at.is_(None)
        )
        if statuses:
            query = query.where(jobs.c.status.in_([s.value for s in statuses]))
        with self.engine.connect() as conn:
            for cursor, forward in ((after, True), (before, False)):
                if cursor is None:
                    continue
                anchor = conn.execute(
                    select(jobs.c.created_at, jobs.c.id).where(
                        jobs.c.id == cursor, jobs.c.project == project
                    )
                ).one_or_none()
                if anchor is None:
                    return [], False
                later = or_(key[0] > anchor[0], and_(key[0] == anchor[0], key[1] > anchor[1]))
                earlier = or_(key[0] < anchor[0], and_(key[0] == anchor[0], key[1] < anchor[1]))
                query = query.where(later if forward != descending else earlier)
            # Paging backwards (`before`) reads the nearest items first, then restores the order.
            backwards = before is not None and after is None
            newest_first = descending != backwards
            if newest_first:
                query = query.order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
            else:
                query = query.order_by(jobs.c.created_at.asc(), jobs.c.id.asc())
            rows = conn.execute(query.limit(limit + 1)).mappings().all()
        page = list(rows[:limit])
        if backwards:
            page.reverse()
        return page, len(rows) > limit

    def count_jobs(self, *, project: str, status: JobStatus) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(jobs)
                    .where(jobs.c.project == project, jobs.c.status == status.value)
                ).scalar_one()
            )

    def running_jobs(self, *, expired_only: bool) -> list[Job]:
        """Jobs in progress; with `expired_only`, those whose lease has run out."""
        query = select(jobs).where(jobs.c.status == JobStatus.IN_PROGRESS.value)
        if expired_only:
            query = query.where(jobs.c.lease_expires_at < self.now())
        with self.engine.connect() as conn:
            return [job_from_row(r) for r in conn.execute(query).mappings()]

    def generations(self, job_id: str) -> list[Generation]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(generations)
                .where(generations.c.job_id == job_id)
                .order_by(generations.c.index)
            ).mappings()
            return [generation_from_row(r) for r in rows]

    def get_generation(self, generation_id: str, *, project: str) -> tuple[Job, Generation] | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(generations)
                    .join(jobs, jobs.c.id == generations.c.job_id)
                    .where(
                        generations.c.id == generation_id,
                        jobs.c.project == project,
                        jobs.c.deleted_at.is_(None),
                    )
                )
                .mappings()
                .one_or_none()
            )
        if row is None:
            return None
        job = self.get_job(row["job_id"], project=project)
        return None if job is None else (job, generation_from_row(row))

    def due_for_expiry(self, *, limit: int = 100) -> list[Job]:
        """Completed jobs past `expires_at` whose assets are still stored."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs)
                .where(
                    jobs.c.expires_at < self.now(),
                    jobs.c.assets_expired.is_(False),
                )
                .limit(limit)
            ).mappings()
            return [job_from_row(r) for r in rows]

    def deleted_with_assets(self, *, limit: int = 100) -> list[Job]:
        """Deleted jobs whose media may still be on disk (purged by the sweeper)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs)
                .where(
                    jobs.c.deleted_at.is_not(None),
                    jobs.c.assets_expired.is_(False),
                    jobs.c.status.in_(
                        [
                            JobStatus.COMPLETED.value,
                            JobStatus.FAILED.value,
                            JobStatus.CANCELLED.value,
                        ]
                    ),
                )
                .limit(limit)
            ).mappings()
            return [job_from_row(r) for r in rows]

    def get_character(self, character_id: str, *, project: str) -> Character | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(characters).where(
                        characters.c.id == character_id, characters.c.project == project
                    )
                )
                .mappings()
                .one_or_none()
            )
        return None if row is None else character_from_row(row)

    def kept_blob_prefixes(
        self, *, job_ids: Sequence[str], character_ids: Sequence[str]
    ) -> set[str]:
        """The blob prefixes of these jobs and characters that rows still own (the orphan
        sweep removes the rest): a live job's uploads, the attempt a job runs now, the
        attempt its generations were recorded from, and an existing character's files."""
        kept: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(job_ids):
                live: set[str] = set()
                for job_id, status, attempt, expired in conn.execute(
                    select(jobs.c.id, jobs.c.status, jobs.c.attempt, jobs.c.assets_expired).where(
                        jobs.c.id.in_(chunk)
                    )
                ):
                    if expired:
                        continue
                    live.add(job_id)
                    kept.add(f"uploads/{job_id}")
                    if status == JobStatus.IN_PROGRESS.value:
                        kept.add(f"videos/{job_id}/{attempt}")
                for (key,) in conn.execute(
                    select(generations.c.video_key).where(generations.c.job_id.in_(live))
                ):
                    kept.add("/".join(key.split("/")[:3]))  # videos/{job}/{attempt}
            for chunk in _chunks(character_ids):
                for (character_id,) in conn.execute(
                    select(characters.c.id).where(characters.c.id.in_(chunk))
                ):
                    kept.add(f"characters/{character_id}")
        return kept


def _chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
