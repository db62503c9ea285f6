"""Build the Updates a user's actions produce, from a short spec the tests send.

A spec is a JSON object with `type` and the fields that type needs:

    {"type": "text", "chat_id": 501, "user_id": 501, "text": "Đường hư ..."}
    {"type": "callback", "chat_id": -1001, "user_id": 9, "message_id": 4, "data": "t:1:take:0"}
    {"type": "photo", "chat_id": 501, "user_id": 501, "caption": "...", "count": 2}
    {"type": "location", ..., "latitude": 9.17, "longitude": 105.15}
    {"type": "sticker" | "voice" | "document" | "video", ...}
    {"type": "member", "chat_id": -1001, "user_id": 9}   (bot added to a group: no message)

`chat_type` defaults to private for positive chat ids and group for negative.
"""
from __future__ import annotations

import uuid
from typing import Any

from tests.fakes import telegram_objects as tg
from tests.fakes.telegram_objects import JSON
from tests.fakes.telegram_state import FakeState

__all__ = ["build_update"]


def _people(state: FakeState, spec: JSON) -> tuple[JSON, JSON]:
    chat_id = int(spec["chat_id"])
    user_id = int(spec.get("user_id") or chat_id)
    sender = tg.user(user_id, spec.get("first_name", ""), spec.get("username"))
    chat_obj = tg.chat(chat_id, spec.get("chat_type", ""), spec.get("title", ""),
                       spec.get("first_name", ""))
    return chat_obj, sender


def _content(state: FakeState, spec: JSON) -> dict[str, Any]:
    kind = spec["type"]
    if kind == "text":
        text = str(spec.get("text", ""))
        return {"text": text, "entities": tg.command_entities(text) or None}
    if kind == "photo":
        photos = []
        for _ in range(int(spec.get("count", 1))):
            file_id, unique = state.new_file("photo", b"\xff\xd8fake-jpeg" * 100)
            photos.append(tg.photo_sizes(file_id, unique, 1000))
        caption = spec.get("caption")
        # Several photos are an album: one message per photo sharing a media_group_id.
        return {"photo": photos[0], "caption": caption or None, "_album": photos[1:]}
    if kind == "location":
        return {"location": {"latitude": float(spec["latitude"]),
                             "longitude": float(spec["longitude"])}}
    file_id, unique = state.new_file(kind, spec["content"].encode() if "content" in spec else b"fake-" + kind.encode())
    if kind == "sticker":
        return {"sticker": {"file_id": file_id, "file_unique_id": unique, "type": "regular",
                            "width": 512, "height": 512, "is_animated": False,
                            "is_video": False, "emoji": "😀"}}
    if kind == "voice":
        return {"voice": {"file_id": file_id, "file_unique_id": unique, "duration": 3,
                          "mime_type": "audio/ogg"}}
    if kind == "document":
        return {"document": {"file_id": file_id, "file_unique_id": unique,
                             "file_name": spec.get("file_name", "don.pdf"),
                             "mime_type": "application/pdf"},
                "caption": spec.get("caption") or None}
    if kind == "video":
        return {"video": {"file_id": file_id, "file_unique_id": unique, "width": 640,
                          "height": 480, "duration": 5}}
    raise ValueError(f"unknown update type {kind!r}")


def build_update(state: FakeState, spec: JSON) -> list[JSON]:
    """The Update(s) for one user action, without update_id (the queue assigns it)."""
    if "update" in spec:
        return [dict(spec["update"])]
    chat_obj, sender = _people(state, spec)
    if spec["type"] == "callback":
        key = (int(chat_obj["id"]), int(spec["message_id"]))
        shown = state.messages.get(key) or tg.message(key[1], chat_obj, tg.BOT_USER, text="")
        return [{"callback_query": {"id": uuid.uuid4().hex[:16], "from": sender,
                                    "chat_instance": str(abs(key[0])), "message": shown,
                                    "data": str(spec["data"])}}]
    if spec["type"] == "member":
        return [{"my_chat_member": {
            "chat": chat_obj, "from": sender, "date": 0,
            "old_chat_member": {"status": "left", "user": tg.BOT_USER},
            "new_chat_member": {"status": "member", "user": tg.BOT_USER}}}]
    content = _content(state, spec)
    album = content.pop("_album", [])
    chat_id = int(chat_obj["id"])
    if album:
        content["media_group_id"] = uuid.uuid4().hex[:12]
    first = tg.message(state.next_message_id(chat_id), chat_obj, sender, **content)
    updates = [{"message": first}]
    for sizes in album:
        updates.append({"message": tg.message(
            state.next_message_id(chat_id), chat_obj, sender, photo=sizes,
            media_group_id=content["media_group_id"])})
    return updates
