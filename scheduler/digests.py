"""Digests: the Front's daily summary of tickets, and Home Affairs' summary of a reporting duty.

A digest is a reminder row like any other (subject "digest"), so it is sent
once per day across instances; the Front's row repeats every working day and
covers the time since it was last sent, so an outage gives one longer digest,
not one per missed day. Its text is computed when it is sent, with a button per
listed ticket (up to MAX_BUTTONS) that shows the ticket in the Front's chat.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Button, button_rows
from bot.clock import Clock
from bot.db import transaction
from bot.models import Ticket
from bot.tickets.callbacks import OFFICIAL, SHOW, CallbackData
from bot.tickets.cards import format_date, format_time, unit_short
from handlers import texts_reports as tr
from scheduler.deadlines import Deadlines
from scheduler.models import RecipientKind, Reminder, SubjectKind
from scheduler.reminders import OPEN_TICKET_STATES, PlannedReminder, insert_reminders, overseer_unit

__all__ = ["plan_digests", "render_digest", "front_digest", "Digest", "FRONT", "MAX_LINES", "MAX_BUTTONS"]

FRONT = "front"
MAX_LINES = 20  # per section; the rest is counted, and /phieu CODE opens any ticket
MAX_BUTTONS = 12  # "open" buttons under the Front's digest: overdue first, then new, then answered
BUTTONS_PER_ROW = 3
Digest = tuple[str, tuple[tuple[Button, ...], ...]]  # the text and its buttons


def plan_digests(factory: sessionmaker[Session], clock: Clock, dl: Deadlines) -> None:
    """The Front's daily digest row (one, repeating): first sent at the next office morning."""
    now = clock.now()
    with transaction(factory) as session:
        front = overseer_unit(session)
        if front is None:
            return
        today = dl.at(dl.local_date(now), dl.office.remind_time)
        first = today if today > now and dl.calendar.is_working_day(today.date()) else dl.next_office_morning(now)
        insert_reminders(session, [PlannedReminder(SubjectKind.DIGEST, FRONT, RecipientKind.UNIT, front, "daily",
                                                   front, first, first, 1)], now)


def _lines(session: Session, tickets: list[Ticket]) -> list[str]:
    out = [tr.FRONT_DIGEST_LINE.format(code=t.code, unit=unit_short(session, t.lead_unit_id),
                                       due=format_date(t.due_at)) for t in tickets[:MAX_LINES]]
    if len(tickets) > MAX_LINES:
        out.append(tr.DIGEST_MORE.format(n=len(tickets) - MAX_LINES))
    return out


def _open_buttons(tickets: list[Ticket]) -> tuple[tuple[Button, ...], ...]:
    """One button per ticket, each showing it in the chat where it is pressed (handlers/official.py)."""
    buttons = [Button(t.code, CallbackData(OFFICIAL, t.id, SHOW, 0).encode())
               for t in {t.id: t for t in tickets}.values()][:MAX_BUTTONS]
    return button_rows(buttons, BUTTONS_PER_ROW)


def front_digest(session: Session, since: datetime, now: datetime) -> Digest:
    """New, answered and currently overdue tickets since `since`, with buttons to open them."""
    new = list(session.scalars(select(Ticket).where(Ticket.created_at >= since, Ticket.created_at < now)
                               .order_by(Ticket.id)))
    answered = list(session.scalars(select(Ticket).where(Ticket.answered_at >= since, Ticket.answered_at < now)
                                    .order_by(Ticket.answered_at)))
    overdue = list(session.scalars(select(Ticket).where(Ticket.state.in_(OPEN_TICKET_STATES), Ticket.due_at < now)
                                   .order_by(Ticket.due_at)))
    parts = [tr.FRONT_DIGEST_HEAD.format(since=format_time(since), until=format_time(now)),
             tr.FRONT_DIGEST_COUNTS.format(new=len(new), answered=len(answered), overdue=len(overdue))]
    for head, rows in ((tr.FRONT_DIGEST_OVERDUE, overdue), (tr.FRONT_DIGEST_NEW, new),
                       (tr.FRONT_DIGEST_ANSWERED, answered)):
        if rows:
            parts += ["", head, *_lines(session, rows)]
    parts += ["", tr.FRONT_DIGEST_HINT]
    return "\n".join(parts), _open_buttons(overdue + new + answered)


def render_digest(session: Session, reminder: Reminder, now: datetime) -> Digest | None:
    """A digest reminder's text and buttons, or None when there is nothing to say (the row is re-armed)."""
    if reminder.subject_id == FRONT:
        since = reminder.sent_at or now - timedelta(days=1)
        return front_digest(session, since, now)
    if reminder.subject_id.startswith("duty:"):
        from scheduler.obligations import duty_digest  # the reporting side is optional to the ticket side

        text = duty_digest(session, reminder, now)
        return (text, ()) if text is not None else None
    return None


def count_open(session: Session) -> int:
    return session.scalar(select(func.count(Ticket.id)).where(Ticket.state.in_(OPEN_TICKET_STATES))) or 0
