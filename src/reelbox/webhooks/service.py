"""`WebhookService`: what the HTTP layer uses, built once in the app's lifespan.

It holds the endpoint store and the outbox, applies the destination rules when an endpoint is
registered or changed, sends test events, and runs the deliverer as a task on the app's event
loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING

import httpx
from anyio import to_thread
from sqlalchemy import Engine

from reelbox.jobs.ids import new_video_id
from reelbox.settings import Settings
from reelbox.store.outbox import Outbox
from reelbox.store.secret_box import SecretBox
from reelbox.store.webhook_endpoints import Endpoint, EndpointStore
from reelbox.webhooks.deliverer import Deliverer, DelivererSettings
from reelbox.webhooks.destinations import DestinationPolicy, Resolver, SystemResolver
from reelbox.webhooks.retry import RetryPolicy
from reelbox.webhooks.sender import Outcome, Sender

if TYPE_CHECKING:
    from reelbox.observability.tracing import Tracing

REGISTRATION_LOOKUP_SECONDS = 5.0


class WebhookService:
    def __init__(
        self,
        *,
        endpoints: EndpointStore,
        outbox: Outbox,
        deliverer: Deliverer,
        policy: DestinationPolicy,
        resolver: Resolver,
    ) -> None:
        self.endpoints = endpoints
        self.outbox = outbox
        self.deliverer = deliverer
        self.policy = policy
        self.resolver = resolver
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        engine: Engine,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        tracing: Tracing | None = None,
    ) -> WebhookService:
        policy = DestinationPolicy.build(
            allow_http=settings.webhook_allow_http,
            allow_private=settings.webhook_allow_private_addresses,
            allowed_networks=settings.webhook_allowed_networks,
        )
        resolver = resolver or SystemResolver()
        # Signing secrets are encrypted at rest with the server's key (store/secret_box.py).
        box = SecretBox.from_setting(
            settings.secret_key.get_secret_value() if settings.secret_key else None,
            data_dir=settings.data_dir,
        )
        endpoints = EndpointStore(engine, box=box)
        endpoints.seal_plaintext()  # rows from before encryption, once
        outbox = Outbox(engine, box=box)
        sender = Sender(
            policy=policy,
            timeout=settings.webhook_timeout_seconds,
            resolver=resolver,
            transport=transport,
        )
        deliverer = Deliverer(
            outbox=outbox,
            sender=sender,
            tracing=tracing,
            retry=RetryPolicy(
                base=settings.webhook_backoff_seconds,
                cap=settings.webhook_backoff_max_seconds,
                max_age=settings.webhook_max_age_seconds,
            ),
            settings=DelivererSettings(
                concurrency=settings.webhook_concurrency,
                poll_interval=settings.webhook_poll_interval_seconds,
                retention=settings.webhook_delivery_retention_seconds,
                release_all_on_start=engine.dialect.name == "sqlite",
            ),
        )
        return cls(
            endpoints=endpoints,
            outbox=outbox,
            deliverer=deliverer,
            policy=policy,
            resolver=resolver,
        )

    def start(self) -> None:
        """Start delivering in the background (call from the event loop)."""
        self._task = asyncio.create_task(self.deliverer.run(), name="webhook-deliverer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.deliverer.sender.aclose()

    async def check_url(self, url: str) -> None:
        """Refuse an endpoint URL by the destination rules, resolving its host if it resolves
        now (every send checks again: DNS answers change)."""
        target = self.policy.check_url(url)
        if target.address is not None:
            return
        try:
            async with asyncio.timeout(REGISTRATION_LOOKUP_SECONDS):
                await self.policy.resolve(target, self.resolver)
        except (TimeoutError, socket.gaierror):
            pass  # not resolvable yet: deliveries will fail and retry until it is

    async def send_test(self, endpoint: Endpoint, *, event_type: str) -> Outcome:
        """Send a sample event to an endpoint now, once, and record it among its deliveries."""
        claimed = await to_thread.run_sync(
            lambda: self.outbox.enqueue_test(
                endpoint,
                event_type=event_type,
                object_id=new_video_id(),
                lease_seconds=self.deliverer.lease_seconds,
            )
        )
        return await self.deliverer.deliver(claimed, retry=False)
