"""What officials do to a ticket: one function per transition.

Each checks the actor's right (an enrolled, active official of the unit that
holds the ticket; coordinating units may only add opinions), the button's
version and the state table, then writes the change, the audit row, the
citizen's notification and the card edits — in the caller's one transaction.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.base import Button
from bot.errors import InvalidTransition, NotAllowed
from bot.models import (
    ActorKind, CardRole, Citizen, CoordinationOpinion, EventType, Official, Ticket, TicketEvent, Unit,
)
from bot.tickets.callbacks import CallbackData
from bot.tickets.cards import unit_name
from bot.tickets.common import (
    Deps, advance, check_version, lock_ticket, post_cards, record_event, refresh_cards, require_lead_official,
)
from bot.tickets.notify import notify_citizen, notify_unit
from bot.tickets.states import OPEN_STATES, Action, check_transition
from handlers import texts_citizen as tc
from handlers import texts_official as to
from scheduler.hooks import start_ticket_clock, stop_ticket_clock

__all__ = ["check_official_action", "take_ticket", "request_info", "transfer_ticket", "answer_ticket",
           "reject_ticket", "add_coordination_opinion", "rating_buttons"]

log = logging.getLogger(__name__)


def _prepare(session: Session, ticket_id: int, official: Official | None, version: int, action: Action) -> Ticket:
    ticket = lock_ticket(session, ticket_id)
    require_lead_official(ticket, official)
    check_version(ticket, version)
    check_transition(ticket.id, ticket.state, action)
    return ticket


def check_official_action(session: Session, ticket_id: int, *, official: Official | None, version: int,
                          action: Action) -> Ticket:
    """The checks of `action` without doing it: a button that opens a step (answer,
    reason) is refused at the press, not after the official has typed."""
    return _prepare(session, ticket_id, official, version, action)


def _citizen(session: Session, ticket: Ticket) -> Citizen:
    citizen = session.get(Citizen, ticket.citizen_id)
    assert citizen is not None  # foreign key
    return citizen


def take_ticket(session: Session, deps: Deps, ticket_id: int, *, official: Official, version: int) -> Ticket:
    ticket = _prepare(session, ticket_id, official, version, Action.TAKE)
    before = advance(ticket, Action.TAKE, deps)
    ticket.taken_by_id = official.id
    record_event(session, ticket, EventType.TAKEN, actor_kind=ActorKind.OFFICIAL, actor_id=official.id,
                 before=before, deps=deps, unit=official.unit_id)
    notify_citizen(session, _citizen(session, ticket), tc.taken(ticket.code, unit_name(session, ticket.lead_unit_id)),
                   now=deps.clock.now(), ticket_id=ticket.id)
    refresh_cards(session, ticket, deps)
    return ticket


def request_info(session: Session, deps: Deps, ticket_id: int, *, official: Official, version: int,
                 question: str) -> Ticket:
    """Ask the citizen for more; their next message is added to this ticket."""
    ticket = _prepare(session, ticket_id, official, version, Action.REQUEST_INFO)
    before = advance(ticket, Action.REQUEST_INFO, deps)
    ticket.taken_by_id = ticket.taken_by_id or official.id
    record_event(session, ticket, EventType.INFO_REQUESTED, actor_kind=ActorKind.OFFICIAL, actor_id=official.id,
                 before=before, deps=deps, question=question)
    citizen = _citizen(session, ticket)
    citizen.step, citizen.step_data = "awaiting_info", {"ticket_id": ticket.id}
    notify_citizen(session, citizen, tc.info_requested(ticket.code, unit_name(session, ticket.lead_unit_id), question),
                   now=deps.clock.now(), ticket_id=ticket.id)
    refresh_cards(session, ticket, deps)
    return ticket


def transfer_ticket(session: Session, deps: Deps, ticket_id: int, *, official: Official, version: int,
                    to_unit: str, reason: str) -> Ticket:
    """Move the ticket to another unit. Recorded as a correction of the routing:
    the event keeps the labels, the old and the new lead, and the reason."""
    ticket = _prepare(session, ticket_id, official, version, Action.TRANSFER)
    target = session.get(Unit, to_unit)
    if target is None or not target.active or to_unit == ticket.lead_unit_id:
        raise InvalidTransition(ticket_id=ticket.id, state=ticket.state.value, action="transfer:" + to_unit)
    from_unit = ticket.lead_unit_id
    before = advance(ticket, Action.TRANSFER, deps)
    ticket.lead_unit_id, ticket.taken_by_id = to_unit, None
    ticket.coordinating_units = [u for u in ticket.coordinating_units if u != to_unit]
    start_ticket_clock(session, ticket, deps.clock.now(), deps.settings.timezone)  # the new unit's clock starts
    record_event(session, ticket, EventType.TRANSFERRED, actor_kind=ActorKind.OFFICIAL, actor_id=official.id,
                 before=before, deps=deps, from_unit=from_unit, to_unit=to_unit, reason=reason,
                 correction=True, routed_unit=_routed_unit(session, ticket), category=ticket.category,
                 groups=list(ticket.groups), kind=ticket.kind, location_code=ticket.location_code,
                 confidence=ticket.confidence)
    citizen = _citizen(session, ticket)
    _end_info_wait(citizen, ticket)
    notify_citizen(session, citizen, tc.transferred(ticket.code, target.name), now=deps.clock.now(),
                   ticket_id=ticket.id)
    refresh_cards(session, ticket, deps)
    post_cards(session, ticket, deps, units=[(to_unit, CardRole.LEAD)])
    log.info("ticket transferred id=%s from=%s to=%s", ticket.id, from_unit, to_unit)
    return ticket


def _end_info_wait(citizen: Citizen, ticket: Ticket) -> None:
    """The ticket moved on: the citizen's next message is no longer added to it."""
    if citizen.step == "awaiting_info" and citizen.step_data.get("ticket_id") == ticket.id:
        citizen.step, citizen.step_data = "idle", {}


