"""EventHub: waiters woken by publishes from the loop and from other threads."""

from __future__ import annotations

import asyncio
import threading

from reelbox.notify.hub import EventHub, parse_payload, payload


def test_payloads_round_trip_and_junk_is_ignored() -> None:
    assert parse_payload(payload("status", "video_1")) == ("status", "video_1")
    assert parse_payload(payload("progress", "task_9")) == ("progress", "task_9")
    for junk in ("", "status", "status:", "other:video_1"):
        assert parse_payload(junk) is None


def test_only_waiters_of_the_changed_job_wake() -> None:
    async def scenario() -> None:
        hub = EventHub()
        hub.bind(asyncio.get_running_loop())
        seen: list[tuple[str, str]] = []
        hub.on_change(lambda kind, job: seen.append((kind, job)))
        with hub.watch("a") as a, hub.watch("b") as b:
            assert sorted(hub.watched()) == ["a", "b"]
            hub.publish("progress", "a")
            assert await a.wait(1)
            assert not await b.wait(0.05)
            assert not await a.wait(0.05)  # one change, one wake-up
        assert hub.watched() == []
        assert seen == [("progress", "a")]

    asyncio.run(scenario())


def test_publishing_from_another_thread_wakes_the_loop() -> None:
    async def scenario() -> None:
        hub = EventHub()
        hub.bind(asyncio.get_running_loop())
        with hub.watch("a") as a:
            threading.Thread(target=hub.publish, args=("status", "a")).start()
            assert await a.wait(2)
        hub.publish("status", "a")  # nobody watching: nothing happens
        assert hub.published == 2

    asyncio.run(scenario())


def test_publish_all_wakes_every_waiter_and_a_failing_callback_is_contained() -> None:
    async def scenario() -> None:
        hub = EventHub()
        hub.bind(asyncio.get_running_loop())

        def broken(kind: str, job: str) -> None:
            raise RuntimeError("boom")

        hub.on_change(broken)
        with hub.watch("a") as a, hub.watch("b") as b:
            hub.publish_all()
            assert await a.wait(1) and await b.wait(1)

    asyncio.run(scenario())


def test_an_unbound_hub_drops_publishes() -> None:
    EventHub().publish("status", "a")  # no loop yet: nothing to wake


def test_waiters_of_one_change_share_one_read_and_a_later_change_reads_again() -> None:
    async def scenario() -> None:
        hub = EventHub()
        hub.bind(asyncio.get_running_loop())
        reads = 0

        async def read() -> int:
            nonlocal reads
            reads += 1
            await asyncio.sleep(0.05)
            return reads

        with hub.watch("a"):
            hub.publish("progress", "a")
            key = ("a", hub.version("a"))
            answers = await asyncio.gather(*(hub.shared(key, read) for _ in range(10)))
            assert answers == [1] * 10 and reads == 1
            hub.publish("progress", "a")  # a new version: a new read
            assert await hub.shared(("a", hub.version("a")), read) == 2
            assert await hub.shared(key, read) == 3  # finished reads are not kept

    asyncio.run(scenario())
