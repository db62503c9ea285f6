"""What the citizen does to a ticket after filing it: add information, rate, reopen."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.base import Button, Outbound
from bot.errors import InvalidTransition
from bot.models import ActorKind, Citizen, EventType, Ticket, TicketState
from bot.tickets.callbacks import CallbackData
from bot.tickets.common import Deps, advance, check_version, lock_ticket, record_event, refresh_cards, require_owner
from bot.tickets.notify import enqueue_many, notify_unit, outbox_row, unit_chats
from bot.tickets.states import OPEN_STATES, Action, check_transition
from handlers import texts_citizen as tc
from handlers import texts_official as to
from scheduler.hooks import start_ticket_clock

__all__ = ["add_citizen_info", "attach_photos", "recent_open_ticket", "rate_ticket", "reopen_ticket", "reopen_buttons", "can_reopen"]

LOW_RATING = 3  # a rating at or below this offers the citizen to reopen


def add_citizen_info(session: Session, deps: Deps, ticket_id: int, *, citizen: Citizen, text: str,
                     attachments: list[dict[str, Any]] | None = None) -> Ticket:
    ticket = lock_ticket(session, ticket_id)
    require_owner(ticket, citizen)
    before = advance(ticket, Action.ADD_INFO, deps)
    if attachments:
        ticket.attachments = [*ticket.attachments, *attachments]
    citizen.step, citizen.step_data = "idle", {}
    record_event(session, ticket, EventType.INFO_ADDED, actor_kind=ActorKind.CITIZEN, actor_id=citizen.id,
                 before=before, deps=deps, text=text, attachments=len(attachments or ()))
    notify_unit(session, ticket.lead_unit_id, to.INFO_NOTICE.format(code=ticket.code, text=text),
                now=deps.clock.now(), ticket_id=ticket.id)
    refresh_cards(session, ticket, deps)
    return ticket


ALBUM_WINDOW = timedelta(minutes=2)


def recent_open_ticket(session: Session, citizen: Citizen, deps: Deps) -> Ticket | None:
    """The citizen's ticket filed moments ago: photos arriving now belong to it
    (a Telegram album comes as one message per photo, the caption on the first)."""
    ticket = session.scalar(select(Ticket).where(Ticket.citizen_id == citizen.id).order_by(Ticket.id.desc()).limit(1))
    if ticket is None or ticket.state not in OPEN_STATES or ticket.created_at < deps.clock.now() - ALBUM_WINDOW:
        return None
    return ticket


def attach_photos(session: Session, deps: Deps, ticket_id: int, *, citizen: Citizen,
                  attachments: list[dict[str, Any]]) -> Ticket:
    """Photos added to an open ticket; the state does not change, the lead unit gets them."""
    ticket = lock_ticket(session, ticket_id)
    require_owner(ticket, citizen)
    check_transition(ticket.id, ticket.state, Action.OPINION)  # any open state
    ticket.attachments = [*ticket.attachments, *attachments]
    ticket.updated_at = deps.clock.now()
    record_event(session, ticket, EventType.PHOTOS_ADDED, actor_kind=ActorKind.CITIZEN, actor_id=citizen.id,
                 before=ticket.state.value, deps=deps, attachments=len(attachments))
    photos = tuple(a["file_id"] for a in attachments if a.get("kind") == "photo")
    notice, now = to.PHOTOS_NOTICE.format(code=ticket.code), deps.clock.now()
    enqueue_many(session, [  # the lead unit's chats on the citizen's platform: file ids are only valid there
        outbox_row(Outbound(chat.channel, chat.chat_id, notice, photos=photos), now=now, ticket_id=ticket.id)
        for chat in unit_chats(session, ticket.lead_unit_id) if chat.channel.value == ticket.channel])
    refresh_cards(session, ticket, deps)
    return ticket


def can_reopen(ticket: Ticket) -> bool:
    return ticket.reopened_count == 0 and ticket.state in (TicketState.ANSWERED, TicketState.CLOSED)


def reopen_buttons(ticket: Ticket) -> tuple[tuple[Button, ...], ...]:
    data = CallbackData("c", ticket.id, Action.REOPEN, ticket.version).encode()
    return ((Button(tc.BTN_REOPEN, data),),)


def rate_ticket(session: Session, deps: Deps, ticket_id: int, *, citizen: Citizen, version: int,
                rating: int) -> Ticket:
    if not 1 <= rating <= 5:
        raise ValueError(f"rating out of range: {rating}")
    ticket = lock_ticket(session, ticket_id)
    require_owner(ticket, citizen)
    check_version(ticket, version)
    before = advance(ticket, Action.RATE, deps)
    ticket.rating, ticket.closed_at = rating, deps.clock.now()
    record_event(session, ticket, EventType.RATED, actor_kind=ActorKind.CITIZEN, actor_id=citizen.id,
                 before=before, deps=deps, rating=rating)
    refresh_cards(session, ticket, deps)
    return ticket


def check_reopen(session: Session, ticket_id: int, *, citizen: Citizen, version: int) -> Ticket:
    """Checks of reopening without doing it (the reason is asked for next)."""
    ticket = lock_ticket(session, ticket_id)
    require_owner(ticket, citizen)
    check_version(ticket, version)
    check_transition(ticket.id, ticket.state, Action.REOPEN)
    if ticket.reopened_count >= 1:
        raise InvalidTransition(ticket_id=ticket.id, state=ticket.state.value, action="reopen_again")
    return ticket


def reopen_ticket(session: Session, deps: Deps, ticket_id: int, *, citizen: Citizen, version: int,
                  reason: str) -> Ticket:
    """Unsatisfied: back to the lead unit, once, with a new due date."""
    ticket = check_reopen(session, ticket_id, citizen=citizen, version=version)
    before = advance(ticket, Action.REOPEN, deps)
    now = deps.clock.now()
    ticket.reopened_count += 1
    ticket.closed_at, ticket.taken_by_id = None, None
    start_ticket_clock(session, ticket, now, deps.settings.timezone)  # a fresh working-day deadline
    record_event(session, ticket, EventType.REOPENED, actor_kind=ActorKind.CITIZEN, actor_id=citizen.id,
                 before=before, deps=deps, reason=reason, rating=ticket.rating)
    notify_unit(session, ticket.lead_unit_id, to.REOPEN_NOTICE.format(code=ticket.code, text=reason),
                now=now, ticket_id=ticket.id)
    refresh_cards(session, ticket, deps)
    return ticket
