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
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import ChatKind, Inbound, Outbound
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import InsertIgnoring, is_sqlite, make_engine, make_session_factory
from bot.group_commit import GroupCommit
from bot.models import ProcessedUpdate
from bot.nlp_process import AnalyzerProcess, LazyAnalyzer
from bot.tickets.common import Deps
from bot.tickets.notify import enqueue_many, outbox_row
from handlers import texts_citizen as tc
from handlers.context import Analyze, Ctx
from handlers.router import dispatch
from nlp.analysis import Analysis
from nlp.routing import Router, default_router

__all__ = ["Runtime", "ProcessResult"]

log = logging.getLogger(__name__)
# Updates handed to database threads at once. A burst of 100 updates would
# otherwise queue 100 transactions ahead of the outbox sender's claim, and
# every reply would wait for the whole burst to be filed.
PROCESS_IN_FLIGHT = 2
GROUP_COMMIT_MAX = 16  # SQLite: updates sharing one transaction at most (bot/group_commit.py)
NLP_WAIT_SECONDS = 30.0  # a database thread waiting on the NLP process gives up and analyses itself
_RECORD_DELIVERY = InsertIgnoring(ProcessedUpdate.__table__,  # Core, built once: the ORM path cost 3x more
                                  returning=(ProcessedUpdate.__table__.c.delivery_id,))


