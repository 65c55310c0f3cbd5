"""The process-wide decode slots: shared per setting, waiting then refusing, always released."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from reelbox.api.decode_slots import DecodeSlots, decode_slots
from reelbox.errors import Unavailable
from reelbox.settings import Settings


def test_one_set_of_slots_per_setting() -> None:
    a = decode_slots(Settings(max_concurrent_decodes=3, decode_wait_seconds=1))
    assert a is decode_slots(Settings(max_concurrent_decodes=3, decode_wait_seconds=1))
    assert a is not decode_slots(Settings(max_concurrent_decodes=4, decode_wait_seconds=1))
    assert decode_slots().size == Settings().max_concurrent_decodes


def test_a_full_set_waits_then_refuses() -> None:
    slots = DecodeSlots(size=2, wait_seconds=0.1)
    with slots.hold(), slots.hold():
        started = time.monotonic()
        with pytest.raises(Unavailable) as caught, slots.hold():
            pass
        assert time.monotonic() - started >= 0.09
    assert caught.value.code == "server_busy" and caught.value.retry_after > 0
    with slots.hold(), slots.hold():  # both were given back
        pass


def test_a_slot_freed_while_waiting_is_taken() -> None:
    slots = DecodeSlots(size=1, wait_seconds=5)
    held = threading.Event()
    release = threading.Event()

    def other() -> None:
        with slots.hold():
            held.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    held.wait(5)

    async def waiter() -> float:
        started = time.monotonic()
        async with slots.ahold():
            return time.monotonic() - started

    threading.Timer(0.2, release.set).start()
    waited = asyncio.run(waiter())
    thread.join()
    assert 0.15 < waited < 4


def test_a_failing_decode_gives_its_slot_back() -> None:
    slots = DecodeSlots(size=1, wait_seconds=0)
    with pytest.raises(ValueError), slots.hold():
        raise ValueError("bad image")

    async def failing() -> None:
        async with slots.ahold():
            raise ValueError("bad image")

    with pytest.raises(ValueError):
        asyncio.run(failing())
    with slots.hold():
        pass


def test_the_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DecodeSlots(size=0, wait_seconds=1)
