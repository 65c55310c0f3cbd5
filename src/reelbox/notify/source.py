"""The notification source a process uses: LISTEN on PostgreSQL, one poller on SQLite."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from reelbox.notify.hub import EventHub
from reelbox.notify.poller import StatePoller
from reelbox.notify.postgres import PostgresListener


async def start_notifications(
    engine: Engine, hub: EventHub, *, poll_interval: float
) -> PostgresListener | StatePoller:
    hub.bind(asyncio.get_running_loop())
    source: PostgresListener | StatePoller
    if engine.dialect.name == "postgresql":
        source = PostgresListener(engine.url.render_as_string(hide_password=False), hub)
    else:
        source = StatePoller(engine, hub, interval=poll_interval)
    await source.start()
    return source
