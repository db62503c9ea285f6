"""The citizen's buttons and read-only views: topic/place pickers, ticket status, refusals."""
from __future__ import annotations

from sqlalchemy import select

from bot.channels.base import Button
from bot.codes import normalize_ticket_code
from bot.errors import ActionError, InvalidTransition, LimitReached, NotAllowed, StaleAction, TicketNotFound
from bot.models import Citizen, Ticket, TicketEvent
from bot.tickets import Action, check_reopen, rate_ticket, set_ticket_place, set_ticket_topic
from bot.tickets.callbacks import CallbackData
from bot.tickets.cards import format_date, format_time, unit_name
from bot.tickets.feedback import LOW_RATING, can_reopen, reopen_buttons
from handlers import texts_citizen as tc
from handlers.context import Ctx, Replies
from nlp.labels import CATEGORY_NAMES, Category

__all__ = ["topic_buttons", "place_buttons", "refusal", "track", "my_tickets", "ticket_callback"]

MY_TICKETS_SHOWN = 10


def topic_buttons(ticket: Ticket) -> tuple[tuple[Button, ...], ...]:
    """The classifier's three best guesses, then "Khác"."""
    def b(text: str, category: str) -> tuple[Button, ...]:
        return (Button(text, CallbackData("c", ticket.id, Action.SET_TOPIC, ticket.version, category).encode()),)

    guesses = [c for c, _ in ticket.top_categories if c != Category.KHAC.value][:3]
    return tuple(b(CATEGORY_NAMES[Category(c)], c) for c in guesses) + (b(tc.BTN_OTHER_TOPIC, Category.KHAC.value),)


def place_buttons(ticket: Ticket) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (Button(c["name"], CallbackData("c", ticket.id, Action.SET_PLACE, ticket.version, c["code"]).encode()),)
        for c in ticket.location_candidates[:8]
    )


def refusal(exc: ActionError) -> str:
    if isinstance(exc, StaleAction):
        return tc.STALE
    if isinstance(exc, InvalidTransition) and exc.context.get("action") == "reopen_again":
        return tc.REOPEN_USED
    if isinstance(exc, InvalidTransition):
        return tc.STALE
    if isinstance(exc, TicketNotFound):
        return tc.NOT_YOURS
    if isinstance(exc, LimitReached):
        return tc.daily_limit(exc.context["limit"])
    if isinstance(exc, NotAllowed):
        return tc.NOT_ALLOWED
    return tc.STALE


def _status(ctx: Ctx, ticket: Ticket) -> str:
    lines = [tc.ticket_status(ticket.code, ticket.state.value, unit_name(ctx.session, ticket.lead_unit_id),
                              format_date(ticket.due_at), ticket.text[:500]), tc.HISTORY_HEADER]
    events = ctx.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                 .order_by(TicketEvent.id)).all()
    lines += [tc.history_line(format_time(e.at), e.type.value) for e in events if e.type.value != "opinion_added"]
    return "\n".join(lines)


def track(ctx: Ctx, citizen: Citizen, ref: str) -> Replies:
    if not ref.strip():
        return my_tickets(ctx, citizen)
    code = normalize_ticket_code(ref)
    ticket = ctx.session.scalar(select(Ticket).where(Ticket.code == code, Ticket.citizen_id == citizen.id))
    if ticket is None:
        return [ctx.reply(tc.NOT_YOURS)]
    return [ctx.reply(_status(ctx, ticket))]


def my_tickets(ctx: Ctx, citizen: Citizen) -> Replies:
    tickets = ctx.session.scalars(select(Ticket).where(Ticket.citizen_id == citizen.id)
                                  .order_by(Ticket.id.desc()).limit(MY_TICKETS_SHOWN)).all()
    if not tickets:
        return [ctx.reply(tc.NO_TICKETS)]
    lines = [tc.MY_TICKETS_HEADER] + [tc.ticket_line(t.code, t.state.value, format_date(t.due_at)) for t in tickets]
    buttons = tuple((Button(tc.BTN_VIEW.format(code=t.code), CallbackData("c", t.id, "view", 0).encode()),)
                    for t in tickets[:5])
    return [ctx.reply("\n".join(lines), buttons)]


def ticket_callback(ctx: Ctx, citizen: Citizen, data: CallbackData) -> Replies:
    """A citizen's button on one ticket. Raises ActionError for the caller to refuse."""
    session, deps = ctx.session, ctx.deps
    if data.action == "view":
        ticket = session.get(Ticket, data.ticket_id)
        if ticket is None or ticket.citizen_id != citizen.id:
            raise TicketNotFound(ref=str(data.ticket_id))
        return [ctx.reply(_status(ctx, ticket))]
    if data.action == Action.SET_TOPIC:
        ticket = set_ticket_topic(session, deps, data.ticket_id, citizen=citizen, category=Category(data.arg))
        replies = [ctx.reply(tc.rerouted(ticket.code, unit_name(session, ticket.lead_unit_id)))]
        return replies
    if data.action == Action.SET_PLACE:
        ticket = set_ticket_place(session, deps, data.ticket_id, citizen=citizen, code=data.arg)
        return [ctx.reply(tc.rerouted(ticket.code, unit_name(session, ticket.lead_unit_id)))]
    if data.action == Action.RATE:
        ticket = rate_ticket(session, deps, data.ticket_id, citizen=citizen, version=data.version,
                             rating=int(data.arg))
        replies = [ctx.reply(tc.rated(ticket.code, ticket.rating or 0))]
        if (ticket.rating or 0) <= LOW_RATING and can_reopen(ticket):
            replies.append(ctx.reply(tc.RATED_LOW, reopen_buttons(ticket)))
        return replies
    if data.action == Action.REOPEN:
        ticket = check_reopen(session, data.ticket_id, citizen=citizen, version=data.version)
        citizen.step = "awaiting_reopen_reason"
        citizen.step_data = {"ticket_id": ticket.id, "version": ticket.version}
        return [ctx.reply(tc.ASK_REOPEN_REASON)]
    raise StaleAction(ticket_id=data.ticket_id, expected=data.version, current=-1)


