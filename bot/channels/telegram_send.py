"""Outbound -> Bot API calls, and Telegram's errors -> the outbox's RetryLater/Undeliverable.

A card is always a text message with its buttons; its photos go before it as
a photo or an album. Editing a card is then always `editMessageText`, and the
id returned (kept by the outbox in CardMessage) is the text message's.
"""
from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut,
)
from telegram.warnings import PTBUserWarning

from bot.channels.base import (
    Button, ChannelName, DeliveryError, Outbound, RetryLater, Undeliverable,
)

__all__ = ["send_outbound", "as_delivery_error", "split_text", "retry_seconds",
           "NETWORK_RETRY_SECONDS"]

LOG = logging.getLogger(__name__)
NETWORK_RETRY_SECONDS = 2.0  # a network hiccup or a 5xx: try again soon
ALBUM_MAX = 10  # photos per sendMediaGroup
# _post_message calls sendMessage through do_api_request on purpose (see there); PTB suggests send_message.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.send_message'", category=PTBUserWarning)


def _markup(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows])


def _chat(chat_id: str) -> int | str:
    """Telegram ids are integers; a public @channelname stays a string."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Cut an over-long text at line breaks (or hard, if a line is longer than `limit`)."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            chunks.append(current)
            current = ""
        current += line
    if current or not chunks:
        chunks.append(current)
    return chunks


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds to wait; PTB 22 warns that `retry_after` turns from int into timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def as_delivery_error(exc: TelegramError, message: Outbound) -> DeliveryError:
    """Decide, from Telegram's answer, whether retrying can help."""
    where = {"channel": ChannelName.TELEGRAM, "chat_id": message.chat_id}
    if isinstance(exc, RetryAfter):
        return RetryLater(f"telegram flood control: {exc}", retry_after=retry_seconds(exc),
                          **where)
    if isinstance(exc, ChatMigrated):  # a group became a supergroup: the old id is dead
        return Undeliverable(f"chat migrated to {exc.new_chat_id}", **where)
    if isinstance(exc, Forbidden | BadRequest):
        # Blocked, kicked, chat not found, malformed message: the same call fails again.
        return Undeliverable(f"telegram refused: {exc}", **where)
    if isinstance(exc, TimedOut | NetworkError):
        return RetryLater(f"telegram unreachable: {exc}", retry_after=NETWORK_RETRY_SECONDS,
                          **where)
    # InvalidToken, Conflict, anything new: keep the row, an operator has to look.
    return RetryLater(f"telegram error: {exc!r}", retry_after=60.0, **where)


async def _send_photos(bot: Bot, chat: int | str, photos: Sequence[str]) -> None:
    for start in range(0, len(photos), ALBUM_MAX):
        batch = photos[start:start + ALBUM_MAX]
        if len(batch) == 1:
            await bot.send_photo(chat, batch[0])
        else:
            await bot.send_media_group(chat, [InputMediaPhoto(p) for p in batch])


async def _edit(bot: Bot, chat: int | str, message: Outbound,
                markup: InlineKeyboardMarkup | None) -> str | None:
    """Edit a card in place; None when it is gone and a new message must be sent instead."""
    assert message.edit_message_id is not None
    text = split_text(message.text)[0]
    try:
        await bot.edit_message_text(text, chat_id=chat, message_id=int(message.edit_message_id),
                                    reply_markup=markup)
    except BadRequest as exc:
        reason = str(exc).lower()
        if "not modified" in reason:  # a retry of an edit that already went through
            return message.edit_message_id
        if ("not found" in reason and "chat" not in reason) or "can't be edited" in reason:
            LOG.info("card gone, sending anew chat_id=%s message_id=%s reason=%s",
                     message.chat_id, message.edit_message_id, exc)
            return None
        raise
    return message.edit_message_id


async def _post_message(bot: Bot, chat: int | str, text: str, markup: InlineKeyboardMarkup | None) -> dict[str, Any]:
    """sendMessage, answered with Telegram's JSON as it came (a dict).

    The outbox keeps only the new message's id. `send_message` would build a
    whole `Message` from the answer first, a third of a send's CPU in the
    sender process (py-spy on the pipeline benchmark). `do_api_request` is
    the same call (ExtBot's rate limiter, PTB's errors), minus that parse.
    """
    kwargs: dict[str, Any] = {"chat_id": chat, "text": text}
    if markup is not None:
        kwargs["reply_markup"] = markup
    return await bot.do_api_request("send_message", api_kwargs=kwargs)


async def send_outbound(bot: Bot, message: Outbound) -> str | None:
    """Deliver one Outbound; returns the id of the text message (the card, when editing)."""
    chat = _chat(message.chat_id)
    markup = _markup(message.buttons)
    try:
        if message.edit_message_id is not None:
            edited = await _edit(bot, chat, message, markup)
            if edited is not None:
                return edited
        elif message.photos:
            await _send_photos(bot, chat, message.photos)
        chunks = split_text(message.text) if message.text else []
        sent_id: str | None = None
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            sent = await _post_message(bot, chat, chunk, markup if last else None)
            sent_id = str(sent["message_id"])
        return sent_id
    except TelegramError as exc:
        raise as_delivery_error(exc, message) from exc
