"""The small waiting helpers every worker loop uses (bot/clock.py)."""
from __future__ import annotations

import asyncio
import time

import pytest

from bot.clock import sleep_unless, unless_stopped, wait_for_wake


async def test_wait_for_wake_ends_on_wake_stop_or_timeout() -> None:
    wake, stop = asyncio.Event(), asyncio.Event()
    started = time.monotonic()
    await wait_for_wake(wake, stop, 0.05)
    assert 0.04 <= time.monotonic() - started < 1
    asyncio.get_running_loop().call_later(0.01, wake.set)
    await asyncio.wait_for(wait_for_wake(wake, stop, 30), 1)
    wake.clear()
    asyncio.get_running_loop().call_later(0.01, stop.set)
    await asyncio.wait_for(wait_for_wake(wake, stop, None), 1)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    await asyncio.sleep(0)
    assert all(t.done() for t in pending)  # no waiter left behind


async def test_unless_stopped_gives_the_result_or_cancels_on_stop() -> None:
    stop = asyncio.Event()

    async def answer() -> int:
        return 42

    async def fail() -> int:
        raise ValueError("boom")

    done = await unless_stopped(stop, answer())
    assert done is not None and done.result() == 42
    failed = await unless_stopped(stop, fail())
    assert failed is not None
    with pytest.raises(ValueError):
        failed.result()

    cancelled = asyncio.Event()

    async def long_poll() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    asyncio.get_running_loop().call_later(0.01, stop.set)
    assert await asyncio.wait_for(unless_stopped(stop, long_poll()), 1) is None
    assert cancelled.is_set()
    assert await sleep_unless(stop, 30) is True  # stop already set: at once
