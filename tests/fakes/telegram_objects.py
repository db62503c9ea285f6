"""Bot API JSON objects as Telegram returns them (https://core.telegram.org/bots/api).

The fake server builds every Update and Message here, so the shapes the real
python-telegram-bot parses are written in one place and checked once.
"""
from __future__ import annotations

import time
from typing import Any

__all__ = [
    "BOT_USER", "JSON", "user", "chat", "command_entities", "photo_sizes", "message",
    "error_body",
]

JSON = dict[str, Any]

BOT_USER: JSON = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Phản ánh Cà Mau (thử)",
    "username": "phananh_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


def user(user_id: int, first_name: str = "", username: str | None = None) -> JSON:
    result: JSON = {"id": user_id, "is_bot": False, "first_name": first_name or f"Người {user_id}",
                    "language_code": "vi"}
    if username:
        result["username"] = username
    return result


def chat(chat_id: int, kind: str = "", title: str = "", first_name: str = "") -> JSON:
    """A private chat has a positive id and a first name; groups are negative with a title."""
    kind = kind or ("private" if chat_id > 0 else "group")
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name or f"Người {chat_id}"}
    return {"id": chat_id, "type": kind, "title": title or f"Nhóm {chat_id}"}


def command_entities(text: str) -> list[JSON]:
    """Telegram marks a leading /command (with an optional @botname) as a bot_command entity."""
    if not text.startswith("/"):
        return []
    head = text.split(maxsplit=1)[0]
    # Entity offsets and lengths count UTF-16 code units.
    return [{"type": "bot_command", "offset": 0, "length": len(head.encode("utf-16-le")) // 2}]


def photo_sizes(file_id: str, unique_id: str, file_size: int) -> list[JSON]:
    """A photo arrives as several sizes; the last one is the largest."""
    return [
        {"file_id": f"{file_id}-s", "file_unique_id": f"{unique_id}s", "width": 90, "height": 67,
         "file_size": max(1, file_size // 10)},
        {"file_id": file_id, "file_unique_id": unique_id, "width": 1280, "height": 960,
         "file_size": file_size},
    ]


def message(message_id: int, chat_obj: JSON, sender: JSON | None, **fields: Any) -> JSON:
    """A Message; `fields` are the content (text, photo, caption, reply_markup, ...)."""
    result: JSON = {"message_id": message_id, "date": int(time.time()), "chat": chat_obj}
    if sender is not None:
        result["from"] = sender
    result.update({key: value for key, value in fields.items() if value is not None})
    return result


def error_body(status: int, description: str, retry_after: float | None = None) -> JSON:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body
