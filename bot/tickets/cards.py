"""A ticket's card as the lead unit and the coordinating organisations see it.

The card is rendered from the ticket at the moment of each change, and its
buttons carry the ticket's version so a press on an old card is detected.
Coordinating cards never show who sent the ticket; lead cards hide it when the
citizen chose to be anonymous.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.base import Button
from bot.models import Citizen, CoordinationOpinion, EventType, Official, Ticket, TicketEvent, TicketState
from bot.tickets.callbacks import CallbackData
from bot.tickets.states import Action, FINAL_STATES
from bot.units import unit_directory
from handlers import texts_citizen as tc
from handlers import texts_official as to
from nlp.labels import CATEGORY_NAMES, GROUP_NAMES, KIND_NAMES, Category, Group, Kind

__all__ = ["render_card", "lead_buttons", "format_date", "unit_name", "unit_short"]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def format_date(at: datetime) -> str:
    return at.astimezone(TZ).strftime("%d/%m/%Y")


def format_time(at: datetime) -> str:
    return at.astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def _units(session: Session) -> dict[str, tuple[str, str]]:
    """All unit names, from the per-process directory (bot/units.py: units change only by seed)."""
    return unit_directory(session).names


def unit_name(session: Session, unit_id: str) -> str:
    return _units(session).get(unit_id, (unit_id, unit_id))[0]


def unit_short(session: Session, unit_id: str) -> str:
    return _units(session).get(unit_id, (unit_id, unit_id))[1]


def lead_buttons(ticket: Ticket) -> tuple[tuple[Button, ...], ...]:
    def b(text: str, action: Action) -> Button:
        return Button(text, CallbackData("t", ticket.id, action, ticket.version).encode())

    state = ticket.state
    if state in FINAL_STATES:
        return ()
    rows: list[tuple[Button, ...]] = []
    if state in (TicketState.NEW, TicketState.REOPENED):
        rows.append((b(to.BTN_TAKE, Action.TAKE),))
    second = [b(to.BTN_ANSWER, Action.ANSWER)]
    if state != TicketState.NEEDS_INFO:
        second.insert(0, b(to.BTN_ASK, Action.REQUEST_INFO))
    rows.append(tuple(second))
    rows.append((b(to.BTN_TRANSFER, Action.TRANSFER), b(to.BTN_REJECT, Action.REJECT)))
    return tuple(rows)


def coordinating_buttons(ticket: Ticket) -> tuple[tuple[Button, ...], ...]:
    if ticket.state in FINAL_STATES:
        return ()
    return ((Button(to.BTN_OPINION, CallbackData("t", ticket.id, Action.OPINION, 0).encode()),),)


def render_card(session: Session, ticket: Ticket, *, for_lead: bool, moved_to: str | None = None,
                overseeing: bool = False) -> str:
    """The card; without the citizen's identity unless `for_lead` (the Front `overseeing` sees none either)."""
    title = to.CARD_TITLE_URGENT if ticket.urgent else to.CARD_TITLE
    lines = [title.format(code=ticket.code)]
    if not for_lead:
        lines.append(to.CARD_OVERSEEING if overseeing else to.CARD_COORDINATING)
    else:
        citizen = session.get(Citizen, ticket.citizen_id)
        if citizen is None or citizen.anonymous:
            lines.append(to.CARD_ANONYMOUS)
        else:
            lines.append(to.CARD_SENDER.format(name=citizen.display_name or "—"))
    lines.append(to.CARD_TEXT.format(text=ticket.text))
    if ticket.attachments:
        lines.append(to.CARD_PHOTOS.format(count=len(ticket.attachments)))
    lines.append(to.CARD_PLACE.format(place=ticket.location_name or to.CARD_PLACE_UNKNOWN))
    if for_lead and ticket.latitude is not None and ticket.longitude is not None:
        lines.append(to.CARD_GPS.format(lat=ticket.latitude, lon=ticket.longitude))
    lines.append(to.CARD_CATEGORY.format(category=CATEGORY_NAMES[Category(ticket.category)],
                                         confidence=ticket.confidence))
    if ticket.needs_triage:
        lines.append(to.CARD_TRIAGE)
    lines.append(to.CARD_KIND.format(kind=KIND_NAMES[Kind(ticket.kind)]))
    if ticket.groups:
        lines.append(to.CARD_GROUPS.format(groups=", ".join(GROUP_NAMES[Group(g)] for g in ticket.groups)))
    if ticket.urgent:
        lines.append(to.CARD_URGENT.format(reason=", ".join(ticket.urgent_reason) or "—"))
    lines.append(to.CARD_LEAD.format(unit=unit_short(session, ticket.lead_unit_id)))
    if ticket.coordinating_units:
        lines.append(to.CARD_COORD_UNITS.format(units=", ".join(unit_short(session, u) for u in ticket.coordinating_units)))
    lines.append(to.CARD_DUE.format(due=format_date(ticket.due_at)))
    lines.append(to.CARD_STATE.format(state=tc.STATE_NAMES[ticket.state.value]))
    if for_lead and ticket.taken_by_id:
        official = session.get(Official, ticket.taken_by_id)
        if official:
            lines.append(to.CARD_TAKEN_BY.format(name=official.display_name or official.platform_id))
    if for_lead and ticket.id not in session.info.get("fresh_tickets", ()):  # just filed: nothing added yet
        infos = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                          TicketEvent.type == EventType.INFO_ADDED)
                                .order_by(TicketEvent.id)).all()
        lines.extend(to.CARD_INFO.format(text=e.data.get("text", "")) for e in infos)
        opinions = session.scalars(select(CoordinationOpinion).where(CoordinationOpinion.ticket_id == ticket.id)
                                   .order_by(CoordinationOpinion.id)).all()
        lines.extend(to.CARD_OPINION.format(unit=unit_short(session, o.unit_id), text=o.text) for o in opinions)
    if ticket.state == TicketState.ANSWERED and ticket.answer_text:
        lines.append(to.CARD_ANSWER.format(text=ticket.answer_text))
    if ticket.rating is not None:
        lines.append(to.CARD_RATING.format(rating=ticket.rating))
    if moved_to:
        lines.append(to.CARD_MOVED.format(unit=unit_short(session, moved_to)))
    return "\n".join(lines)
