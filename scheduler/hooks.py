"""What ticket transitions call, inside their own transaction, to keep the deadline ladder right.

Kept apart from bot/tickets so that the ticket code only needs three calls:
a new ticket and a transfer or reopening start a clock, an answer/refusal/close stops it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.models import Ticket
from scheduler.deadlines import default_deadlines
from scheduler.models import SubjectKind
from scheduler.reminders import cancel_subject, plan_ticket

__all__ = ["answer_due", "start_ticket_clock", "stop_ticket_clock"]


def answer_due(kind: str, start: datetime, timezone: str) -> datetime:
    """When the answer to a ticket of `kind` received at `start` is due (config/deadlines.yaml)."""
    return default_deadlines(timezone).for_ticket(kind, start).answer_at


def start_ticket_clock(session: Session, ticket: Ticket, now: datetime, timezone: str) -> None:
    """Set the due date from `now` (filing, transfer to a new unit, reopening) and plan its reminders."""
    dl = default_deadlines(timezone)
    deadlines = dl.for_ticket(ticket.kind, now)
    ticket.due_at = deadlines.answer_at
    session.flush()
    plan_ticket(session, ticket, dl, now, take_at=deadlines.take_at)


def stop_ticket_clock(session: Session, ticket: Ticket) -> None:
    """Answered, refused or closed: no more reminders about this ticket."""
    cancel_subject(session, SubjectKind.TICKET, str(ticket.id))
