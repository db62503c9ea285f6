"""Officials: enrolment, card buttons, the typed follow-ups (answer, reason, opinion), /phieu.

A button that needs text (answer, question, reasons, opinion) is checked when
pressed and stores a step on the Official row; the official's next message
completes it, with the version of the card that was pressed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from sqlalchemy import bindparam, select

from bot.channels.base import ChatKind
from bot.errors import ActionError, CodeInvalid, InvalidTransition, NotAllowed, StaleAction, TicketNotFound
from bot.models import Official, Ticket, Unit
from bot.enrolment import redeem_group_link, redeem_invite
from bot.tickets import (
    Action, add_coordination_opinion, answer_ticket, check_official_action, check_opinion_right, reject_ticket,
    request_info, take_ticket, transfer_ticket,
)
from bot.tickets.callbacks import SHOW, CallbackData
from bot.tickets.common import lock_ticket
from handlers import official_views as views
from handlers import texts_citizen as tc
from handlers import texts_official as to
from handlers.context import Ctx, Replies

__all__ = ["OfficialStep", "STEP_HANDLERS", "find_official", "enrol", "link_group", "handle_callback",
           "handle_message"]

log = logging.getLogger(__name__)


class OfficialStep(StrEnum):
    IDLE = "idle"
    AWAITING_QUESTION = "awaiting_question"        # what the citizen must add
    AWAITING_ANSWER = "awaiting_answer"
    AWAITING_REJECT_REASON = "awaiting_reject_reason"
    AWAITING_TRANSFER_REASON = "awaiting_transfer_reason"
    AWAITING_OPINION = "awaiting_opinion"


_PROMPTS = {
    Action.REQUEST_INFO: (OfficialStep.AWAITING_QUESTION, to.ASK_QUESTION),
    Action.ANSWER: (OfficialStep.AWAITING_ANSWER, to.ASK_ANSWER),
    Action.REJECT: (OfficialStep.AWAITING_REJECT_REASON, to.ASK_REJECT),
}


_ENROLLED = select(Official.id).where(Official.channel == bindparam("channel"),
                                     Official.platform_id == bindparam("platform_id"), Official.active.is_(True))


def find_official(ctx: Ctx) -> Official | None:
    """The enrolled official behind this update, if any.

    Asked of nearly every update, and most senders are citizens: a plain id
    lookup on the connection (a third of an ORM query's cost, statement built
    once), the ORM object only when there is one. Officials are written only
    by enrolment, which flushes, so nothing pending is missed.
    """
    session = ctx.session
    official_id = session.connection().execute(_ENROLLED, {"channel": ctx.inbound.channel.value,
                                                           "platform_id": ctx.inbound.sender_id}).scalar()
    return None if official_id is None else session.get(Official, official_id)


def _name(official: Official) -> str:
    return official.display_name or official.platform_id


def refusal(exc: ActionError) -> str:
    if isinstance(exc, NotAllowed):
        reason = exc.context.get("reason")
        if reason == "not_enrolled":
            return to.REFUSE_NOT_ENROLLED
        if reason == "not_coordinating":
            return to.REFUSE_NOT_COORDINATING
        return to.REFUSE_COORDINATING if reason == "coordinating" else to.REFUSE_NOT_ALLOWED
    if isinstance(exc, StaleAction):
        return to.REFUSE_STALE
    if isinstance(exc, InvalidTransition):
        return to.REFUSE_STATE.format(state=tc.STATE_NAMES.get(exc.context.get("state", ""), ""))
    if isinstance(exc, TicketNotFound):
        return to.NOT_FOUND.format(ref=exc.context.get("ref", ""))
    if isinstance(exc, CodeInvalid):
        return to.CODE_INVALID[exc.context["reason"]]
    return to.REFUSE_NOT_ALLOWED


def enrol(ctx: Ctx, code: str) -> Replies:
    try:
        with ctx.session.begin_nested():
            official = redeem_invite(ctx.session, code, channel=ctx.inbound.channel.value,
                                     platform_id=ctx.inbound.sender_id, display_name=ctx.inbound.sender_name,
                                     clock=ctx.deps.clock)
    except CodeInvalid as exc:
        return [ctx.reply(refusal(exc))]
    unit = ctx.session.get(Unit, official.unit_id)
    return [ctx.reply(to.ENROLLED.format(unit=unit.name if unit else official.unit_id))]


def link_group(ctx: Ctx) -> Replies:
    if not ctx.inbound.command_args:
        return [ctx.reply(to.LINK_USAGE)]
    try:
        with ctx.session.begin_nested():
            link = redeem_group_link(ctx.session, ctx.inbound.command_args[0], channel=ctx.inbound.channel.value,
                                     chat_id=ctx.inbound.chat_id, used_by=ctx.inbound.sender_id,
                                     clock=ctx.deps.clock)
    except CodeInvalid as exc:
        return [ctx.reply(refusal(exc))]
    unit = ctx.session.get(Unit, link.unit_id)
    return [ctx.reply(to.LINKED.format(unit=unit.name if unit else link.unit_id))]


def _set_step(official: Official, step: OfficialStep, **data: object) -> None:
    official.step, official.step_data = step.value, dict(data)


def _press(ctx: Ctx, official: Official | None, data: CallbackData) -> Replies:
    session, deps = ctx.session, ctx.deps
    if data.action == SHOW:  # a button of the Front's digest: read-only, for the unit of this chat
        return _show(ctx, official, data.ticket_id)
    if data.action == Action.OPINION:
        ticket = lock_ticket(session, data.ticket_id)
        official = check_opinion_right(ticket, official)
        _set_step(official, OfficialStep.AWAITING_OPINION, ticket_id=ticket.id)
        return [ctx.reply(to.ASK_OPINION.format(name=_name(official), code=ticket.code))]
    if data.action == Action.TAKE:
        ticket = check_official_action(session, data.ticket_id, official=official, version=data.version,
                                       action=Action.TAKE)
        assert official is not None
        take_ticket(session, deps, ticket.id, official=official, version=data.version)
        return [ctx.reply(to.DONE_TAKE.format(name=_name(official), code=ticket.code))]
    if data.action in _PROMPTS:
        action = Action(data.action)
        ticket = check_official_action(session, data.ticket_id, official=official, version=data.version, action=action)
        assert official is not None
        step, prompt = _PROMPTS[action]
        _set_step(official, step, ticket_id=ticket.id, version=data.version)
        return [ctx.reply(prompt.format(name=_name(official), code=ticket.code))]
    if data.action == Action.TRANSFER:
        ticket = check_official_action(session, data.ticket_id, official=official, version=data.version,
                                       action=Action.TRANSFER)
        assert official is not None
        if not data.arg:
            return [ctx.reply(to.PICK_UNIT.format(code=ticket.code), views.unit_buttons(ctx, ticket))]
        target = session.get(Unit, data.arg)
        if target is None or not target.active or target.id == ticket.lead_unit_id:
            return [ctx.reply(to.REFUSE_SAME_UNIT)]
        _set_step(official, OfficialStep.AWAITING_TRANSFER_REASON, ticket_id=ticket.id, version=data.version,
                  unit=target.id)
        return [ctx.reply(to.ASK_TRANSFER_REASON.format(name=_name(official), code=ticket.code, unit=target.short))]
    raise StaleAction(ticket_id=data.ticket_id, expected=data.version, current=-1)


def _show(ctx: Ctx, official: Official | None, ticket_id: int) -> Replies:
    """The ticket and its history, as `/phieu CODE` shows it, if this chat's unit may see it."""
    unit_id = views.chat_unit(ctx, official)
    if unit_id is None:  # an unlinked group, or a private chat of someone who is not an official
        if ctx.inbound.chat_kind == ChatKind.GROUP:
            return [ctx.reply(to.GROUP_NOT_LINKED)]
        raise NotAllowed(ticket_id=ticket_id, reason="not_enrolled")
    ticket = ctx.session.get(Ticket, ticket_id)
    return views.show_ticket(ctx, unit_id, ticket, ticket.code if ticket else f"#{ticket_id}")


