"""Telegram Update -> plain `Inbound`: the only place that reads Telegram's update shapes.

Every field is optional in the Bot API, so nothing here assumes
`update.message` exists: a button press has no message of its own, an edit
comes as `edited_message`, a bot added to a group as `my_chat_member`.
Updates that carry nothing a person said (edits, membership changes, service
messages such as "X joined") give `None`: acknowledged, not processed.
"""
from __future__ import annotations

import logging

from telegram import Chat, Message, MessageEntity, Update, User

from bot.channels.base import Attachment, ChannelName, ChatKind, GeoPoint, Inbound

__all__ = ["ALLOWED_UPDATES", "UNSUPPORTED_KINDS", "delivery_id", "to_inbound"]

LOG = logging.getLogger(__name__)

# What the bot asks Telegram for; everything else is never delivered.
ALLOWED_UPDATES: tuple[str, ...] = ("message", "callback_query")

# Message contents we cannot read; the handler answers each with a Vietnamese explanation.
# (attribute of telegram.Message, the `unsupported` value, the Attachment kind)
UNSUPPORTED_KINDS: tuple[str, ...] = (
    "sticker", "voice", "video_note", "audio", "document", "video", "animation", "contact",
    "poll", "dice", "game", "story",
)


def delivery_id(update: Update) -> str:
    return f"telegram:{update.update_id}"


def _kind(chat: Chat) -> ChatKind:
    return ChatKind.PRIVATE if chat.type == Chat.PRIVATE else ChatKind.GROUP


def _sender(user: User | None, message: Message | None) -> tuple[str, str]:
    if user is not None:
        return str(user.id), user.full_name
    if message is not None and message.sender_chat is not None:  # anonymous group admin
        return str(message.sender_chat.id), message.sender_chat.title or ""
    return "", ""


class _ForeignCommand(Exception):
    """A command addressed to another bot in a shared group: not ours to answer."""


def _command(message: Message, bot_username: str) -> tuple[str | None, tuple[str, ...]]:
    """`/lienket@phananh_bot ABC` -> ("lienket", ("ABC",))."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            whole = message.parse_entity(entity)
            name, _, addressee = whole[1:].partition("@")
            if addressee and bot_username and addressee.lower() != bot_username.lower():
                raise _ForeignCommand(whole)
            return name.lower(), tuple(text[len(whole):].split())
    return None, ()


def _content(message: Message) -> tuple[tuple[Attachment, ...], GeoPoint | None, str | None]:
    if message.photo:
        largest = message.photo[-1]  # sizes come smallest first
        return (Attachment("photo", largest.file_id),), None, None
    if message.location is not None:
        point = GeoPoint(message.location.latitude, message.location.longitude)
        return (), point, None
    for kind in UNSUPPORTED_KINDS:
        media = getattr(message, kind, None)
        if media:
            file_id = getattr(media, "file_id", "")
            name = getattr(media, "file_name", "") or ""
            attachments = (Attachment(kind, file_id, name),) if file_id else ()
            return attachments, None, kind
    return (), None, None


def _from_callback(update: Update) -> Inbound | None:
    query = update.callback_query
    assert query is not None
    message = query.message  # may be missing (inline mode) or inaccessible (too old)
    chat = message.chat if message is not None else None
    sender_id, sender_name = _sender(query.from_user, None)
    if chat is None:  # no chat to answer in: only the private chat with the presser is left
        chat_id, kind = sender_id, ChatKind.PRIVATE
    else:
        chat_id, kind = str(chat.id), _kind(chat)
    return Inbound(
        channel=ChannelName.TELEGRAM, delivery_id=delivery_id(update), chat_id=chat_id,
        chat_kind=kind, sender_id=sender_id, sender_name=sender_name,
        callback_data=query.data if query.data is not None else "",
        callback_message_id=str(message.message_id) if message is not None else None,
        unsupported=None if query.data is not None else "callback_game")


def to_inbound(update: Update, *, bot_username: str = "") -> Inbound | None:
    """The plain form of `update`, or None when it holds nothing to act on."""
    if update.callback_query is not None:
        return _from_callback(update)
    message = update.message
    if message is None:
        LOG.debug("ignored update update_id=%s kinds=%s", update.update_id,
                  [k for k, v in update.to_dict().items() if k != "update_id" and v])
        return None
    text = message.text or message.caption or ""
    try:
        command, args = _command(message, bot_username)
    except _ForeignCommand:
        return None
    attachments, location, unsupported = _content(message)
    if not (text or attachments or location or unsupported):
        return None  # service message: member joined, title changed, pinned, ...
    sender_id, sender_name = _sender(message.from_user, message)
    return Inbound(
        channel=ChannelName.TELEGRAM, delivery_id=delivery_id(update),
        chat_id=str(message.chat.id), chat_kind=_kind(message.chat),
        sender_id=sender_id or str(message.chat.id), sender_name=sender_name, text=text,
        command=command, command_args=args, attachments=attachments, location=location,
        unsupported=unsupported)
