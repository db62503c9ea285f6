"""Two scheduler instances against one database, ticking together: no reminder is sent twice.

Each instance has its own engine (its own connections), as two processes would;
they tick concurrently from threads released by one barrier, many rounds over a
backlog of due reminders. On PostgreSQL the claims use FOR UPDATE SKIP LOCKED;
on SQLite the writers are serialised by BEGIN IMMEDIATE.
"""
from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.db import make_engine, make_session_factory, transaction
from bot.models import GroupLink, Outbox, Unit
from scheduler.deadlines import default_deadlines
from scheduler.dispatch import tick
from scheduler.digests import plan_digests, render_digest
from scheduler.models import RecipientKind, Reminder, ReminderStatus, SubjectKind
from scheduler.obligations import plan_year

NOW = datetime(2026, 7, 20, 2, 0, tzinfo=UTC)  # Monday 09:00 local, after the H1 report deadline


def _setup(url: str) -> int:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = FixedClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    dl = default_deadlines()
    try:
        with transaction(factory) as s:
            units = [u.id for u in s.scalars(select(Unit).order_by(Unit.id))]
            for n, unit in enumerate(units):
                s.add(GroupLink(channel="telegram", chat_id=f"-{1000 + n}", unit_id=unit, active=True,
                                linked_at=clock.now()))
        plan_year(factory, clock, dl, 2026)  # every unit's reporting duties for the year, with their ladders
        plan_digests(factory, clock, dl)
        with factory() as s:
            return s.scalar(select(func.count()).select_from(Reminder).where(Reminder.remind_at <= NOW)) or 0
    finally:
        engine.dispose()


def test_two_instances_tick_together_and_nothing_is_sent_twice(db_url: str) -> None:
    due = _setup(db_url)
    assert due > 500
    engines = [make_engine(db_url) for _ in range(2)]
    factories = [make_session_factory(e) for e in engines]
    clock, dl = FixedClock(NOW), default_deadlines()
    barrier = threading.Barrier(2)
    sent = [0, 0]
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            for _ in range(30):  # enough rounds for one instance alone to drain the backlog
                barrier.wait(timeout=30)
                sent[k] += tick(factories[k], clock, dl, limit=60, digests=render_digest).sent
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert not errors, errors
        assert sum(sent) > 0  # (which instance did how much depends on timing; duplicates are what matters)
        with factories[0]() as s:
            assert s.scalar(select(func.count()).select_from(Reminder).where(
                Reminder.status == ReminderStatus.PENDING, Reminder.remind_at <= NOW)) == 0
            texts = Counter((r.chat_id, r.payload["text"]) for r in s.scalars(select(Outbox)))
            assert texts and max(texts.values()) == 1  # no chat got the same reminder twice
            per_chat = Counter(chat for chat, _ in texts)
            # after downtime: at most one message per duty and chat (plus the Front's digest)
            open_duties = s.scalar(select(func.count(func.distinct(Reminder.subject_id))).where(
                Reminder.subject_kind == SubjectKind.OBLIGATION, Reminder.sent_count > 0)) or 0
            assert sum(per_chat.values()) <= open_duties + 1 + sum(
                1 for r in s.scalars(select(Reminder).where(Reminder.subject_kind == SubjectKind.DIGEST,
                                                            Reminder.recipient_kind == RecipientKind.UNIT)))
        # a third round later the same morning finds nothing
        assert tick(factories[1], FixedClock(NOW + timedelta(minutes=5)), dl, digests=render_digest).sent == 0
    finally:
        for e in engines:
            e.dispose()
