"""What ticket transitions call, inside their own transaction, to keep the deadline ladder right.

Kept apart from bot/tickets so that the ticket code only needs three calls:
a new ticket and a transfer or reopening start a clock, an answer/refusal/close stops it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.models import Ticket
from scheduler.deadlines import TicketDeadlines, default_deadlines
from scheduler.models import SubjectKind
from scheduler.reminders import cancel_subject, plan_ticket

__all__ = ["answer_due", "ticket_deadlines", "start_ticket_clock", "stop_ticket_clock"]


def ticket_deadlines(kind: str, start: datetime, timezone: str) -> TicketDeadlines:
    """When a ticket of `kind` received at `start` must be taken and answered (config/deadlines.yaml)."""
    return default_deadlines(timezone).for_ticket(kind, start)


def answer_due(kind: str, start: datetime, timezone: str) -> datetime:
    """When the answer to a ticket of `kind` received at `start` is due."""
    return ticket_deadlines(kind, start, timezone).answer_at


def start_ticket_clock(session: Session, ticket: Ticket, now: datetime, timezone: str, *,
                       deadlines: TicketDeadlines | None = None, new: bool = False) -> None:
    """Set the due date from `now` (filing, transfer to a new unit, reopening) and plan its reminders.

    `deadlines`: already computed by the caller (filing needs the due date to
    create the row). `new`: the ticket was created in this transaction, so
    there is no earlier ladder to cancel.
    """
    dl = default_deadlines(timezone)
    deadlines = deadlines or dl.for_ticket(ticket.kind, now)
    if ticket.due_at != deadlines.answer_at:  # a new ticket has it already: no change for the flush to find
        ticket.due_at = deadlines.answer_at
    plan_ticket(session, ticket, dl, now, take_at=deadlines.take_at, replace=not new)


def stop_ticket_clock(session: Session, ticket: Ticket) -> None:
    """Answered, refused or closed: no more reminders about this ticket."""
    cancel_subject(session, SubjectKind.TICKET, str(ticket.id))
