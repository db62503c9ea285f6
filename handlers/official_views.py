"""Officials' read-only views: /phieu lists and details, the unit picker of a transfer."""
from __future__ import annotations

from sqlalchemy import select

from bot.channels.base import Button, ChatKind, button_rows
from bot.codes import normalize_ticket_code
from bot.models import GroupLink, Official, Ticket, TicketEvent, Unit
from bot.tickets.callbacks import CallbackData
from bot.tickets.cards import format_date, format_time, render_card
from bot.tickets.states import OPEN_STATES, Action
from handlers import texts_citizen as tc
from handlers import texts_official as to
from handlers.context import Ctx, Replies

__all__ = ["chat_unit", "list_or_show", "show_ticket", "unit_buttons"]

MAX_LISTED = 30


def chat_unit(ctx: Ctx, official: Official | None) -> str | None:
    """The unit a command speaks for: the group's linked unit, or the official's own in private."""
    if ctx.inbound.chat_kind == ChatKind.GROUP:
        link = ctx.session.scalar(select(GroupLink).where(GroupLink.channel == ctx.inbound.channel.value,
                                                          GroupLink.chat_id == ctx.inbound.chat_id,
                                                          GroupLink.active.is_(True)))
        return link.unit_id if link else None
    return official.unit_id if official else None


def list_or_show(ctx: Ctx, unit_id: str, ref: str) -> Replies:
    """`/phieu`: the unit's open tickets; `/phieu CODE`: one ticket with its history."""
    if ref.strip():
        code = normalize_ticket_code(ref)
        return show_ticket(ctx, unit_id, ctx.session.scalar(select(Ticket).where(Ticket.code == code)), code)
    session = ctx.session
    unit = session.get(Unit, unit_id)
    unit_label = unit.short if unit else unit_id
    tickets = session.scalars(select(Ticket).where(Ticket.lead_unit_id == unit_id, Ticket.state.in_(OPEN_STATES))
                              .order_by(Ticket.created_at, Ticket.id).limit(MAX_LISTED)).all()
    if not tickets:
        return [ctx.reply(to.OPEN_NONE.format(unit=unit_label))]
    now = ctx.deps.clock.now()
    lines = [to.OPEN_HEADER.format(unit=unit_label)]
    lines += [to.OPEN_LINE.format(code=t.code, state=tc.STATE_NAMES[t.state.value], due=format_date(t.due_at),
                                  overdue=to.OVERDUE if t.due_at < now else "") for t in tickets]
    return [ctx.reply("\n".join(lines))]


def show_ticket(ctx: Ctx, unit_id: str, ticket: Ticket | None, ref: str) -> Replies:
    """The card and history for the lead, a coordinating organisation, or the Front overseeing it
    (the last two without the citizen's identity); "not found" for anyone else."""
    if ticket is None or unit_id not in (ticket.lead_unit_id, ticket.overseer_id, *ticket.coordinating_units):
        return [ctx.reply(to.NOT_FOUND.format(ref=ref))]
    lead = ticket.lead_unit_id == unit_id
    overseeing = not lead and unit_id not in ticket.coordinating_units
    lines = [render_card(ctx.session, ticket, for_lead=lead, overseeing=overseeing), tc.HISTORY_HEADER]
    events = ctx.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                 .order_by(TicketEvent.id)).all()
    lines += [tc.history_line(format_time(e.at), e.type.value) for e in events]
    return [ctx.reply("\n".join(lines))]


def unit_buttons(ctx: Ctx, ticket: Ticket) -> tuple[tuple[Button, ...], ...]:
    """Provincial units (and the commune's People's Committee when the place is known), two per row."""
    query = select(Unit).where(Unit.active.is_(True), Unit.id != ticket.lead_unit_id)
    units = [u for u in ctx.session.scalars(query.order_by(Unit.id)) if u.level != "xa" or
             (ticket.location_code and u.commune == ticket.location_code)]
    units.sort(key=lambda u: (u.level != "xa", u.short))
    buttons = [Button(u.short, CallbackData("t", ticket.id, Action.TRANSFER, ticket.version, u.id).encode())
               for u in units]
    return button_rows(buttons, 2)
