"""An injectable clock: services ask `clock.now()` instead of the system.

Deadlines, code expiry and daily limits depend on the time; tests pin it with
`FixedClock` and move it with `advance()` instead of sleeping.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

__all__ = ["Clock", "SystemClock", "FixedClock", "sleep_unless", "wait_for_wake", "unless_stopped"]

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at


async def sleep_unless(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` of real time; True if `stop` was set meanwhile (and return at once)."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def wait_for_wake(wake: asyncio.Event, stop: asyncio.Event, timeout: float | None) -> None:
    """Until `wake` or `stop` is set, or `timeout` seconds pass: a worker loop's pause
    between rounds (woken by new work, ended by a shutdown, or polling anyway)."""
    waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def unless_stopped(stop: asyncio.Event, work: Awaitable[T]) -> asyncio.Future[T] | None:
    """`work` run to its end unless `stop` is set first, in which case it is cancelled.

    Returns the finished future (its `result()` raises what `work` raised), or None
    when stopped: e.g. a long poll abandoned at shutdown, which loses nothing
    because nothing was handled yet.
    """
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        stopped.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None
    return task
