"""The deliverer on a real SQLite outbox with a mock transport: retries keep the webhook-id,
slow endpoints never hold up others, the retry window ends, shutdown gives leases back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.store.database import connect, migrate
from reelbox.store.outbox import Delivery, DeliveryStatus, Outbox
from reelbox.store.rows import NewGeneration, NewJob
from reelbox.store.store import Store
from reelbox.store.webhook_endpoints import Endpoint, EndpointStore
from reelbox.webhooks.deliverer import Deliverer, DelivererSettings
from reelbox.webhooks.destinations import DestinationPolicy
from reelbox.webhooks.retry import RetryPolicy
from reelbox.webhooks.sender import Sender
from support.resolvers import StaticResolver

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]
RESOLVER = StaticResolver({"fast.example": ["93.184.216.34"], "slow.example": ["93.184.216.35"]})
FAST_RETRY = RetryPolicy(base=0.05, cap=0.1, max_age=60)


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.engine = connect(f"sqlite:///{tmp_path / 'reelbox.db'}")
        migrate(self.engine)
        self.store = Store(self.engine)
        self.endpoints = EndpointStore(self.engine)
        self.outbox = Outbox(self.engine)
        self.jobs = 0

    def endpoint(self, url: str) -> Endpoint:
        return self.endpoints.create(
            project="p",
            name="hook",
            url=url,
            event_types=["video.completed"],
            secret="whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        )

    def complete_a_job(self) -> str:
        self.jobs += 1
        job_id = f"video_{self.jobs}"
        spec = GenerationSpec(
            mode=Mode.TEXT, prompt="x", width=64, height=64, seconds=1.0, seed=1, profile="p"
        )
        self.store.create_job(
            NewJob(id=job_id, project="p", dialect="openai", model="m", spec=spec, seconds="1"),
            queue_cap=100,
        )
        job = self.store.claim_next(owner="t", lease_seconds=30, per_project_limit=100)
        assert job is not None
        generation = NewGeneration(
            id=f"gen_{self.jobs}",
            index=0,
            seed=1,
            video_key="v",
            thumbnail_key="t",
            thumbnail_jpeg_key="j",
            spritesheet_key="s",
            width=64,
            height=64,
            fps=8,
            frame_count=8,
            duration=1.0,
            has_audio=False,
            sprite_columns=1,
            sprite_rows=1,
            sprite_frame_width=64,
            sprite_frame_height=64,
        )
        assert self.store.complete(
            job_id, attempt=job.attempt, outputs=[generation], plan=None, retention_seconds=60
        )
        return job_id

    def deliveries(self, endpoint: Endpoint) -> list[Delivery]:
        page = self.outbox.list_deliveries(endpoint.id, project="p", limit=100, after=None)
        return [d for d, _ in page.items]

    def deliverer(self, handler: Handler, *, retry: RetryPolicy = FAST_RETRY) -> Deliverer:
        sender = Sender(
            policy=DestinationPolicy(),
            timeout=3,
            resolver=RESOLVER,
            transport=httpx.MockTransport(handler),
        )
        return Deliverer(
            outbox=self.outbox,
            sender=sender,
            retry=retry,
            settings=DelivererSettings(concurrency=4, poll_interval=0.02),
        )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.engine.dispose()


def _run(deliverer: Deliverer, until: Callable[[], bool], *, timeout: float = 10) -> None:
    async def main() -> None:
        task = asyncio.create_task(deliverer.run())
        try:
            deadline = time.monotonic() + timeout
            while not until():
                assert time.monotonic() < deadline, "condition not met in time"
                await asyncio.sleep(0.02)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await deliverer.sender.aclose()

    asyncio.run(main())


def test_retries_send_the_same_signed_message_until_it_is_accepted(world: World) -> None:
    endpoint = world.endpoint("https://fast.example/hook")
    job_id = world.complete_a_job()
    seen: list[httpx.Request] = []

    async def flaky(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500 if len(seen) <= 2 else 200, text="thanks")

    _run(
        world.deliverer(flaky),
        lambda: world.deliveries(endpoint)[0].status is DeliveryStatus.SUCCEEDED,
    )
    assert len(seen) == 3
    assert len({r.headers["webhook-id"] for r in seen}) == 1
    assert len({r.content for r in seen}) == 1
    with OpenAI(api_key="unused") as client:
        for request in seen:
            event = client.webhooks.unwrap(request.content, request.headers, secret=endpoint.secret)
            assert event.data.id == job_id
    assert json.loads(seen[0].content)["type"] == "video.completed"
    page = world.outbox.list_deliveries(endpoint.id, project="p", limit=1, after=None)
    ((delivery, attempts),) = page.items
    assert delivery.id == seen[0].headers["webhook-id"]
    assert [(a.number, a.status_code, a.success) for a in attempts] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert attempts[-1].response_body == "thanks"


def test_a_hanging_endpoint_never_holds_up_another(world: World) -> None:
    slow = world.endpoint("https://slow.example/hook")
    fast = world.endpoint("https://fast.example/hook")
    for _ in range(2):
        world.complete_a_job()
    answered: dict[str, list[float]] = {"slow.example": [], "fast.example": []}
    started = time.monotonic()

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.headers["host"]
        if host == "slow.example":
            await asyncio.sleep(0.8)
        answered[host].append(time.monotonic() - started)
        return httpx.Response(200)

    _run(
        world.deliverer(handler),
        lambda: all(d.status is DeliveryStatus.SUCCEEDED for d in world.deliveries(slow)),
    )
    # Both of the fast endpoint's deliveries went out while the slow one held its first.
    assert len(answered["fast.example"]) == 2 and max(answered["fast.example"]) < 0.6
    # The slow endpoint got one delivery at a time.
    assert answered["slow.example"][1] - answered["slow.example"][0] >= 0.75
    assert all(d.status is DeliveryStatus.SUCCEEDED for d in world.deliveries(fast))


def test_deliveries_fail_for_good_when_the_retry_window_runs_out(world: World) -> None:
    endpoint = world.endpoint("https://fast.example/hook")
    world.complete_a_job()

    async def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    short = RetryPolicy(base=0.05, cap=0.05, max_age=0.3)
    _run(
        world.deliverer(down, retry=short),
        lambda: world.deliveries(endpoint)[0].status is DeliveryStatus.FAILED,
    )
    (delivery,) = world.deliveries(endpoint)
    assert 2 <= delivery.attempts <= 12 and delivery.next_attempt_at is None


def test_stopping_mid_send_makes_the_delivery_due_again_at_once(world: World) -> None:
    endpoint = world.endpoint("https://fast.example/hook")
    world.complete_a_job()
    seen: list[httpx.Request] = []

    async def stuck(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        await asyncio.sleep(30)
        return httpx.Response(200)

    _run(world.deliverer(stuck), lambda: bool(seen))
    (delivery,) = world.deliveries(endpoint)
    assert delivery.status is DeliveryStatus.PENDING and delivery.lease_expires_at is None
    assert len(world.outbox.claim_due(limit=5, lease_seconds=30)) == 1
