"""What every transition shares: loading and locking, rights, the audit row, cards."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.channels.base import ChannelName, Outbound
from bot.clock import Clock
from bot.config import Settings
from bot.errors import NotAllowed, StaleAction, TicketNotFound
from bot.models import ActorKind, CardMessage, CardRole, Citizen, EventType, Official, Outbox, Ticket, TicketEvent
from bot.tickets.cards import coordinating_buttons, lead_buttons, render_card
from bot.tickets.notify import enqueue_many, outbox_row, unit_chats
from bot.tickets.states import Action, check_transition
from nlp.routing import Router

__all__ = ["Deps", "lock_ticket", "require_lead_official", "require_owner", "check_version", "advance",
           "record_event", "post_cards", "refresh_cards"]


_INSERT_EVENT = insert(TicketEvent.__table__)


@dataclass(frozen=True, slots=True)
class Deps:
    """What transitions need besides the session; injected, never global."""

    settings: Settings
    clock: Clock
    router: Router


def lock_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket, row-locked on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises writers)."""
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
    if ticket is None:
        raise TicketNotFound(ref=str(ticket_id))
    return ticket


def require_lead_official(ticket: Ticket, official: Official | None) -> Official:
    if official is None or not official.active:
        raise NotAllowed(ticket_id=ticket.id, actor="unknown", reason="not_enrolled")
    if official.unit_id != ticket.lead_unit_id:
        reason = "coordinating" if official.unit_id in (ticket.coordinating_units or ()) else "outsider"
        raise NotAllowed(ticket_id=ticket.id, actor=f"official:{official.id}", reason=reason)
    return official


def require_owner(ticket: Ticket, citizen: Citizen) -> None:
    if ticket.citizen_id != citizen.id:
        raise TicketNotFound(ref=ticket.code)


def check_version(ticket: Ticket, version: int) -> None:
    if version != ticket.version:
        raise StaleAction(ticket_id=ticket.id, expected=version, current=ticket.version)


def advance(ticket: Ticket, action: Action, deps: Deps) -> str:
    """Apply the transition table; returns the previous state's value for the audit."""
    before = ticket.state
    ticket.state = check_transition(ticket.id, before, action)
    ticket.version += 1
    ticket.updated_at = deps.clock.now()
    return before.value


def record_event(session: Session, ticket: Ticket, event_type: EventType, /, *, actor_kind: ActorKind,
                 actor_id: int | None, before: str | None, deps: Deps, **data: Any) -> None:
    """The audit row, inserted at once (Core: nothing reads it back as an object in this transaction)."""
    session.connection().execute(_INSERT_EVENT, {
        "ticket_id": ticket.id, "type": event_type, "actor_kind": actor_kind, "actor_id": actor_id,
        "state_before": before, "state_after": ticket.state.value, "data": data, "at": deps.clock.now()})


def _card(session: Session, ticket: Ticket, role: CardRole, unit_id: str) -> tuple[str, tuple]:
    if role == CardRole.COORDINATING:
        return render_card(session, ticket, for_lead=False), coordinating_buttons(ticket)
    if unit_id != ticket.lead_unit_id:
        return render_card(session, ticket, for_lead=True, moved_to=ticket.lead_unit_id), ()
    return render_card(session, ticket, for_lead=True), lead_buttons(ticket)


def post_cards(session: Session, ticket: Ticket, deps: Deps, *, units: list[tuple[str, CardRole]]) -> None:
    """A new card in every chat of each (unit, role)."""
    now = deps.clock.now()
    photos = tuple(a["file_id"] for a in ticket.attachments if a.get("kind") == "photo")
    rows = []
    for unit_id, role in units:
        text, buttons = _card(session, ticket, role, unit_id)
        for chat in unit_chats(session, unit_id):
            if chat.channel.value != ticket.channel:
                photos_here: tuple[str, ...] = ()  # file ids are only valid on their own platform
            else:
                photos_here = photos
            rows.append(outbox_row(Outbound(chat.channel, chat.chat_id, text, buttons, photos_here), now=now,
                                   ticket_id=ticket.id, card_unit_id=unit_id, card_role=role))
    enqueue_many(session, rows)


def refresh_cards(session: Session, ticket: Ticket, deps: Deps) -> None:
    """Re-render every card of the ticket already posted (or queued) and queue an edit."""
    session.flush()
    seen: dict[tuple[str, str], tuple[str, CardRole]] = {}
    for row in session.execute(select(Outbox.channel, Outbox.chat_id, Outbox.card_unit_id, Outbox.card_role)
                               .where(Outbox.ticket_id == ticket.id, Outbox.card_unit_id.is_not(None))
                               .order_by(Outbox.id)):
        seen[(row.channel, row.chat_id)] = (row.card_unit_id, CardRole(row.card_role))
    for card in session.scalars(select(CardMessage).where(CardMessage.ticket_id == ticket.id)):
        seen.setdefault((card.channel, card.chat_id), (card.unit_id, card.role))
    now = deps.clock.now()
    rows = []
    for (channel, chat_id), (unit_id, role) in seen.items():
        text, buttons = _card(session, ticket, role, unit_id)
        rows.append(outbox_row(Outbound(ChannelName(channel), chat_id, text, buttons), now=now,
                               ticket_id=ticket.id, card_unit_id=unit_id, card_role=role))
    enqueue_many(session, rows)