def _record_delivery(session: Session, delivery_id: str, now: datetime) -> bool:
    """Insert the update's delivery id first thing; False when it is already there (a redelivery).

    One INSERT ... ON CONFLICT DO NOTHING instead of a lookup, an insert and a
    flush. On PostgreSQL a concurrent instance holding the same id makes this
    wait for its commit and then see the row (False), or insert it after its
    rollback; either way before any effect of ours.
    """
    connection = session.connection()
    row = {"delivery_id": delivery_id, "processed_at": now}
    return connection.execute(_RECORD_DELIVERY.on(connection), row).scalar() is not None


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
    nlp_process: AnalyzerProcess | None = None  # analyses private texts before their transaction
    _listeners: list[Callable[[], None]] = field(default_factory=list)
    _inflight: asyncio.Semaphore | None = None
    _group: GroupCommit[tuple[Inbound, Analysis | None], ProcessResult] | None = None
    _loop: asyncio.AbstractEventLoop | None = None  # the serving loop (the NLP process is called from it)

    @classmethod
    def build(cls, settings: Settings, *, analyzer: Analyze | None = None, clock: Clock | None = None,
              router: Router | None = None, nlp_process: bool = False) -> Runtime:
        """`nlp_process`: the model runs in a worker process (bot/nlp_process.py); this
        process then loads it only if that worker ever fails."""
        if analyzer is None and nlp_process:
            analyzer = LazyAnalyzer()
        elif analyzer is None:
            from nlp import default_analyzer  # loads (or trains) the model once per process
            analyzer = default_analyzer()
        engine = make_engine(settings.database_url)
        runtime = cls(settings=settings, engine=engine, session_factory=make_session_factory(engine),
                      analyzer=analyzer, router=router or default_router(), clock=clock or SystemClock())
        if nlp_process:
            runtime.nlp_process = AnalyzerProcess(log_level=settings.log_level)  # started by the serve loop
        return runtime

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
        """Handle one update; returns after COMMIT (raises when nothing could be committed).

        SQLite: through group commit (bot/group_commit.py), one transaction for
        the updates that arrived together. PostgreSQL: a transaction per update,
        PROCESS_IN_FLIGHT of them side by side.
        """
        self._loop = asyncio.get_running_loop()
        ready = await self._analyse_ahead(inbound)
        if is_sqlite(self.engine):
            if self._group is None:
                self._group = GroupCommit(self.process_batch, max_batch=GROUP_COMMIT_MAX)
            result = await self._group.submit((inbound, ready))
        else:
            if self._inflight is None:
                self._inflight = asyncio.Semaphore(PROCESS_IN_FLIGHT)
            async with self._inflight:
                result = await asyncio.to_thread(self.process_sync, inbound, ready)
        if not result.duplicate:
            self.wake_outbox()  # services may have queued notifications besides the replies

    async def _analyse_ahead(self, inbound: Inbound) -> Analysis | None:
        """A private message's text analysed in the NLP process, outside the database thread.

        Private free text is what citizens file (an official's answer in private
        is analysed for nothing, in the other process). Group chats, buttons and
        commands never need the model.
        """
        if (self.nlp_process is None or inbound.chat_kind != ChatKind.PRIVATE or inbound.callback_data
                or inbound.command or not inbound.text.strip()
                or len(inbound.text) > self.settings.max_text_length):
            return None
        return await self.nlp_process.analyze(inbound.text)

    def _analyzer_for(self, inbound: Inbound, ready: Analysis | None) -> Analyze:
        """What the handlers call `ctx.analyze`: the analysis made ahead, else the NLP process, else the bot."""
        if ready is None and self.nlp_process is None:
            return self.analyzer
        text = inbound.text

        def analyze(asked: str) -> Analysis:
            if ready is not None and asked == text:
                return ready
            made = self._analyse_from_thread(asked)  # e.g. a message kept until consent, filed on the button
            return made if made is not None else self.analyzer(asked)
        return analyze

    def _analyse_from_thread(self, text: str) -> Analysis | None:
        """From the database thread: the NLP process's answer (the event loop makes the call), or None."""
        loop = self._loop
        if self.nlp_process is None or loop is None or not loop.is_running():
            return None
        try:
            asyncio.get_running_loop()
            return None  # on the event loop's own thread: never block it
        except RuntimeError:
            pass
        try:
            return asyncio.run_coroutine_threadsafe(self.nlp_process.analyze(text), loop).result(NLP_WAIT_SECONDS)
        except TimeoutError:
            log.warning("nlp process too slow, analysing in the bot")
            return None

    def process_sync(self, inbound: Inbound, ready: Analysis | None = None) -> ProcessResult:
        """`ready`: the analysis of `inbound.text` made ahead (None: the handler analyses, if it needs to)."""
        started = time.perf_counter()
        try:
            result = self._run(inbound, failed=False, ready=ready)
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

    def process_batch(self, items: list[tuple[Inbound, Analysis | None]]) -> list[ProcessResult | Exception]:
        """Several updates in one transaction, each as `process_sync` would handle it.

        Any failure rolls the whole batch back and each update then runs alone,
        so a poisoned update or a duplicate meets the one-update rules above and
        never costs the others their work.
        """
        if len(items) == 1:
            return self._one_by_one(items)
        started = time.perf_counter()
        try:
            with self.session_factory() as session, session.begin():
                results: list[ProcessResult | Exception] = [
                    self._handle(session, inbound, failed=False, ready=ready) for inbound, ready in items]
        except Exception as exc:  # noqa: BLE001 - nothing of the batch was committed: retry alone
            log.warning("group commit failed, updates run one by one count=%d error=%r", len(items), exc)
            return self._one_by_one(items)
        log.info("updates processed together count=%d ms=%.1f delivery_ids=%s", len(items),
                 (time.perf_counter() - started) * 1000, ",".join(inbound.delivery_id for inbound, _ in items))
        return results

    def _one_by_one(self, items: list[tuple[Inbound, Analysis | None]]) -> list[ProcessResult | Exception]:
        results: list[ProcessResult | Exception] = []
        for inbound, ready in items:
            try:
                results.append(self.process_sync(inbound, ready))
            except Exception as exc:  # noqa: BLE001 - this update's caller gets it (not acknowledged)
                results.append(exc)
        return results

    def _seen(self, delivery_id: str) -> bool:
        with self.session_factory() as session:
            return session.get(ProcessedUpdate, delivery_id) is not None

    def _run(self, inbound: Inbound, *, failed: bool, ready: Analysis | None = None) -> ProcessResult:
        with self.session_factory() as session, session.begin():
            return self._handle(session, inbound, failed=failed, ready=ready)

    def _handle(self, session: Session, inbound: Inbound, *, failed: bool, ready: Analysis | None) -> ProcessResult:
        """One update's work inside the caller's transaction: delivery id, handlers, replies."""
        started = time.perf_counter()
        if not _record_delivery(session, inbound.delivery_id, self.clock.now()):
            return ProcessResult(inbound.delivery_id, True, 0, time.perf_counter() - started)
        if failed:
            replies = self._apology(inbound)
        else:
            ctx = Ctx(inbound=inbound, session=session, deps=self.deps, analyze=self._analyzer_for(inbound, ready))
            replies = dispatch(ctx)
        now = self.clock.now()
        enqueue_many(session, [outbox_row(message, now=now) for message in replies])
        return ProcessResult(inbound.delivery_id, False, len(replies), time.perf_counter() - started)

    @staticmethod
    def _apology(inbound: Inbound) -> list[Outbound]:
        if inbound.chat_kind == ChatKind.PRIVATE or inbound.callback_data:
            return [Outbound(inbound.channel, inbound.chat_id, tc.PROCESSING_FAILED)]
        return []

    async def start_children(self) -> None:
        """Start the NLP process, if any (the serve loops call this first; twice is harmless)."""
        if self.nlp_process is not None:
            await self.nlp_process.start()

    async def close_children(self) -> None:
        """Stop the NLP process (the serve loops call this on their way out)."""
        if self.nlp_process is not None:
            await self.nlp_process.close()

    def close(self) -> None:
        self.engine.dispose()
