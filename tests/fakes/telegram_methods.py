"""The Bot API methods the fake implements, each `async (state, params) -> result`.

Validation follows what Telegram enforces and what a bot most often gets
wrong: message length, empty text, callback_data of 1–64 bytes, editing a
message that does not exist or with identical content.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes import telegram_objects as tg
from tests.fakes.telegram_objects import JSON
from tests.fakes.telegram_state import ApiFault, FakeState

__all__ = ["METHODS", "MAX_TEXT", "MAX_CAPTION"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
Method = Callable[[FakeState, JSON], Awaitable[Any]]


def _chat_id(params: JSON) -> int:
    try:
        return int(params["chat_id"])
    except (KeyError, ValueError, TypeError):
        raise ApiFault(400, "Bad Request: chat not found") from None


def _markup(params: JSON) -> JSON | None:
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if isinstance(markup, str):
        markup = json.loads(markup)
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ApiFault(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiFault(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _text(params: JSON, key: str = "text", limit: int = MAX_TEXT, required: bool = True) -> str:
    text = str(params.get(key) or "")
    if required and not text.strip():
        raise ApiFault(400, "Bad Request: message text is empty")
    if len(text) > limit:
        raise ApiFault(400, "Bad Request: message is too long")
    return text


async def get_me(state: FakeState, params: JSON) -> JSON:
    return tg.BOT_USER


async def get_updates(state: FakeState, params: JSON) -> list[JSON]:
    if state.webhook_url:
        raise ApiFault(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    offset = params.get("offset")
    return await state.take_updates(None if offset is None else int(offset),
                                    int(params.get("limit") or 100),
                                    float(params.get("timeout") or 0))


async def set_webhook(state: FakeState, params: JSON) -> bool:
    state.webhook_url = str(params.get("url") or "")
    state.webhook_secret = str(params.get("secret_token") or "")
    if params.get("drop_pending_updates"):
        state.pending.clear()
    await state.notify()
    return True


async def delete_webhook(state: FakeState, params: JSON) -> bool:
    state.webhook_url = state.webhook_secret = ""
    if params.get("drop_pending_updates"):
        state.pending.clear()
    return True


async def get_webhook_info(state: FakeState, params: JSON) -> JSON:
    return {"url": state.webhook_url, "has_custom_certificate": False,
            "pending_update_count": len(state.pending)}


async def send_message(state: FakeState, params: JSON) -> JSON:
    chat_id = _chat_id(params)
    msg = tg.message(state.next_message_id(chat_id), tg.chat(chat_id), tg.BOT_USER,
                     text=_text(params), reply_markup=_markup(params))
    await state.record("sendMessage", msg)
    return msg


def _existing(state: FakeState, params: JSON) -> JSON:
    key = (_chat_id(params), int(params.get("message_id") or 0))
    if key not in state.messages:
        raise ApiFault(400, "Bad Request: message to edit not found")
    return state.messages[key]


async def edit_message_text(state: FakeState, params: JSON) -> JSON:
    old = _existing(state, params)
    text, markup = _text(params), _markup(params)
    if old.get("text") == text and old.get("reply_markup") == markup:
        raise ApiFault(400, "Bad Request: message is not modified: specified new message content "
                            "and reply markup are exactly the same as a current content and reply "
                            "markup of the message")
    msg = {**old, "text": text, "edit_date": old["date"] + 1}
    msg.pop("reply_markup", None)
    if markup is not None:
        msg["reply_markup"] = markup
    await state.record("editMessageText", msg, edited=True)
    return msg


async def edit_message_reply_markup(state: FakeState, params: JSON) -> JSON:
    old = _existing(state, params)
    markup = _markup(params)
    if old.get("reply_markup") == markup:
        raise ApiFault(400, "Bad Request: message is not modified")
    msg = {k: v for k, v in old.items() if k != "reply_markup"}
    if markup is not None:
        msg["reply_markup"] = markup
    await state.record("editMessageReplyMarkup", msg, edited=True)
    return msg


async def answer_callback_query(state: FakeState, params: JSON) -> bool:
    if not params.get("callback_query_id"):
        raise ApiFault(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
    return True


def _photo(state: FakeState, value: Any) -> list[JSON]:
    if isinstance(value, bytes):
        file_id, unique = state.new_file("photo", value)
        return tg.photo_sizes(file_id, unique, len(value))
    file_id = str(value).removesuffix("-s")
    if file_id not in state.files:
        raise ApiFault(400, "Bad Request: wrong file identifier/HTTP URL specified")
    return tg.photo_sizes(file_id, "U" + file_id[-8:], len(state.files[file_id]))


async def send_photo(state: FakeState, params: JSON) -> JSON:
    chat_id = _chat_id(params)
    msg = tg.message(state.next_message_id(chat_id), tg.chat(chat_id), tg.BOT_USER,
                     photo=_photo(state, params.get("photo")),
                     caption=_text(params, "caption", MAX_CAPTION, required=False) or None,
                     reply_markup=_markup(params))
    await state.record("sendPhoto", msg)
    return msg


async def send_media_group(state: FakeState, params: JSON) -> list[JSON]:
    chat_id = _chat_id(params)
    media = params.get("media")
    media = json.loads(media) if isinstance(media, str) else media
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise ApiFault(400, "Bad Request: wrong number of media in the album")
    group_id = str(10_000_000 + len(state.sent))
    result = []
    for item in media:
        if item.get("type") != "photo":
            raise ApiFault(400, "Bad Request: unsupported media type in the fake")
        caption = str(item.get("caption") or "")
        if len(caption) > MAX_CAPTION:
            raise ApiFault(400, "Bad Request: message caption is too long")
        msg = tg.message(state.next_message_id(chat_id), tg.chat(chat_id), tg.BOT_USER,
                         photo=_photo(state, item.get("media")), caption=caption or None,
                         media_group_id=group_id)
        await state.record("sendMediaGroup", msg)
        result.append(msg)
    return result


async def send_document(state: FakeState, params: JSON) -> JSON:
    """A multipart upload (bytes) or a known file id; the bytes are kept, so a test can open the file."""
    chat_id = _chat_id(params)
    value = params.get("document")
    if isinstance(value, bytes):
        if not value:
            raise ApiFault(400, "Bad Request: file must be non-empty")
        file_id, unique = state.new_file("document", value)
    else:
        file_id = str(value or "")
        if file_id not in state.files:
            raise ApiFault(400, "Bad Request: wrong file identifier/HTTP URL specified")
        unique = "U" + file_id[-8:]
    document = {"file_id": file_id, "file_unique_id": unique, "file_size": len(state.files[file_id]),
                "file_name": str(params.get("_filename_document") or "document")}
    msg = tg.message(state.next_message_id(chat_id), tg.chat(chat_id), tg.BOT_USER, document=document,
                     caption=_text(params, "caption", MAX_CAPTION, required=False) or None)
    await state.record("sendDocument", msg)
    return msg


async def get_file(state: FakeState, params: JSON) -> JSON:
    file_id = str(params.get("file_id") or "")
    base = file_id.removesuffix("-s")
    if base not in state.files:
        raise ApiFault(400, "Bad Request: invalid file_id")
    return {"file_id": file_id, "file_unique_id": "U" + base[-8:],
            "file_size": len(state.files[base]), "file_path": f"photos/{base}.jpg"}


async def send_chat_action(state: FakeState, params: JSON) -> bool:
    _chat_id(params)
    return True


async def accept(state: FakeState, params: JSON) -> bool:
    """Methods whose effect nobody observes in the tests (setMyCommands, ...)."""
    return True


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "answerCallbackQuery": answer_callback_query,
    "sendPhoto": send_photo,
    "sendMediaGroup": send_media_group,
    "getFile": get_file,
    "sendDocument": send_document,
    "sendChatAction": send_chat_action,
    "setMyCommands": accept,
    "deleteMyCommands": accept,
    "close": accept,
    "logOut": accept,
}
