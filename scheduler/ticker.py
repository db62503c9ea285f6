"""APScheduler as a clock only: it says "tick now" and "plan today"; the database decides what is sent.

AsyncIOScheduler with its in-memory job store, one per process: every
instance ticks, and the row claims (FOR UPDATE SKIP LOCKED / BEGIN IMMEDIATE)
make each reminder go out once. A shared APScheduler job store is deliberately
not used: it fires jobs twice across processes and can stall the loser.
`phananh serve` runs the ticker in a thread of its own beside the bot.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from scheduler.deadlines import Deadlines, default_deadlines
from scheduler.digests import plan_digests, render_digest
from scheduler.dispatch import TickResult, tick

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["Ticker", "background_ticker", "TICK_SECONDS"]

log = logging.getLogger(__name__)
TICK_SECONDS = 30.0


class Ticker:
    """Ticks every `interval` seconds and plans the day's digests at startup and after midnight."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock, dl: Deadlines, *, interval: float = TICK_SECONDS,
                 on_sent: Callable[[], None] | None = None, batch: int = 2000) -> None:
        self.factory, self.clock, self.dl = factory, clock, dl
        self.interval, self.on_sent, self.batch = interval, on_sent, batch
        self._scheduler: AsyncIOScheduler | None = None

    def plan(self) -> None:
        """Idempotent: the unique keys make a second instance's planning a no-op."""
        plan_digests(self.factory, self.clock, self.dl)

    def tick_once(self) -> TickResult:
        result = tick(self.factory, self.clock, self.dl, limit=self.batch, digests=render_digest)
        if result.outbox_rows and self.on_sent is not None:
            self.on_sent()
        return result

    async def _tick(self) -> None:
        try:
            await asyncio.to_thread(self.tick_once)
        except Exception:  # a failed tick is retried by the next one; nothing was committed
            log.exception("scheduler tick failed")

    async def _plan(self) -> None:
        try:
            await asyncio.to_thread(self.plan)
        except Exception:
            log.exception("scheduler planning failed")

    def start(self) -> None:
        """Start the jobs on the running event loop."""
        sched = AsyncIOScheduler(timezone=self.dl.tz)
        sched.add_job(self._plan, "date", id="plan-now")
        sched.add_job(self._plan, "cron", hour=0, minute=5, id="plan-daily", coalesce=True, max_instances=1)
        sched.add_job(self._tick, "interval", seconds=self.interval, id="tick", coalesce=True, max_instances=1,
                      next_run_time=self.clock.now())
        sched.start()
        self._scheduler = sched

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def run(self, stop: asyncio.Event) -> None:
        self.start()
        try:
            await stop.wait()
        finally:
            self.shutdown()


@contextmanager
def background_ticker(runtime: Runtime, *, interval: float = TICK_SECONDS) -> Iterator[Ticker]:
    """Run a Ticker in its own thread and event loop for the life of the `with` block."""
    ticker = Ticker(runtime.session_factory, runtime.clock, default_deadlines(runtime.settings.timezone),
                    interval=interval, on_sent=runtime.wake_outbox)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=lambda: loop.run_until_complete(ticker.run(stop)), name="scheduler-ticker",
                              daemon=True)
    thread.start()
    try:
        yield ticker
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()
