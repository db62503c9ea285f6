"""Filing a ticket and the citizen's corrections of its routing (topic, place).

`file_ticket` is the only way a ticket comes into being: code, routing, audit
row, cards to the lead and coordinating units and the urgent pings are written
in the caller's one transaction, so a citizen who saw a code has a ticket.
"""
from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, make_transient_to_detached

from bot.codes import ticket_code
from bot.db import InsertIgnoring
from bot.errors import LimitReached, StaleAction
from bot.models import ActorKind, CardRole, Citizen, EventType, Ticket, TicketEvent, TicketState
from bot.tickets.common import Deps, advance, lock_ticket, post_cards, record_event, refresh_cards, require_owner
from bot.tickets.notify import notify_unit
from bot.tickets.states import Action
from handlers import texts_official as to
from nlp.analysis import Analysis
from nlp.labels import Category, Group, Kind
from scheduler.hooks import start_ticket_clock, ticket_deadlines

__all__ = ["file_ticket", "set_ticket_topic", "set_ticket_place", "tickets_today"]

log = logging.getLogger(__name__)
CODE_ATTEMPTS = 20


# Asked on every filing: built once, so SQLAlchemy neither rebuilds nor re-keys them, and run
# on the connection (no ORM layer, no autoflush): every ticket is written at once by
# `_insert_ticket`, so none can be pending unseen.
_TICKETS_SINCE = select(func.count(Ticket.id)).where(Ticket.citizen_id == bindparam("citizen_id"),
                                                     Ticket.created_at >= bindparam("since"))
# A code already taken makes the INSERT return no id (ON CONFLICT (code) DO NOTHING): no lookup first.
_INSERT_TICKET = InsertIgnoring(Ticket.__table__, index_elements=["code"], returning=(Ticket.__table__.c.id,))


def tickets_today(session: Session, citizen: Citizen, deps: Deps) -> int:
    tz = ZoneInfo(deps.settings.timezone)
    local = deps.clock.now().astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return session.connection().execute(_TICKETS_SINCE, {"citizen_id": citizen.id, "since": start}).scalar() or 0


def _insert_ticket(session: Session, values: dict[str, Any]) -> Ticket:
    """The new ticket's row by a Core INSERT under a fresh code, then the same row as a persistent ORM object.

    Filing is the busiest write; the ORM's unit of work cost three times the
    statement itself. A code drawn twice (29^6 of them) makes the INSERT
    return nothing, and another is drawn. `values` names every other column,
    so the object is complete as it stands (nothing to load back) and later
    changes in this transaction are flushed as UPDATEs, as for any loaded ticket.
    """
    connection = session.connection()
    statement = _INSERT_TICKET.on(connection)
    for _ in range(CODE_ATTEMPTS):
        values["code"] = ticket_code()
        ticket_id = connection.execute(statement, values).scalar()
        if ticket_id is not None:
            break
    else:
        raise RuntimeError("could not find a free ticket code")  # practically unreachable
    ticket = Ticket(id=ticket_id, **values)
    make_transient_to_detached(ticket)
    session.add(ticket)
    return ticket


def file_ticket(session: Session, deps: Deps, *, citizen: Citizen, text: str, analysis: Analysis,
                attachments: list[dict[str, Any]] | None = None, latitude: float | None = None,
                longitude: float | None = None) -> Ticket:
    limit = deps.settings.max_tickets_per_day
    if tickets_today(session, citizen, deps) >= limit:
        raise LimitReached(citizen_id=citizen.id, limit=limit)
    now = deps.clock.now()
    due = ticket_deadlines(analysis.kind.value, now, deps.settings.timezone)  # working days
    location = analysis.location
    ticket = _insert_ticket(session, dict(
        citizen_id=citizen.id, channel=citizen.channel, text=text,
        attachments=list(attachments or []), latitude=latitude, longitude=longitude,
        location_code=location.place.code if location and location.place else None,
        location_name=location.place.name if location and location.place else None,
        location_candidates=[{"code": p.code, "name": p.name} for p in (location.candidates if location else ())],
        category=analysis.category.value, confidence=float(analysis.confidence),
        top_categories=[[c.value, round(float(p), 4)] for c, p in analysis.top],
        groups=[g.value for g in analysis.groups], kind=analysis.kind.value, urgent=analysis.urgent,
        urgent_reason=list(analysis.urgent_reason), needs_triage=analysis.needs_triage,
        lead_unit_id=analysis.lead_unit, coordinating_units=list(analysis.coordinating_units),
        overseer_id=analysis.overseer, state=TicketState.NEW, version=1,
        due_at=due.answer_at, reopened_count=0, taken_by_id=None, answer_text=None, rating=None,
        answered_at=None, closed_at=None, created_at=now, updated_at=now,
    ))
    start_ticket_clock(session, ticket, now, deps.settings.timezone, deadlines=due, new=True)  # reminder ladder
    session.info.setdefault("fresh_tickets", set()).add(ticket.id)
    record_event(session, ticket, EventType.FILED, actor_kind=ActorKind.CITIZEN, actor_id=citizen.id,
                 before=None, deps=deps, analysis=analysis.to_json(), notes=list(analysis.notes),
                 anonymous=citizen.anonymous)
    post_cards(session, ticket, deps, units=[(ticket.lead_unit_id, CardRole.LEAD)]
               + [(u, CardRole.COORDINATING) for u in ticket.coordinating_units])
    if ticket.urgent:
        ping = to.URGENT_PING.format(code=ticket.code, text=ticket.text[:300])
        for unit_id in dict.fromkeys([ticket.lead_unit_id, *deps.router.urgent_notify]):
            notify_unit(session, unit_id, ping, now=now, ticket_id=ticket.id)
    log.info("ticket filed id=%s code=%s lead=%s urgent=%s triage=%s", ticket.id, ticket.code,
             ticket.lead_unit_id, ticket.urgent, ticket.needs_triage)
    return ticket


