"""The outbox sender: delivers the rows that transactions wrote, never losing one.

Rows are claimed (PostgreSQL: `FOR UPDATE SKIP LOCKED`; both: a conditional
UPDATE to `sending` with a lease), sent through the channel's adapter, then
marked. A crash after the claim leaves the row `sending` until its lease runs
out, and it is sent again: delivery is at least once, never zero times.
Order is kept per line of messages (`line_of`): a chat's messages in the
order written, and apart from them each card's post and its edits (a card is
posted before it is edited). A line whose earlier row is still waiting blocks
its later rows; a unit chat's cards of other tickets go out meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from bot.channels.base import ChannelAdapter, ChannelName, Outbound, OutboundDocument, RetryLater, Undeliverable
from bot.clock import Clock, wait_for_wake
from bot.db import is_sqlite
from bot.models import CardMessage, CardRole, Outbox, OutboxStatus
from bot.tickets.notify import buttons_from_json

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["OutboxSender", "Claimed", "backoff", "line_of"]

log = logging.getLogger(__name__)
UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING)
_DONE = object()  # a row settled without a delivery (failed for good)
MAX_BACKOFF = 900.0
_OUTBOX = Outbox.__table__
_CARDS = CardMessage.__table__
_CLAIM_COLUMNS = (Outbox.id, Outbox.channel, Outbox.chat_id, Outbox.payload, Outbox.attempts, Outbox.ticket_id,
                  Outbox.card_unit_id, Outbox.card_role)
CONCURRENT_CHATS = 16  # chats sent to side by side: the Bot API connection pool (telegram.CONNECTION_POOL)


def line_of(channel: str, chat_id: str, ticket_id: int | None, card_unit_id: str | None) -> tuple[str, str, int | None]:
    """The rows that must go out one after another, in id order.

    A chat's messages keep their order (a citizen reads the ticket code before
    "a unit took your ticket"). A card is its own line inside its chat: its
    post comes before its edits, but a unit chat's cards of different tickets
    do not wait for each other (a busy unit's chat is then not one long queue,
    and a card that cannot be sent holds back only its own ticket's edits).
    A message about a ticket written after its card (an urgent ping) still
    waits for the card in that chat: `OutboxSender.claim` sees to it.
    """
    return (channel, chat_id, ticket_id if card_unit_id is not None else None)


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts` (2, 4, 8, ... up to 15 minutes)."""
    return min(MAX_BACKOFF, 2.0 * 2 ** max(0, attempts - 1))


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    message: Outbound
    attempts: int
    ticket_id: int | None
    card_unit_id: str | None
    card_role: str | None


class OutboxSender:
    """Sends due outbox rows of the channels it has adapters for."""

    def __init__(self, runtime: Runtime, adapters: Mapping[ChannelName, ChannelAdapter], *,
                 clock: Clock | None = None, batch: int = 250) -> None:
        self.runtime = runtime
        self.adapters = dict(adapters)
        self.clock = clock or runtime.clock
        self.batch = batch
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pg = not is_sqlite(runtime.engine)
        self.lease = timedelta(seconds=runtime.settings.outbox_lease_seconds)
        self._due_full = False  # the last claim's query was cut at `batch`
        self._card_ids: dict[tuple[int, str, str], str] = {}  # cards posted by this sender: (ticket, channel, chat)
        runtime.add_outbox_listener(self.wake)

    # --- waking ---------------------------------------------------------------------
    def wake(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._event.set)  # safe from the loop's thread and from workers

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set: woken by new rows, and polling for retries and other instances."""
        self._loop = asyncio.get_running_loop()
        log.info("outbox sender started channels=%s staging=%s", list(self.adapters), self.runtime.settings.staging)
        if not self._pg:
            await asyncio.to_thread(self.release_orphans)
        try:
            while not stop.is_set():
                self._event.clear()
                try:
                    await self.drain()
                except Exception:  # a broken database: keep the loop, try again after the poll
                    log.exception("outbox drain failed")
                if self._event.is_set():  # rows committed during the drain: go again at once
                    continue
                await wait_for_wake(self._event, stop, await asyncio.to_thread(self._until_next_due))
        finally:
            self.runtime.remove_outbox_listener(self.wake)

    async def drain(self) -> int:
        """Send every row due now (in rounds of `batch`); returns how many rows were handled.

        A round ends the drain when its claim took every due row it could see (the
        query was not cut at `batch`) and every row went out: claiming again would
        find nothing, and a row committed meanwhile wakes `run` anyway. A retry, a
        failure or a full batch means another round, as before.
        """
        self._loop = self._loop or asyncio.get_running_loop()
        handled = 0
        while True:
            self._due_full = False
            claimed = await asyncio.to_thread(self.claim)
            if not claimed:
                return handled
            again = self._due_full
            lines: dict[tuple[str, str, int | None], list[Claimed]] = defaultdict(list)
            for row in claimed:
                lines[line_of(row.message.channel.value, row.message.chat_id, row.ticket_id,
                              row.card_unit_id)].append(row)
            limit = asyncio.Semaphore(CONCURRENT_CHATS)
            sent: list[tuple[Claimed, str | None, str | None]] = []

            async def chat(rows: list[Claimed]) -> None:
                nonlocal again
                async with limit:
                    for i, row in enumerate(rows):
                        outcome = await self._send(row)
                        if outcome is None or outcome is _DONE:
                            again = True  # released or failed rows may unblock others of the chat
                        if outcome is None:
                            # keep the line's order: later rows go back to wait behind this one
                            await asyncio.to_thread(self._release, rows[i + 1:])
                            break
                        if outcome is not _DONE:
                            sent.append((row, *outcome))

            try:
                await asyncio.gather(*(chat(rows) for rows in lines.values()))
            finally:
                # one commit for the round's deliveries; a crash before it means a resend, not a loss
                await asyncio.to_thread(self._mark_sent_many, sent)
            handled += len(claimed)
            if not again:
                return handled

    # --- claiming (worker thread) -----------------------------------------------------
    def claim(self) -> list[Claimed]:
        """Lease the due rows, in one transaction and a few statements whatever their number.

        Core rows, not ORM objects: the sender only reads them. The UPDATE takes
        every candidate at once and returns the ids it took; on PostgreSQL the
        rows are ours (FOR UPDATE SKIP LOCKED), on SQLite the transaction holds
        the write lock, so it takes them all. Should one still be missed, the
        rows of its line after it are given back at once (see `line_of`).
        """
        now = self.clock.now()
        channels = [c.value for c in self.adapters]
        with self.runtime.session_factory() as session, session.begin():
            query = (select(*_CLAIM_COLUMNS).where(Outbox.status.in_(UNSENT), Outbox.next_attempt_at <= now,
                                                   Outbox.channel.in_(channels)).order_by(Outbox.id).limit(self.batch))
            if self._pg:
                query = query.with_for_update(skip_locked=True)
            due = session.execute(query).all()
            if not due:
                return []
            self._due_full = len(due) >= self.batch  # more due rows may wait behind the limit
            unsent: dict[tuple[str, str, int | None], list[int]] = defaultdict(list)
            for channel, chat_id, ticket_id, card_unit_id, row_id in session.execute(
                    select(Outbox.channel, Outbox.chat_id, Outbox.ticket_id, Outbox.card_unit_id, Outbox.id)
                    .where(Outbox.status.in_(UNSENT), Outbox.chat_id.in_({r.chat_id for r in due}))
                    .order_by(Outbox.id)):
                unsent[line_of(channel, chat_id, ticket_id, card_unit_id)].append(row_id)
            position: dict[tuple[str, str, int | None], int] = defaultdict(int)
            blocked: set[tuple[str, str, int | None]] = set()
            candidates = []
            for row in due:
                key = line_of(row.channel, row.chat_id, row.ticket_id, row.card_unit_id)
                if key in blocked:
                    continue
                if unsent[key][position[key]] != row.id:
                    blocked.add(key)  # an earlier row of this line waits (backoff, or another sender has it)
                    continue
                if row.card_unit_id is None and row.ticket_id is not None:
                    card = unsent.get((row.channel, row.chat_id, row.ticket_id))
                    if card and card[0] < row.id:
                        blocked.add(key)  # news of a ticket waits until its card in this chat has gone out
                        continue
                position[key] += 1
                candidates.append(row)
            taken = set(session.scalars(
                update(Outbox).where(Outbox.id.in_([r.id for r in candidates]), Outbox.status.in_(UNSENT),
                                     Outbox.next_attempt_at <= now)
                .values(status=OutboxStatus.SENDING, next_attempt_at=now + self.lease, attempts=Outbox.attempts + 1)
                .returning(Outbox.id).execution_options(synchronize_session=False)))
            kept, give_back = [], []
            blocked.clear()
            for row in candidates:
                key = line_of(row.channel, row.chat_id, row.ticket_id, row.card_unit_id)
                if row.id not in taken or key in blocked:
                    blocked.add(key)
                    if row.id in taken:
                        give_back.append(row.id)
                    continue
                kept.append(row)
            if give_back:  # never reached on SQLite or with SKIP LOCKED; kept for any other isolation
                session.execute(update(Outbox).where(Outbox.id.in_(give_back)).values(
                    status=OutboxStatus.PENDING, next_attempt_at=now, attempts=Outbox.attempts - 1)
                    .execution_options(synchronize_session=False))
            cards = self._posted_cards(session, kept)
            return [self._claimed(row, cards) for row in kept]

    @staticmethod
    def _posted_cards(session: Session, rows: list[Any]) -> dict[tuple[int, str, str], str]:
        """The message ids of the cards already posted for these rows' tickets (one query)."""
        tickets = {r.ticket_id for r in rows if r.card_unit_id and r.ticket_id is not None}
        if not tickets:
            return {}
        return {(t, c, chat): m for t, c, chat, m in session.execute(
            select(CardMessage.ticket_id, CardMessage.channel, CardMessage.chat_id, CardMessage.message_id)
            .where(CardMessage.ticket_id.in_(tickets)))}

    def release_orphans(self) -> int:
        """SQLite runs one bot process per file: rows left `sending` are a dead process's; send them now."""
        channels = [c.value for c in self.adapters]
        with self.runtime.session_factory() as session, session.begin():
            released = session.execute(
                update(Outbox).where(Outbox.status == OutboxStatus.SENDING, Outbox.channel.in_(channels))
                .values(status=OutboxStatus.PENDING, next_attempt_at=self.clock.now())).rowcount
        if released:
            log.warning("outbox released rows of a dead sender count=%d", released)
        return released

    @staticmethod
    def _claimed(row: Any, cards: dict[tuple[int, str, str], str]) -> Claimed:
        payload = row.payload
        edit = payload.get("edit_message_id")
        if row.card_unit_id and row.ticket_id is not None and not edit:
            edit = cards.get((row.ticket_id, row.channel, row.chat_id))
        message = Outbound(channel=ChannelName(row.channel), chat_id=row.chat_id, text=payload["text"],
                           buttons=buttons_from_json(payload.get("buttons") or []),
                           photos=tuple(payload.get("photos") or ()), edit_message_id=edit,
                           documents=tuple(OutboundDocument(p, n) for p, n in payload.get("documents") or ()))
        return Claimed(row.id, message, row.attempts + 1, row.ticket_id, row.card_unit_id, row.card_role)

    def _until_next_due(self) -> float:
        poll = self.runtime.settings.outbox_poll_seconds
        with self.runtime.session_factory() as session:
            nxt = session.scalar(select(func.min(Outbox.next_attempt_at)).where(Outbox.status.in_(UNSENT)))
        if nxt is None:
            return poll
        return max(0.05, min(poll, (nxt - self.clock.now()).total_seconds()))

    # --- sending ---------------------------------------------------------------------
    def _card_key(self, row: Claimed) -> tuple[int, str, str] | None:
        if row.card_unit_id and row.ticket_id is not None:
            return (row.ticket_id, row.message.channel.value, row.message.chat_id)
        return None

    async def _send(self, row: Claimed) -> tuple[str | None, str | None] | object | None:
        """Deliver one row: (message id, note) when sent, _DONE when marked failed, None to retry later."""
        if self.runtime.settings.staging:
            log.info("outbox staging: not sent id=%s chat=%s", row.id, row.message.chat_id)
            return (None, "staging: not sent")
        message = row.message
        key = self._card_key(row)
        if key is not None and key in self._card_ids:  # the card was posted earlier in this run
            message = replace(message, edit_message_id=self._card_ids[key])
        try:
            message_id = await self.adapters[message.channel].send(message)
        except RetryLater as exc:
            await asyncio.to_thread(self._mark_retry, row, max(exc.retry_after, backoff(row.attempts)), str(exc))
            return None
        except Undeliverable as exc:
            log.warning("outbox undeliverable id=%s chat=%s error=%s", row.id, message.chat_id, exc)
            await asyncio.to_thread(self._mark_failed, row, str(exc))
            return _DONE
        except Exception as exc:  # an adapter bug must not lose the row: retry with backoff
            log.exception("outbox send crashed id=%s", row.id)
            await asyncio.to_thread(self._mark_retry, row, backoff(row.attempts), repr(exc))
            return None
        if key is not None and message_id:
            self._card_ids[key] = str(message_id)
        return (str(message_id) if message_id is not None else None, None)

    def _mark_sent_many(self, sent: list[tuple[Claimed, str | None, str | None]]) -> None:
        """The round's deliveries in one transaction: one executemany UPDATE, one card lookup."""
        if not sent:
            return
        now = self.clock.now()
        with self.runtime.session_factory() as session, session.begin():
            session.connection().execute(
                update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id")).values(
                    status=OutboxStatus.SENT, sent_message_id=bindparam("message_id"), sent_at=now,
                    error=bindparam("note")),
                [{"row_id": row.id, "message_id": message_id, "note": note} for row, message_id, note in sent])
            self._record_cards(session, [(row, message_id) for row, message_id, _ in sent], now)

    def _record_cards(self, session: Session, sent: list[tuple[Claimed, str | None]], now: datetime) -> None:
        """Remember where each card now is (CardMessage), so later changes edit it in place.

        Core statements (one lookup, one executemany each for new and moved
        cards): every round records a card per ticket and unit chat, and
        nothing here needs the rows as objects.
        """
        latest: dict[tuple[int, str, str], tuple[Claimed, str]] = {}
        for row, message_id in sent:  # in sending order: a later row of the same card wins
            if row.card_unit_id and row.ticket_id is not None and message_id:
                latest[(row.ticket_id, row.message.channel.value, row.message.chat_id)] = (row, str(message_id))
        if not latest:
            return
        connection = session.connection()
        existing = {(t, c, chat): card_id for card_id, t, c, chat in connection.execute(
            select(_CARDS.c.id, _CARDS.c.ticket_id, _CARDS.c.channel, _CARDS.c.chat_id)
            .where(_CARDS.c.ticket_id.in_({k[0] for k in latest})))}
        new, moved = [], []
        for key, (row, message_id) in latest.items():
            values = {"message_id": message_id, "unit_id": row.card_unit_id, "updated_at": now}
            if key in existing:
                moved.append({"card_id": existing[key], **values})
            else:
                new.append({"ticket_id": key[0], "channel": key[1], "chat_id": key[2],
                            "role": CardRole(row.card_role or CardRole.LEAD.value), **values})
        if new:
            connection.execute(insert(_CARDS), new)
        if moved:
            connection.execute(update(_CARDS).where(_CARDS.c.id == bindparam("card_id")).values(
                message_id=bindparam("message_id"), unit_id=bindparam("unit_id"),
                updated_at=bindparam("updated_at")), moved)

    def _mark_retry(self, row: Claimed, delay: float, error: str) -> None:
        now = self.clock.now()
        give_up = row.attempts >= self.runtime.settings.outbox_max_attempts
        status = OutboxStatus.FAILED if give_up else OutboxStatus.PENDING
        log.warning("outbox retry id=%s attempts=%d delay=%.1f give_up=%s error=%s", row.id, row.attempts, delay,
                    give_up, error)
        with self.runtime.session_factory() as session, session.begin():
            session.execute(update(Outbox).where(Outbox.id == row.id).values(
                status=status, next_attempt_at=now + timedelta(seconds=delay), error=error))

    def _release(self, rows: list[Claimed]) -> None:
        if not rows:
            return
        with self.runtime.session_factory() as session, session.begin():
            session.execute(update(Outbox).where(Outbox.id.in_([r.id for r in rows])).values(
                status=OutboxStatus.PENDING, next_attempt_at=self.clock.now(), attempts=Outbox.attempts - 1))

    def _mark_failed(self, row: Claimed, error: str) -> None:
        with self.runtime.session_factory() as session, session.begin():
            session.execute(update(Outbox).where(Outbox.id == row.id).values(status=OutboxStatus.FAILED, error=error))
