"""The citizen's conversation: consent, filing, corrections, tracking, rating.

The current step lives on the Citizen row (`step`, `step_data`), never in
memory; `STEP_HANDLERS` says which function takes a message in each step.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select

from bot.channels.base import Button
from bot.errors import ActionError, InvalidTransition, LimitReached, TicketNotFound
from bot.models import Citizen
from bot.tickets import add_citizen_info, file_ticket, reopen_ticket
from bot.tickets.feedback import attach_photos, recent_open_ticket
from bot.tickets.callbacks import CallbackData
from bot.tickets.cards import format_date, unit_name
from handlers import citizen_views as views
from handlers import texts_citizen as tc
from handlers.context import Ctx, Replies

__all__ = ["CitizenStep", "STEP_HANDLERS", "handle_message", "handle_callback", "get_citizen"]

log = logging.getLogger(__name__)


class CitizenStep(StrEnum):
    IDLE = "idle"                        # the next message is a new petition
    AWAITING_CONSENT = "awaiting_consent"  # a message arrived before consent; kept in step_data
    AWAITING_INFO = "awaiting_info"      # an official asked for more: the next message goes to that ticket
    AWAITING_REOPEN_REASON = "awaiting_reopen_reason"


_CITIZEN = select(Citizen).where(Citizen.channel == bindparam("channel"), Citizen.platform_id == bindparam("platform_id"))


def get_citizen(ctx: Ctx) -> Citizen:
    """The sender's Citizen row, created on first contact (asked of most updates: a statement built once)."""
    inbound = ctx.inbound
    citizen = ctx.session.scalar(_CITIZEN, {"channel": inbound.channel.value, "platform_id": inbound.sender_id})
    if citizen is None:
        citizen = Citizen(channel=inbound.channel.value, platform_id=inbound.sender_id, chat_id=inbound.chat_id,
                          display_name=inbound.sender_name, anonymous=False, step=CitizenStep.IDLE.value,
                          step_data={}, created_at=ctx.deps.clock.now())
        ctx.session.add(citizen)
        ctx.session.flush()
    elif inbound.sender_name and citizen.display_name != inbound.sender_name:
        citizen.display_name = inbound.sender_name
    return citizen


def _consent_buttons() -> tuple[tuple[Button, ...], ...]:
    return ((Button(tc.BTN_CONSENT, CallbackData("c", 0, "consent", 0).encode()),),
            (Button(tc.BTN_ANONYMOUS, CallbackData("c", 0, "anon", 0).encode()),))


def _attachments(ctx: Ctx) -> list[dict[str, Any]]:
    return [{"kind": a.kind, "file_id": a.file_id, "name": a.name} for a in ctx.inbound.attachments]


def _content_problem(ctx: Ctx, text: str) -> str | None:
    """A Vietnamese refusal for input we cannot file, or None."""
    if ctx.inbound.unsupported:
        what = tc.UNSUPPORTED_NAMES.get(ctx.inbound.unsupported, tc.UNSUPPORTED_DEFAULT)
        return tc.UNSUPPORTED.format(what=what)
    if len(text) > ctx.deps.settings.max_text_length:
        return tc.too_long(ctx.deps.settings.max_text_length)
    return None


def start(ctx: Ctx, citizen: Citizen) -> Replies:
    return [ctx.reply(tc.greeting(ctx.deps.settings.data_retention_days), _consent_buttons())]


def file_from_text(ctx: Ctx, citizen: Citizen, text: str, extra: dict[str, Any]) -> Replies:
    """Validate, analyse and file; every refusal is a reply and changes nothing."""
    if not text.strip():
        return [ctx.reply(tc.EMPTY)]
    if not any(ch.isalnum() for ch in text):
        return [ctx.reply(tc.NO_TEXT)]
    analysis = ctx.analyze(text)
    if analysis.notes and analysis.notes[0] in ("empty", "no_text"):
        return [ctx.reply(tc.NO_TEXT if analysis.notes[0] == "no_text" else tc.EMPTY)]
    if "foreign_language" in analysis.notes:
        return [ctx.reply(tc.FOREIGN)]
    try:
        ticket = file_ticket(ctx.session, ctx.deps, citizen=citizen, text=text.strip(), analysis=analysis,
                             attachments=extra.get("attachments"), latitude=extra.get("latitude"),
                             longitude=extra.get("longitude"))
    except LimitReached as exc:
        return [ctx.reply(tc.daily_limit(exc.context["limit"]))]
    if citizen.step != CitizenStep.IDLE.value or citizen.step_data:  # no UPDATE when nothing changes
        citizen.step, citizen.step_data = CitizenStep.IDLE.value, {}
    mine = ((Button(tc.BTN_MY_TICKETS, CallbackData("c", 0, "mine", 0).encode()),),)
    answer = tc.filed(ticket.code, unit_name(ctx.session, ticket.lead_unit_id), format_date(ticket.due_at))
    if ticket.urgent:  # the emergency numbers first, in the same message: nothing to miss, nothing later
        answer = f"{tc.URGENT}\n\n{answer}"
    replies = [ctx.reply(answer, mine)]
    if ticket.needs_triage:
        replies.append(ctx.reply(tc.ASK_TOPIC, views.topic_buttons(ticket)))
    if ticket.location_candidates and not ticket.location_code:
        replies.append(ctx.reply(tc.ASK_PLACE, views.place_buttons(ticket)))
    return replies