def handle_callback(ctx: Ctx, data: CallbackData) -> Replies:
    official = find_official(ctx)
    try:
        with ctx.session.begin_nested():
            return _press(ctx, official, data)
    except ActionError as exc:
        log.info("official action refused data=%s sender=%s error=%s", ctx.inbound.callback_data,
                 ctx.inbound.sender_id, exc)
        return [ctx.reply(refusal(exc))]


def _complete(ctx: Ctx, official: Official, text: str) -> Replies:
    session, deps, data = ctx.session, ctx.deps, dict(official.step_data)
    step = OfficialStep(official.step)
    ticket_id, version = int(data.get("ticket_id", 0)), int(data.get("version", 0))
    code = (session.get(Ticket, ticket_id) or Ticket(code="?")).code
    if step == OfficialStep.AWAITING_QUESTION:
        request_info(session, deps, ticket_id, official=official, version=version, question=text)
        return [ctx.reply(to.DONE_ASK.format(code=code))]
    if step == OfficialStep.AWAITING_ANSWER:
        answer_ticket(session, deps, ticket_id, official=official, version=version, answer=text)
        return [ctx.reply(to.DONE_ANSWER.format(code=code))]
    if step == OfficialStep.AWAITING_REJECT_REASON:
        reject_ticket(session, deps, ticket_id, official=official, version=version, reason=text)
        return [ctx.reply(to.DONE_REJECT.format(code=code))]
    if step == OfficialStep.AWAITING_TRANSFER_REASON:
        ticket = transfer_ticket(session, deps, ticket_id, official=official, version=version,
                                 to_unit=str(data["unit"]), reason=text)
        unit = session.get(Unit, ticket.lead_unit_id)
        return [ctx.reply(to.DONE_TRANSFER.format(code=code, unit=unit.short if unit else ticket.lead_unit_id))]
    add_coordination_opinion(session, deps, ticket_id, official=official, text=text)
    return [ctx.reply(to.DONE_OPINION.format(code=code))]