def _already(session: Session, ticket: Ticket, kind: EventType) -> bool:
    return session.scalar(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id,
                                                       TicketEvent.type == kind).limit(1)) is not None


def _reroute(session: Session, ticket: Ticket, deps: Deps) -> tuple[str, str]:
    """Route again from the ticket's labels; new cards where the lead changed."""
    route = deps.router.route(category=Category(ticket.category), groups=[Group(g) for g in ticket.groups],
                              kind=Kind(ticket.kind), commune=ticket.location_code, confidence=ticket.confidence)
    old_lead, old_coord = ticket.lead_unit_id, list(ticket.coordinating_units)
    ticket.lead_unit_id, ticket.coordinating_units = route.lead_unit, list(route.coordinating_units)
    ticket.needs_triage = deps.router.needs_triage(ticket.confidence)
    refresh_cards(session, ticket, deps)
    units: list[tuple[str, CardRole]] = []
    if route.lead_unit != old_lead:
        units.append((route.lead_unit, CardRole.LEAD))
    units += [(u, CardRole.COORDINATING) for u in route.coordinating_units if u not in old_coord]
    post_cards(session, ticket, deps, units=units)
    return old_lead, route.reason


def _citizen_correction(session: Session, ticket_id: int, citizen: Citizen, event: EventType) -> Ticket:
    """The ticket, if its citizen may still correct it: not taken yet, and this pick not made before."""
    ticket = lock_ticket(session, ticket_id)
    require_owner(ticket, citizen)
    if ticket.state != TicketState.NEW or ticket.taken_by_id is not None or _already(session, ticket, event):
        raise StaleAction(ticket_id=ticket.id, expected=0, current=ticket.version)
    return ticket


def set_ticket_topic(session: Session, deps: Deps, ticket_id: int, *, citizen: Citizen, category: Category) -> Ticket:
    """The citizen picked the topic from buttons: the pick is certain, route again."""
    ticket = _citizen_correction(session, ticket_id, citizen, EventType.TOPIC_SET)
    before_category = ticket.category
    ticket.category, ticket.confidence = category.value, 1.0
    before = advance(ticket, Action.SET_TOPIC, deps)
    old_lead, reason = _reroute(session, ticket, deps)
    record_event(session, ticket, EventType.TOPIC_SET, actor_kind=ActorKind.CITIZEN, actor_id=citizen.id,
                 before=before, deps=deps, from_category=before_category, to_category=category.value,
                 from_unit=old_lead, to_unit=ticket.lead_unit_id, route_reason=reason)
    return ticket


def set_ticket_place(session: Session, deps: Deps, ticket_id: int, *, citizen: Citizen, code: str) -> Ticket:
    """The citizen picked the commune among the candidates of an old place name."""
    ticket = _citizen_correction(session, ticket_id, citizen, EventType.PLACE_SET)
    match = [c for c in ticket.location_candidates if c["code"] == code]
    if not match:
        raise StaleAction(ticket_id=ticket.id, expected=0, current=ticket.version)
    ticket.location_code, ticket.location_name = code, match[0]["name"]
    before = advance(ticket, Action.SET_PLACE, deps)
    old_lead, reason = _reroute(session, ticket, deps)
    record_event(session, ticket, EventType.PLACE_SET, actor_kind=ActorKind.CITIZEN, actor_id=citizen.id,
                 before=before, deps=deps, location_code=code, from_unit=old_lead, to_unit=ticket.lead_unit_id,
                 route_reason=reason)
    return ticket