def _pending(ctx: Ctx, citizen: Citizen) -> dict[str, Any]:
    """Photos and a location sent before the text are kept until the text comes."""
    data = dict(citizen.step_data or {})
    attachments = list(data.get("attachments", [])) + _attachments(ctx)
    if attachments:
        data["attachments"] = attachments
    if ctx.inbound.location:
        data["latitude"], data["longitude"] = ctx.inbound.location.latitude, ctx.inbound.location.longitude
    return data


def on_idle(ctx: Ctx, citizen: Citizen, text: str) -> Replies:
    if not text.strip() and ctx.inbound.attachments and not citizen.step_data:
        recent = recent_open_ticket(ctx.session, citizen, ctx.deps)
        if recent is not None:
            attach_photos(ctx.session, ctx.deps, recent.id, citizen=citizen, attachments=_attachments(ctx))
            return [ctx.reply(tc.photos_added(recent.code))]
    data = _pending(ctx, citizen)
    if not text.strip() and (ctx.inbound.attachments or ctx.inbound.location):
        citizen.step_data = data
        return [ctx.reply(tc.ATTACHMENT_KEPT)]
    return file_from_text(ctx, citizen, text, data)


def on_awaiting_consent(ctx: Ctx, citizen: Citizen, text: str) -> Replies:
    data = _pending(ctx, citizen)
    if text.strip():
        data["text"] = text
    citizen.step_data = data
    replies = [ctx.reply(tc.CONSENT_FIRST), *start(ctx, citizen)]
    if data.get("text") or data.get("attachments"):
        replies.append(ctx.reply(tc.PENDING_KEPT))
    return replies


def on_awaiting_info(ctx: Ctx, citizen: Citizen, text: str) -> Replies:
    ticket_id = int(citizen.step_data.get("ticket_id", 0))
    if not text.strip() and not ctx.inbound.attachments:
        return [ctx.reply(tc.EMPTY)]
    try:
        with ctx.session.begin_nested():
            ticket = add_citizen_info(ctx.session, ctx.deps, ticket_id, citizen=citizen, text=text.strip(),
                                      attachments=_attachments(ctx))
    except (InvalidTransition, TicketNotFound):
        citizen.step, citizen.step_data = CitizenStep.IDLE.value, {}  # the ticket moved on: a new petition
        return on_idle(ctx, citizen, text)
    return [ctx.reply(tc.info_added(ticket.code))]


def on_awaiting_reopen_reason(ctx: Ctx, citizen: Citizen, text: str) -> Replies:
    if not text.strip():
        return [ctx.reply(tc.ASK_REOPEN_REASON)]
    data = citizen.step_data
    citizen.step, citizen.step_data = CitizenStep.IDLE.value, {}
    try:
        with ctx.session.begin_nested():
            ticket = reopen_ticket(ctx.session, ctx.deps, int(data["ticket_id"]), citizen=citizen,
                                   version=int(data["version"]), reason=text.strip())
    except ActionError as exc:
        return [ctx.reply(views.refusal(exc))]
    return [ctx.reply(tc.reopened(ticket.code))]


STEP_HANDLERS: dict[CitizenStep, Callable[[Ctx, Citizen, str], Replies]] = {
    CitizenStep.IDLE: on_idle,
    CitizenStep.AWAITING_CONSENT: on_awaiting_consent,
    CitizenStep.AWAITING_INFO: on_awaiting_info,
    CitizenStep.AWAITING_REOPEN_REASON: on_awaiting_reopen_reason,
}


def handle_message(ctx: Ctx) -> Replies:
    citizen = get_citizen(ctx)
    inbound = ctx.inbound
    if inbound.command == "start":
        return start(ctx, citizen)
    if inbound.command == "tracuu":
        return views.track(ctx, citizen, " ".join(inbound.command_args))
    if inbound.command in ("phieucuatoi", "phieu"):
        return views.my_tickets(ctx, citizen)
    text = inbound.text or ""
    problem = _content_problem(ctx, text)
    if problem:
        return [ctx.reply(problem)]
    if citizen.consent_at is None:
        citizen.step = CitizenStep.AWAITING_CONSENT.value
    return STEP_HANDLERS[CitizenStep(citizen.step)](ctx, citizen, text)


def handle_callback(ctx: Ctx, data: CallbackData) -> Replies:
    citizen = get_citizen(ctx)
    if data.action in ("consent", "anon"):
        return _consent(ctx, citizen, anonymous=data.action == "anon")
    if data.action == "mine":
        return views.my_tickets(ctx, citizen)
    try:
        with ctx.session.begin_nested():
            return views.ticket_callback(ctx, citizen, data)
    except ActionError as exc:
        return [ctx.reply(views.refusal(exc))]


def _consent(ctx: Ctx, citizen: Citizen, *, anonymous: bool) -> Replies:
    first = citizen.consent_at is None
    citizen.consent_at = citizen.consent_at or ctx.deps.clock.now()
    citizen.anonymous = anonymous
    replies = [ctx.reply(tc.CONSENT_THANKS_ANONYMOUS if anonymous else tc.CONSENT_THANKS)]
    if first and citizen.step == CitizenStep.AWAITING_CONSENT.value:
        pending = dict(citizen.step_data or {})
        citizen.step, citizen.step_data = CitizenStep.IDLE.value, {}
        if pending.get("text"):
            replies += file_from_text(ctx, citizen, pending.pop("text"), pending)
        elif pending.get("attachments"):
            citizen.step_data = pending
    return replies
