"""Planning reminders as rows with a unique key, and claiming the due ones exactly once.

Planning inserts with ON CONFLICT DO NOTHING on (subject, recipient, step), so
two instances planning the same thing, or a restart planning it again, add
nothing. `claim_due` locks due rows (PostgreSQL: FOR UPDATE SKIP LOCKED, so a
second ticker takes other rows or none; SQLite: the transaction's BEGIN
IMMEDIATE holds the write lock, and the UPDATE is conditional on `pending`),
and the caller writes the outbox rows in the same transaction. Several due
steps of one subject for one recipient (after downtime) collapse into the
latest one: one message per ticket or duty, never one per missed offset.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from bot.db import InsertIgnoring
from bot.models import Ticket, TicketState
from bot.units import unit_directory
from scheduler.deadlines import Deadlines
from scheduler.models import RecipientKind, Reminder, ReminderStatus, SubjectKind

__all__ = ["PlannedReminder", "insert_reminders", "cancel_subject", "ticket_ladder", "plan_ticket",
           "claim_due", "settle", "overseer_unit", "Step", "CHUNK"]

log = logging.getLogger(__name__)
CHUNK = 500  # rows per INSERT / UPDATE statement (SQLite's variable limit is 32766)
_INSERT_REMINDERS = InsertIgnoring(Reminder.__table__, index_elements=["subject_kind", "subject_id", "recipient", "step"])
OPEN_TICKET_STATES = (TicketState.NEW, TicketState.IN_PROGRESS, TicketState.NEEDS_INFO, TicketState.REOPENED)


class Step:
    """Step names (the key's "which offset"); the deadline's date is appended: "before_3:20260316"."""

    TAKE = "take"
    DUE = "due"
    OVERDUE = "overdue"
    OVERSEER_LATE = "overseer_late"
    CITIZEN_LATE = "citizen_late"

    @staticmethod
    def before(days: int) -> str:
        return f"before_{days}"


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    subject_kind: SubjectKind
    subject_id: str
    recipient_kind: RecipientKind
    recipient: str
    step: str
    unit_id: str | None
    due_at: datetime
    remind_at: datetime
    repeat_days: int = 0

    def row(self, now: datetime) -> dict[str, Any]:
        return {"subject_kind": self.subject_kind.value, "subject_id": self.subject_id,
                "recipient_kind": self.recipient_kind.value, "recipient": self.recipient, "step": self.step,
                "unit_id": self.unit_id, "due_at": self.due_at, "remind_at": self.remind_at,
                "repeat_days": self.repeat_days, "status": ReminderStatus.PENDING.value, "sent_count": 0,
                "late": False, "created_at": now}


def insert_reminders(session: Session, planned: Iterable[PlannedReminder], now: datetime) -> None:
    """Insert, skipping any row whose key already exists (idempotent planning)."""
    rows = [p.row(now) for p in planned]
    if not rows:
        return
    connection = session.connection()  # Core executemany: the ORM's bulk path costs 4x more per filing
    for start in range(0, len(rows), CHUNK):
        connection.execute(_INSERT_REMINDERS.on(connection), rows[start:start + CHUNK])


def cancel_subject(session: Session, kind: SubjectKind, subject_id: str) -> int:
    """Stop every pending reminder of a subject (answered, transferred, closed, submitted)."""
    result = session.execute(update(Reminder).where(
        Reminder.subject_kind == kind, Reminder.subject_id == subject_id,
        Reminder.status == ReminderStatus.PENDING).values(status=ReminderStatus.CANCELLED))
    return result.rowcount or 0


def overseer_unit(session: Session) -> str | None:
    """The Front's unit (role `overseer` in config/units.yaml), from the process's unit directory."""
    return unit_directory(session).overseer


def ticket_ladder(ticket: Ticket, dl: Deadlines, now: datetime, *, take_at: datetime | None,
                  overseer: str | None) -> list[PlannedReminder]:
    """The reminders of one ticket's current deadline, for its current lead unit."""
    sid, unit, due = str(ticket.id), ticket.lead_unit_id, ticket.due_at
    tag = dl.local_date(due).strftime("%Y%m%d")
    due_day = dl.local_date(due)
    out: list[PlannedReminder] = []

    def add(kind: RecipientKind, who: str, step: str, at: datetime, deadline: datetime, repeat: int = 0) -> None:
        out.append(PlannedReminder(SubjectKind.TICKET, sid, kind, who, f"{step}:{tag}", unit, deadline, at, repeat))

    if take_at is not None and ticket.state == TicketState.NEW:
        add(RecipientKind.UNIT, unit, Step.TAKE, dl.at(dl.local_date(take_at), dl.office.remind_time), take_at)
    for days in dl.ladder.before:
        at = dl.at(dl.calendar.add_working_days(due_day, -days), dl.office.remind_time)
        if at > now:
            add(RecipientKind.UNIT, unit, Step.before(days), at, due)
    if dl.ladder.on_due_day:
        add(RecipientKind.UNIT, unit, Step.DUE, dl.at(due_day, dl.office.remind_time), due)
    first_overdue = dl.next_office_morning(due)
    add(RecipientKind.UNIT, unit, Step.OVERDUE, first_overdue, due, dl.ladder.overdue_every)
    if overseer:
        add(RecipientKind.UNIT, overseer, Step.OVERSEER_LATE, first_overdue, due)
    add(RecipientKind.CITIZEN, str(ticket.citizen_id), Step.CITIZEN_LATE, first_overdue, due)
    return out


def plan_ticket(session: Session, ticket: Ticket, dl: Deadlines, now: datetime, *,
                take_at: datetime | None = None, replace: bool = True) -> None:
    """(Re)start a ticket's reminders: the old ladder stops (`replace`), the current one is inserted."""
    if replace:
        cancel_subject(session, SubjectKind.TICKET, str(ticket.id))
    insert_reminders(session, ticket_ladder(ticket, dl, now, take_at=take_at, overseer=overseer_unit(session)), now)


def claim_due(session: Session, now: datetime, *, limit: int | None = None) -> tuple[list[Reminder], list[Reminder]]:
    """Lock the due pending rows; returns (to send, skipped as superseded by a later step).

    Must run inside the transaction that writes the outbox rows and then calls
    `settle` below; on PostgreSQL other tickers skip the rows locked here.
    """
    due = (Reminder.status == ReminderStatus.PENDING, Reminder.remind_at <= now)
    query = select(Reminder).where(*due).order_by(Reminder.remind_at, Reminder.id)
    if limit:
        # a batch takes whole subjects, so the steps of one subject always collapse in one tick
        subjects = session.execute(select(Reminder.subject_kind, Reminder.subject_id).where(*due)
                                   .group_by(Reminder.subject_kind, Reminder.subject_id)
                                   .order_by(func.min(Reminder.remind_at)).limit(limit)).all()
        if not subjects:
            return [], []
        query = query.where(tuple_(Reminder.subject_kind, Reminder.subject_id).in_([tuple(s) for s in subjects]))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    if rows and session.get_bind().dialect.name == "postgresql":
        rows = _whole_subjects(session, rows, due)
    latest: dict[tuple[str, str, str, str], Reminder] = {}
    for row in rows:  # ordered by remind_at: a later row of the same group replaces an earlier one
        family = "digest" if row.subject_kind == SubjectKind.DIGEST else _family(row.step)
        key = (row.subject_kind.value, row.subject_id, row.recipient, family)
        latest[key] = row
    chosen = {id(r) for r in latest.values()}
    return [r for r in rows if id(r) in chosen], [r for r in rows if id(r) not in chosen]


def _whole_subjects(session: Session, rows: list[Reminder], due: tuple) -> list[Reminder]:
    """Keep only subjects whose due rows are ALL locked by us: another ticker holding part of a
    subject would otherwise send a second message for it. A subject split between two tickers
    is left to the next tick (its locks are released at commit)."""
    keys = {(r.subject_kind, r.subject_id) for r in rows}
    total: dict[tuple[Any, str], int] = {}
    listed = sorted(keys)
    for start in range(0, len(listed), CHUNK):
        for kind, sid, n in session.execute(
                select(Reminder.subject_kind, Reminder.subject_id, func.count()).where(
                    *due, tuple_(Reminder.subject_kind, Reminder.subject_id).in_(listed[start:start + CHUNK]))
                .group_by(Reminder.subject_kind, Reminder.subject_id)):
            total[(kind, sid)] = n
    mine: dict[tuple[Any, str], int] = {}
    for r in rows:
        mine[(r.subject_kind, r.subject_id)] = mine.get((r.subject_kind, r.subject_id), 0) + 1
    return [r for r in rows if mine[(r.subject_kind, r.subject_id)] == total.get((r.subject_kind, r.subject_id))]


def _family(step: str) -> str:
    """Steps that collapse together: the unit's ladder is one family; one-off notices stand alone."""
    name = step.split(":", 1)[0]
    return "ladder" if name.startswith("before_") or name in (Step.DUE, Step.OVERDUE, Step.TAKE) else name


def settle(session: Session, sent: list[Reminder], skipped: list[Reminder], dropped: list[Reminder],
           now: datetime, dl: Deadlines) -> None:
    """Mark the claimed rows: sent (or moved to the next day when repeating), skipped, cancelled.

    A repeating row that was superseded keeps going: it is re-armed, not skipped.
    """
    ids_sent = [r.id for r in sent if not r.repeat_days]
    for start in range(0, len(ids_sent), CHUNK):
        chunk = ids_sent[start:start + CHUNK]
        session.execute(update(Reminder).where(Reminder.id.in_(chunk), Reminder.status == ReminderStatus.PENDING)
                        .values(status=ReminderStatus.SENT, sent_at=now, sent_count=Reminder.sent_count + 1)
                        .execution_options(synchronize_session=False))
    late_ids = [r.id for r in sent if not r.repeat_days and now - r.remind_at > dl.office.late_after]
    for start in range(0, len(late_ids), CHUNK):
        session.execute(update(Reminder).where(Reminder.id.in_(late_ids[start:start + CHUNK])).values(late=True)
                        .execution_options(synchronize_session=False))
    sent_ids = {r.id for r in sent}
    repeating = [r for r in sent if r.repeat_days] + [r for r in skipped if r.repeat_days]
    if repeating:
        next_at = {r.repeat_days: dl.next_office_morning(now, r.repeat_days) for r in repeating}
        session.execute(update(Reminder), [
            {"id": r.id, "remind_at": next_at[r.repeat_days], "sent_at": now if r.id in sent_ids else r.sent_at,
             "sent_count": r.sent_count + (1 if r.id in sent_ids else 0),
             "late": now - r.remind_at > dl.office.late_after} for r in repeating])
    for status, rows in ((ReminderStatus.SKIPPED, [r for r in skipped if not r.repeat_days]),
                         (ReminderStatus.CANCELLED, dropped)):
        ids = [r.id for r in rows]
        for start in range(0, len(ids), CHUNK):
            session.execute(update(Reminder).where(Reminder.id.in_(ids[start:start + CHUNK]))
                            .values(status=status).execution_options(synchronize_session=False))
