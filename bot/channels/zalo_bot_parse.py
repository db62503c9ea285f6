"""Zalo Bot Platform updates -> `Inbound`, and texts cut to Zalo's 2000 characters.

Pure functions: no I/O, so every shape the platform is known to send is tested
directly (ZALO_APIS.md, part A). Webhook bodies come wrapped
(`{"ok": true, "result": update}`, the docs' sample) or bare (what integrators
report): `unwrap` accepts both.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.channels.base import Attachment, ChannelName, ChatKind, Inbound

__all__ = ["MAX_TEXT", "unwrap", "to_inbound", "split_text", "parse_command"]

MAX_TEXT = 2000
TEXT, IMAGE, STICKER = "message.text.received", "message.image.received", "message.sticker.received"


def unwrap(body: Any) -> dict[str, Any] | None:
    """The update inside a webhook body or a getUpdates result, whichever shape it has."""
    if not isinstance(body, dict):
        return None
    inner = body.get("result")
    if "event_name" not in body and isinstance(inner, dict):
        body = inner
    return body if isinstance(body.get("event_name"), str) and isinstance(body.get("message"), dict) else None


def parse_command(text: str) -> tuple[str | None, tuple[str, ...]]:
    """"/TraCuu@bot CM-1" -> ("tracuu", ("CM-1",)); not a command -> (None, ())."""
    if not text.startswith("/"):
        return None, ()
    head, *args = text.split()
    name = head[1:].split("@", 1)[0].lower()
    return (name, tuple(args)) if name else (None, ())


def _delivery_id(update: dict[str, Any]) -> str:
    message = update["message"]
    key = message.get("message_id")
    if not key:  # undocumented case: derive a stable id from the content
        key = hashlib.sha256(json.dumps(update, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]
    return f"{ChannelName.ZALO_BOT.value}:{key}"


def to_inbound(update: dict[str, Any]) -> Inbound | None:
    """An Inbound for a message in a chat; None for anything without a chat or a sender."""
    message = update.get("message") or {}
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    chat_id = str(chat.get("id") or "")
    sender_id = str(sender.get("id") or chat_id)
    if not chat_id or sender.get("is_bot"):
        return None
    kind = ChatKind.GROUP if str(chat.get("chat_type", "")).upper() == "GROUP" else ChatKind.PRIVATE
    base: dict[str, Any] = dict(channel=ChannelName.ZALO_BOT, delivery_id=_delivery_id(update), chat_id=chat_id,
                                chat_kind=kind, sender_id=sender_id,
                                sender_name=str(sender.get("display_name") or ""))
    event = update.get("event_name")
    if event == TEXT:
        text = str(message.get("text") or "")
        command, args = parse_command(text)
        return Inbound(**base, text=text, command=command, command_args=args)
    if event == IMAGE:
        url = str(message.get("photo_url") or message.get("url") or "")
        caption = str(message.get("caption") or message.get("text") or "")
        attachments = (Attachment(kind="photo", file_id=url),) if url else ()
        return Inbound(**base, text=caption, attachments=attachments)
    if event == STICKER:
        return Inbound(**base, unsupported="sticker",
                       attachments=(Attachment(kind="sticker", file_id=str(message.get("sticker") or "")),))
    return Inbound(**base, unsupported="unsupported")  # files, voice, video, ...: "loại tin nhắn này"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Parts of at most `limit` characters, cut at a line break (else a space) where there is one."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not parts:
        parts.append(rest)
    return parts
