"""Files to and from Telegram: sending a document (sendDocument) and downloading a file (getFile).

Kept out of telegram_send.py so the card/text path stays as it is; the
adapter's `send` calls `send_documents` before the text, and its `fetch_file`
serves the report-file fetcher (scheduler.report_files).
"""
from __future__ import annotations

import logging
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError

from bot.channels.base import Outbound
from bot.channels.telegram_send import as_delivery_error

LOG = logging.getLogger(__name__)

__all__ = ["send_documents", "fetch_file"]


async def send_documents(bot: Bot, message: Outbound) -> None:
    """Each document as its own message, before the text that explains it.

    A file gone from disk is skipped (logged): the text still goes. Telegram's
    refusals become the outbox's RetryLater/Undeliverable like any other send.
    """
    chat: int | str = int(message.chat_id) if message.chat_id.lstrip("-").isdigit() else message.chat_id
    for doc in message.documents:
        path = Path(doc.path)
        if not path.is_file():
            LOG.warning("document missing, not sent chat_id=%s path=%s", message.chat_id, path)
            continue
        try:
            with path.open("rb") as fh:
                await bot.send_document(chat, fh, filename=doc.name or path.name)
        except TelegramError as exc:
            raise as_delivery_error(exc, message) from exc


async def fetch_file(bot: Bot, file_id: str) -> bytes:
    """The bytes of a file a user sent (getFile, then the file URL)."""
    file = await bot.get_file(file_id)
    return bytes(await file.download_as_bytearray())