def _routed_unit(session: Session, ticket: Ticket) -> str | None:
    """The lead unit the analysis chose when the ticket was filed (what a transfer corrects)."""
    filed = session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                     TicketEvent.type == EventType.FILED))
    return filed.data.get("analysis", {}).get("lead_unit") if filed else None


def rating_buttons(ticket: Ticket) -> tuple[tuple[Button, ...], ...]:
    rates = tuple(Button(str(n), CallbackData("c", ticket.id, Action.RATE, ticket.version, str(n)).encode())
                  for n in range(1, 6))
    return (rates,)


def answer_ticket(session: Session, deps: Deps, ticket_id: int, *, official: Official, version: int,
                  answer: str) -> Ticket:
    ticket = _prepare(session, ticket_id, official, version, Action.ANSWER)
    before = advance(ticket, Action.ANSWER, deps)
    now = deps.clock.now()
    ticket.answer_text, ticket.answered_at = answer, now
    ticket.taken_by_id = ticket.taken_by_id or official.id
    stop_ticket_clock(session, ticket)
    record_event(session, ticket, EventType.ANSWERED, actor_kind=ActorKind.OFFICIAL, actor_id=official.id,
                 before=before, deps=deps, answer=answer)
    citizen = _citizen(session, ticket)
    _end_info_wait(citizen, ticket)
    notify_citizen(session, citizen, tc.answered(ticket.code, unit_name(session, ticket.lead_unit_id), answer),
                   now=now, ticket_id=ticket.id, buttons=rating_buttons(ticket))
    refresh_cards(session, ticket, deps)
    return ticket


def reject_ticket(session: Session, deps: Deps, ticket_id: int, *, official: Official, version: int,
                  reason: str) -> Ticket:
    ticket = _prepare(session, ticket_id, official, version, Action.REJECT)
    before = advance(ticket, Action.REJECT, deps)
    ticket.closed_at = deps.clock.now()
    stop_ticket_clock(session, ticket)
    record_event(session, ticket, EventType.REJECTED, actor_kind=ActorKind.OFFICIAL, actor_id=official.id,
                 before=before, deps=deps, reason=reason)
    citizen = _citizen(session, ticket)
    _end_info_wait(citizen, ticket)
    notify_citizen(session, citizen, tc.rejected(ticket.code, unit_name(session, ticket.lead_unit_id), reason),
                   now=deps.clock.now(), ticket_id=ticket.id)
    refresh_cards(session, ticket, deps)
    return ticket


def check_opinion_right(ticket: Ticket, official: Official | None) -> Official:
    if official is None or not official.active:
        raise NotAllowed(ticket_id=ticket.id, actor="unknown", reason="not_enrolled")
    if official.unit_id not in (ticket.coordinating_units or ()) and official.unit_id != ticket.overseer_id:
        raise NotAllowed(ticket_id=ticket.id, actor=f"official:{official.id}", reason="not_coordinating")
    if ticket.state not in OPEN_STATES:
        raise InvalidTransition(ticket_id=ticket.id, state=ticket.state.value, action=Action.OPINION.value)
    return official


def add_coordination_opinion(session: Session, deps: Deps, ticket_id: int, *, official: Official,
                             text: str) -> Ticket:
    """A coordinating organisation's opinion: shown to the lead unit, the state does not change."""
    ticket = lock_ticket(session, ticket_id)
    check_opinion_right(ticket, official)
    now = deps.clock.now()
    session.add(CoordinationOpinion(ticket_id=ticket.id, unit_id=official.unit_id, official_id=official.id,
                                    text=text, at=now))
    record_event(session, ticket, EventType.OPINION_ADDED, actor_kind=ActorKind.OFFICIAL, actor_id=official.id,
                 before=ticket.state.value, deps=deps, unit=official.unit_id, text=text)
    short = session.get(Unit, official.unit_id)
    notify_unit(session, ticket.lead_unit_id, to.OPINION_NOTICE.format(
        code=ticket.code, unit=short.short if short else official.unit_id, text=text), now=now, ticket_id=ticket.id)
    refresh_cards(session, ticket, deps)
    return ticket