def on_step_message(ctx: Ctx, official: Official) -> Replies:
    if ctx.inbound.command == "huy":
        _set_step(official, OfficialStep.IDLE)
        return [ctx.reply(to.CANCELLED)]
    text = (ctx.inbound.text or "").strip()
    if not text or ctx.inbound.command:
        return [ctx.reply(to.EMPTY_INPUT)]
    try:
        with ctx.session.begin_nested():
            replies = _complete(ctx, official, text)
    except ActionError as exc:
        replies = [ctx.reply(refusal(exc))]
    _set_step(official, OfficialStep.IDLE)
    return replies


STEP_HANDLERS: dict[OfficialStep, Callable[[Ctx, Official], Replies]] = {
    step: on_step_message for step in OfficialStep if step != OfficialStep.IDLE
}


def handle_message(ctx: Ctx, official: Official | None) -> Replies:
    """A message from an official, or any message in a group chat."""
    inbound = ctx.inbound
    if official is not None and official.step != OfficialStep.IDLE.value:
        return STEP_HANDLERS[OfficialStep(official.step)](ctx, official)
    if inbound.command == "phieu":
        unit_id = views.chat_unit(ctx, official)
        if unit_id is None:
            return [ctx.reply(to.GROUP_NOT_LINKED)] if inbound.chat_kind == ChatKind.GROUP else []
        return views.list_or_show(ctx, unit_id, " ".join(inbound.command_args))
    if inbound.chat_kind == ChatKind.GROUP or official is None:
        return []  # groups talk among themselves; the bot only answers commands and steps
    unit = ctx.session.get(Unit, official.unit_id)
    return [ctx.reply(to.OFFICIAL_HELP.format(unit=unit.name if unit else official.unit_id))]


