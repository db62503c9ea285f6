"""Which role handles an update: by callback prefix, chat kind and enrolment.

- a button: "t:..." -> officials, "c:..." -> citizens (anything else is ignored);
- a group chat: officials (/lienket links the group; other talk is ignored);
- a private chat: `/start CODE` enrols an official; an enrolled official talks
  to the official handler; everyone else is a citizen.
"""
from __future__ import annotations

import logging

from bot.channels.base import ChatKind
from bot.codes import ALPHABET
from bot.enrolment import CODE_LENGTH
from bot.tickets.callbacks import CITIZEN, OFFICIAL, CallbackData
from handlers import citizen, official, reports
from handlers.context import Ctx, Replies

__all__ = ["dispatch"]

log = logging.getLogger(__name__)


def _looks_like_code(args: tuple[str, ...]) -> bool:
    return len(args) == 1 and len(args[0]) == CODE_LENGTH and all(c in ALPHABET for c in args[0].upper())


def dispatch(ctx: Ctx) -> Replies:
    inbound = ctx.inbound
    if inbound.callback_data is not None:
        if inbound.callback_data.startswith(reports.PREFIX):  # /nopbaocao's duty buttons
            return reports.handle_callback(ctx, official.find_official(ctx))
        data = CallbackData.parse(inbound.callback_data)
        if data is None:
            log.info("callback ignored data=%r", inbound.callback_data)
            return []
        if data.role == OFFICIAL:
            return official.handle_callback(ctx, data)
        if data.role == CITIZEN and inbound.chat_kind == ChatKind.PRIVATE:
            return citizen.handle_callback(ctx, data)
        return []
    if inbound.chat_kind == ChatKind.GROUP:
        if inbound.command == "lienket":
            return official.link_group(ctx)
        member = official.find_official(ctx)
        return reports.handle_message(ctx, member) if reports.wants(ctx, member) else \
            official.handle_message(ctx, member)
    if inbound.command == "start" and _looks_like_code(inbound.command_args):
        return official.enrol(ctx, inbound.command_args[0])
    member = official.find_official(ctx)
    if member is not None:
        return reports.handle_message(ctx, member) if reports.wants(ctx, member) else \
            official.handle_message(ctx, member)
    return citizen.handle_message(ctx)
