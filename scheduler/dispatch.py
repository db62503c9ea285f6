"""One tick: claim the due reminders, turn each into outbox rows, settle them — one transaction.

A reminder whose subject has moved on (ticket answered, report submitted, unit
changed) is cancelled here as well, so a missed cancel can never send a stale
reminder. Rendering loads subjects in batches: a tick with 10,000 due rows
makes a handful of queries, not 10,000.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Button
from bot.clock import Clock
from bot.db import transaction
from bot.models import Citizen, Ticket, TicketState
from bot.tickets.cards import format_date, unit_name
from bot.tickets.notify import notify_citizen, notify_unit, unit_chats
from handlers import texts_reports as tr
from scheduler.deadlines import Deadlines
from scheduler.digests import Digest
from scheduler.models import Obligation, ObligationStatus, Reminder, SubjectKind
from scheduler.reminders import CHUNK, OPEN_TICKET_STATES, Step, claim_due, settle
from scheduler.report_attach import WITH_STATS, WORKBOOKS_PER_TICK, never_sent, notify_with_document, workbook_for

__all__ = ["TickResult", "tick", "DigestRenderer"]

log = logging.getLogger(__name__)
SNIPPET = 200
DigestRenderer = Callable[[Session, Reminder, datetime], Digest | None]  # None: nothing to say


@dataclass(frozen=True, slots=True)
class TickResult:
    sent: int
    skipped: int
    cancelled: int
    outbox_rows: int


def _load(session: Session, model: type, ids: set[int]) -> dict[int, object]:
    out: dict[int, object] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        for obj in session.scalars(select(model).where(model.id.in_(ordered[start:start + CHUNK]))):
            out[obj.id] = obj
    return out


def _ticket_text(session: Session, r: Reminder, t: Ticket, dl: Deadlines, now: datetime) -> str | None:
    step = r.step.split(":", 1)[0]
    if t.state not in OPEN_TICKET_STATES or t.due_at != r.due_at and step != Step.TAKE:
        return None
    if step != Step.OVERSEER_LATE and r.unit_id != t.lead_unit_id:
        return None  # transferred: the new unit has its own ladder
    due, text = format_date(t.due_at), t.text[:SNIPPET]
    if step == Step.TAKE:
        return tr.TICKET_TAKE.format(code=t.code, take=format_date(r.due_at), due=due, text=text) \
            if t.state == TicketState.NEW else None
    if step.startswith("before_"):
        return tr.TICKET_BEFORE.format(code=t.code, days=step.split("_", 1)[1], due=due, text=text)
    if step == Step.DUE:
        return tr.TICKET_DUE.format(code=t.code, due=due, text=text)
    if step == Step.OVERDUE:
        days = max(1, dl.calendar.working_days_between(dl.local_date(t.due_at), dl.local_date(now)))
        return tr.TICKET_OVERDUE.format(code=t.code, due=due, days=days, text=text)
    if step == Step.OVERSEER_LATE:
        return tr.OVERSEER_LATE.format(code=t.code, unit=unit_name(session, t.lead_unit_id), due=due)
    if step == Step.CITIZEN_LATE:
        return tr.CITIZEN_LATE.format(code=t.code, due=due, unit=unit_name(session, t.lead_unit_id))
    return None


def _duty_text(session: Session, r: Reminder, o: Obligation, dl: Deadlines, now: datetime) -> str | None:
    if o.status != ObligationStatus.OPEN:
        return None
    step = r.step.split(":", 1)[0]
    fields = {"title": o.title, "period": o.period, "unit": unit_name(session, o.unit_id), "due": format_date(o.due_at)}
    if step.startswith("before_"):
        return tr.DUTY_BEFORE.format(days=step.split("_", 1)[1], **fields)
    if step == Step.DUE:
        return tr.DUTY_DUE.format(**fields)
    return tr.DUTY_OVERDUE.format(**fields)


def tick(factory: sessionmaker[Session], clock: Clock, dl: Deadlines, *, limit: int | None = None,
         digests: DigestRenderer | None = None) -> TickResult:
    """Send what is due now, once, and re-arm the repeating reminders."""
    now = clock.now()
    with transaction(factory) as session:
        send, skipped = claim_due(session, now, limit=limit)
        if not send and not skipped:
            return TickResult(0, 0, 0, 0)
        tickets = _load(session, Ticket, {int(r.subject_id) for r in send if r.subject_kind == SubjectKind.TICKET})
        duties = _load(session, Obligation, {int(r.subject_id) for r in send
                                             if r.subject_kind == SubjectKind.OBLIGATION})
        citizens = _load(session, Citizen, {int(r.recipient) for r in send if r.recipient_kind.value == "citizen"})
        sent, dropped, rows = [], [], 0
        first = never_sent(session, {r.subject_id for r in send if r.subject_kind == SubjectKind.OBLIGATION
                                     and getattr(duties.get(int(r.subject_id)), "duty", None) in WITH_STATS})
        workbooks = deferred = 0
        session.autoflush = False  # ORM changes made here are flushed once at commit, not before each lookup
        for r in send:
            text: str | None = None
            buttons: tuple[tuple[Button, ...], ...] = ()  # only a digest has some
            if r.subject_kind == SubjectKind.TICKET and int(r.subject_id) in tickets:
                text = _ticket_text(session, r, tickets[int(r.subject_id)], dl, now)  # type: ignore[arg-type]
            elif r.subject_kind == SubjectKind.OBLIGATION and int(r.subject_id) in duties:
                text = _duty_text(session, r, duties[int(r.subject_id)], dl, now)  # type: ignore[arg-type]
            elif r.subject_kind == SubjectKind.DIGEST and digests is not None:
                text, buttons = digests(session, r, now) or (None, ())
            if text is None:
                dropped.append(r)
                continue
            if now - r.remind_at > dl.office.late_after:
                text = tr.LATE_PREFIX + text
            ticket_id = int(r.subject_id) if r.subject_kind == SubjectKind.TICKET else None
            if r.recipient_kind.value == "citizen":
                citizen = citizens.get(int(r.recipient))
                if citizen is not None:
                    notify_citizen(session, citizen, text, now=now, ticket_id=ticket_id)  # type: ignore[arg-type]
                    rows += 1
            elif (r.subject_id in first and r.subject_kind == SubjectKind.OBLIGATION
                  and unit_chats(session, r.recipient)):  # a first reminder: with the statistics workbook
                if workbooks >= WORKBOOKS_PER_TICK:
                    deferred += 1
                    continue  # left pending: the next tick writes its workbook
                workbooks += 1
                doc = workbook_for(session, duties[int(r.subject_id)], now=now, tz=dl.tz)  # type: ignore[arg-type]
                rows += notify_with_document(session, r.recipient, text, doc, now=now) if doc else \
                    notify_unit(session, r.recipient, text, now=now)
            else:
                rows += notify_unit(session, r.recipient, text, now=now, ticket_id=ticket_id, buttons=buttons)
            sent.append(r)
        repeat_dropped = [r for r in dropped if r.repeat_days and r.subject_kind == SubjectKind.DIGEST]
        dropped = [r for r in dropped if r not in repeat_dropped]
        settle(session, sent, skipped + repeat_dropped, dropped, now, dl)
    log.info("scheduler tick sent=%d skipped=%d cancelled=%d outbox=%d deferred_for_workbook=%d", len(sent),
             len(skipped), len(dropped), rows, deferred)
    return TickResult(len(sent), len(skipped), len(dropped), rows)
