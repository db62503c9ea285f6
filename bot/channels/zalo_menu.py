"""Buttons on a platform without buttons: numbered lines, and the number sent back.

Neither the Zalo Bot Platform nor a plain OA text message has inline buttons
(ZALO_APIS.md). So a message's buttons are written under its text as
"1. Nhận xử lý", "2. Trả lời", ... and each number is stored with the button's
callback data for that chat. When a person of that chat sends just a number,
the adapter turns it into the same `Inbound.callback_data` a Telegram button
press gives, so the handlers need no Zalo case.

Numbers run on per chat (1..MAX_NUMBER, then from 1 again), so several cards in
one officials' group each keep their own numbers while they are open; the
callback data carries the card's version, so an outdated number is refused by
the handlers like a stale button.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Button, ChannelName
from bot.channels.zalo_models import ZaloChoice
from handlers import texts_zalo as tz

__all__ = ["MAX_NUMBER", "CHOICE_TTL", "number_buttons", "resolve_choice", "remember_message_id"]

MAX_NUMBER = 99
CHOICE_TTL = timedelta(days=30)  # an older number is plain text again


def _next_number(session: Session, channel: ChannelName, chat_id: str) -> int:
    last = session.scalar(select(ZaloChoice.number).where(
        ZaloChoice.channel == channel.value, ZaloChoice.chat_id == chat_id).order_by(ZaloChoice.id.desc()).limit(1))
    return 1 if last is None or last >= MAX_NUMBER else last + 1


def number_buttons(factory: sessionmaker[Session], channel: ChannelName, chat_id: str, text: str,
                   buttons: tuple[tuple[Button, ...], ...], *, now: datetime) -> tuple[str, list[int]]:
    """The text with its buttons as numbered lines; stores the numbers. Returns (text, choice row ids)."""
    flat = [b for row in buttons for b in row]
    if not flat:
        return text, []
    lines, ids = [text, "", tz.CHOICES_HEADER], []
    with factory.begin() as session:
        number = _next_number(session, channel, chat_id)
        for button in flat:
            session.execute(delete(ZaloChoice).where(ZaloChoice.channel == channel.value,
                                                     ZaloChoice.chat_id == chat_id, ZaloChoice.number == number))
            choice = ZaloChoice(channel=channel.value, chat_id=chat_id, number=number, label=button.text[:255],
                                callback_data=button.data, created_at=now)
            session.add(choice)
            session.flush()
            ids.append(choice.id)
            lines.append(tz.choice_line(number, button.text))
            number = 1 if number >= MAX_NUMBER else number + 1
    return "\n".join(lines), ids


def remember_message_id(factory: sessionmaker[Session], choice_ids: list[int], message_id: str | None) -> None:
    if not choice_ids or not message_id:
        return
    with factory.begin() as session:
        for choice in session.scalars(select(ZaloChoice).where(ZaloChoice.id.in_(choice_ids))):
            choice.message_id = message_id


def resolve_choice(factory: sessionmaker[Session], channel: ChannelName, chat_id: str, text: str, *,
                   now: datetime) -> tuple[str, str | None] | None:
    """(callback data, message id) when `text` is just a number offered in this chat, else None."""
    stripped = text.strip().rstrip(".")
    if not stripped.isdigit() or len(stripped) > 2:
        return None
    with factory() as session:
        choice = session.scalar(select(ZaloChoice).where(
            ZaloChoice.channel == channel.value, ZaloChoice.chat_id == chat_id,
            ZaloChoice.number == int(stripped), ZaloChoice.created_at >= now - CHOICE_TTL))
        return (choice.callback_data, choice.message_id) if choice is not None else None
