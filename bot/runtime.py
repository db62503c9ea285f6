"""The running bot's parts and `process(inbound)`: one update, one transaction.

`process` records the update's delivery id, runs the handlers and writes every
message they cause (replies and notifications) to the outbox, all in one
commit; only then does the adapter acknowledge the update, and the outbox
sender is woken. The database work runs in a worker thread so the event loop
keeps serving other chats meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import ChatKind, Inbound, Outbound
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import is_sqlite, make_engine, make_session_factory
from bot.models import ProcessedUpdate
from bot.tickets.common import Deps
from bot.tickets.notify import enqueue
from handlers import texts_citizen as tc
from handlers.context import Analyze, Ctx
from handlers.router import dispatch
from nlp.routing import Router, default_router

__all__ = ["Runtime", "ProcessResult"]

log = logging.getLogger(__name__)
# Updates handed to database threads at once. A burst of 100 updates would
# otherwise queue 100 transactions ahead of the outbox sender's claim, and
# every reply would wait for the whole burst to be filed.
PROCESS_IN_FLIGHT = 2


def _record_delivery(session: Session, delivery_id: str, now: datetime) -> bool:
    """Insert the update's delivery id first thing; False when it is already there (a redelivery).

    One INSERT ... ON CONFLICT DO NOTHING instead of a lookup, an insert and a
    flush. On PostgreSQL a concurrent instance holding the same id makes this
    wait for its commit and then see the row (False), or insert it after its
    rollback; either way before any effect of ours.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(ProcessedUpdate).values(delivery_id=delivery_id, processed_at=now).on_conflict_do_nothing()
            .returning(ProcessedUpdate.delivery_id))
    return session.execute(stmt).scalar() is not None


@dataclass(frozen=True, slots=True)
class ProcessResult:
    delivery_id: str
    duplicate: bool
    outbound: int  # direct replies queued (notifications come on top)
    seconds: float


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    analyzer: Analyze
    router: Router
    clock: Clock
    _listeners: list[Callable[[], None]] = field(default_factory=list)
    _inflight: asyncio.Semaphore | None = None

    @classmethod
    def build(cls, settings: Settings, *, analyzer: Analyze | None = None, clock: Clock | None = None,
              router: Router | None = None) -> Runtime:
        if analyzer is None:
            from nlp import default_analyzer  # loads (or trains) the model once per process
            analyzer = default_analyzer()
        engine = make_engine(settings.database_url)
        return cls(settings=settings, engine=engine, session_factory=make_session_factory(engine),
                   analyzer=analyzer, router=router or default_router(), clock=clock or SystemClock())

    @property
    def deps(self) -> Deps:
        return Deps(settings=self.settings, clock=self.clock, router=self.router)

    def install_db_executor(self) -> None:
        """On SQLite, run this event loop's database work (asyncio.to_thread) in one thread.

        SQLite has one writer at a time. Several worker threads each opening
        BEGIN IMMEDIATE only queue on the file lock, and a waiting connection
        sleeps in SQLite's busy handler (up to 100 ms a retry) instead of
        starting when the lock frees: replies then wait for sleeps, not work.
        One thread takes the transactions in turn, with no lock waits inside
        this process. PostgreSQL keeps asyncio's default pool (row locks, MVCC).
        """
        if is_sqlite(self.engine):
            asyncio.get_running_loop().set_default_executor(
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite"))

    def add_outbox_listener(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def remove_outbox_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def wake_outbox(self) -> None:
        for listener in list(self._listeners):
            listener()

    async def process(self, inbound: Inbound) -> None:
        """Handle one update; returns after COMMIT (raises when nothing could be committed)."""
        if self._inflight is None:
            self._inflight = asyncio.Semaphore(PROCESS_IN_FLIGHT)
        async with self._inflight:
            result = await asyncio.to_thread(self.process_sync, inbound)
        if not result.duplicate:
            self.wake_outbox()  # services may have queued notifications besides the replies

    def process_sync(self, inbound: Inbound) -> ProcessResult:
        started = time.perf_counter()
        try:
            result = self._run(inbound, failed=False)
        except DBAPIError as exc:
            if isinstance(exc, IntegrityError) and self._seen(inbound.delivery_id):
                return ProcessResult(inbound.delivery_id, True, 0, time.perf_counter() - started)
            raise  # the database is unwell: do not acknowledge, the platform redelivers
        except Exception:
            # A bug for this one update: record it as processed with an apology, so a
            # poisoned update is not redelivered forever. If even that fails, raise.
            log.exception("update failed delivery_id=%s", inbound.delivery_id)
            result = self._run(inbound, failed=True)
        log.info("update processed delivery_id=%s duplicate=%s outbound=%d ms=%.1f", inbound.delivery_id,
                 result.duplicate, result.outbound, (time.perf_counter() - started) * 1000)
        return result

    def _seen(self, delivery_id: str) -> bool:
        with self.session_factory() as session:
            return session.get(ProcessedUpdate, delivery_id) is not None

    def _run(self, inbound: Inbound, *, failed: bool) -> ProcessResult:
        started = time.perf_counter()
        with self.session_factory() as session, session.begin():
            if not _record_delivery(session, inbound.delivery_id, self.clock.now()):
                return ProcessResult(inbound.delivery_id, True, 0, time.perf_counter() - started)
            if failed:
                replies = self._apology(inbound)
            else:
                ctx = Ctx(inbound=inbound, session=session, deps=self.deps, analyze=self.analyzer)
                replies = dispatch(ctx)
            now = self.clock.now()
            for message in replies:
                enqueue(session, message, now=now)
        return ProcessResult(inbound.delivery_id, False, len(replies), time.perf_counter() - started)

    @staticmethod
    def _apology(inbound: Inbound) -> list[Outbound]:
        if inbound.chat_kind == ChatKind.PRIVATE or inbound.callback_data:
            return [Outbound(inbound.channel, inbound.chat_id, tc.PROCESSING_FAILED)]
        return []

    def close(self) -> None:
        self.engine.dispose()
