"""The deliverer: sends due deliveries from the outbox, and records how each attempt went.

It is an asyncio task in the API process. Each pass leases due deliveries into free slots (at
most `concurrency` requests at once, and at most one per endpoint, so a slow or failing endpoint
holds one slot and never delays another's deliveries), sends each as its own task, and records
the attempt with the next due time from the retry policy, or the final status. It wakes on a
timer (worker processes commit new outbox rows), when a send finishes, or when asked to.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from anyio import to_thread

from reelbox.store.outbox import AttemptRecord, Claimed, DeliveryStatus, Outbox
from reelbox.webhooks.retry import RetryPolicy
from reelbox.webhooks.sender import Outcome, Sender
from reelbox.webhooks.signer import delivery_headers

if TYPE_CHECKING:
    from reelbox.observability.tracing import Tracing

log = logging.getLogger(__name__)

LEASE_MARGIN_SECONDS = 5.0


@dataclass(frozen=True, kw_only=True)
class DelivererSettings:
    concurrency: int = 16
    poll_interval: float = 0.5
    retention: float = 30 * 86400.0  # finished deliveries are kept this long
    prune_interval: float = 3600.0
    # SQLite means one server: every lease left behind belonged to a dead process.
    release_all_on_start: bool = False


class Deliverer:
    def __init__(
        self,
        *,
        outbox: Outbox,
        sender: Sender,
        retry: RetryPolicy,
        settings: DelivererSettings,
        rng: random.Random | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self.outbox = outbox
        self.tracing = tracing  # each attempt a span in its job's trace (observability/tracing)
        self.sender = sender
        self.retry = retry
        self.settings = settings
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task[None]] = {}  # by endpoint id
        self._last_prune = 0.0

    @property
    def lease_seconds(self) -> float:
        return self.sender.timeout + LEASE_MARGIN_SECONDS

    def wake(self) -> None:
        """Look for due deliveries now (call from the event loop)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; in-flight sends are then abandoned and due again at once."""
        recovered = not self.settings.release_all_on_start
        try:
            while True:
                try:
                    if not recovered:
                        await to_thread.run_sync(self.outbox.release_all)
                        recovered = True
                    await self._fill()
                    await self._prune()
                except Exception:  # the loop must survive a database hiccup
                    log.exception("webhook delivery pass failed")
                try:
                    async with asyncio.timeout(self.settings.poll_interval):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            tasks = list(self._in_flight.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _fill(self) -> None:
        free = self.settings.concurrency - len(self._in_flight)
        if free <= 0:
            return
        busy = frozenset(self._in_flight)
        claimed = await to_thread.run_sync(
            lambda: self.outbox.claim_due(limit=free, lease_seconds=self.lease_seconds, busy=busy)
        )
        for item in claimed:
            endpoint_id = item.delivery.endpoint_id
            task = asyncio.create_task(self._attempt(item), name=f"webhook-{item.delivery.id}")
            self._in_flight[endpoint_id] = task
            task.add_done_callback(functools.partial(self._finished, endpoint_id))

    def _finished(self, endpoint_id: str, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(endpoint_id, None)
        self._wake.set()  # a slot is free

    async def _attempt(self, claimed: Claimed) -> None:
        try:
            await self.deliver(claimed, retry=True)
        except asyncio.CancelledError:
            # Shutting down mid-send: give the lease back so the next start sends at once.
            await to_thread.run_sync(
                lambda: self.outbox.release(claimed.delivery.id, number=claimed.number)
            )
            raise
        except Exception:  # recorded nowhere: the lease runs out and it is sent again
            log.exception("webhook delivery %s failed", claimed.delivery.id)

    async def deliver(self, claimed: Claimed, *, retry: bool) -> Outcome:
        """Send one claimed delivery and record the attempt; with `retry`, schedule the next
        attempt after a failure (within the retry window), else fail it."""
        if self.tracing is None:
            return await self._deliver(claimed, retry=retry)
        delivery = claimed.delivery
        context = await to_thread.run_sync(self.outbox.trace_context, delivery.object_id)
        with self.tracing.delivery(
            trace_context=context,
            delivery_id=delivery.id,
            event_type=delivery.event_type,
            attempt=claimed.number,
        ) as span:
            outcome = await self._deliver(claimed, retry=retry)
            span.set_attribute("reelbox.success", outcome.success)
            if outcome.status_code is not None:
                span.set_attribute("http.response.status_code", outcome.status_code)
            return outcome

    async def _deliver(self, claimed: Claimed, *, retry: bool) -> Outcome:
        delivery = claimed.delivery
        body = delivery.body.encode()
        headers = delivery_headers(
            webhook_id=delivery.id,
            timestamp=int(time.time()),
            body=body,
            secrets=claimed.secrets,
        )
        outcome = await self.sender.send(claimed.url, headers=headers, body=body)
        next_attempt_at: float | None = None
        status = DeliveryStatus.SUCCEEDED
        if not outcome.success:
            if retry:
                next_attempt_at = self.retry.next_attempt_at(
                    attempt=claimed.number,
                    now=self.outbox.now(),
                    window_started_at=delivery.window_started_at,
                    rng=self._rng,
                )
            status = DeliveryStatus.FAILED if next_attempt_at is None else DeliveryStatus.PENDING
        record = AttemptRecord(
            number=claimed.number,
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            success=outcome.success,
            status_code=outcome.status_code,
            error=outcome.error,
            response_body=outcome.response_body,
        )
        await to_thread.run_sync(
            lambda: self.outbox.record_attempt(
                delivery.id, record, status=status, next_attempt_at=next_attempt_at
            )
        )
        return outcome

    async def _prune(self) -> None:
        now = self.outbox.now()
        if now - self._last_prune < self.settings.prune_interval:
            return
        self._last_prune = now
        cutoff = now - self.settings.retention
        await to_thread.run_sync(lambda: self.outbox.prune(finished_before=cutoff))
