"""Long polling that confirms an update to Telegram only after its effects are committed.

Telegram forgets every update below the `offset` of the next getUpdates call.
So the offset moves past an update only once `handle` returned True for it
(runtime.process committed); if the process dies first, Telegram hands the
update out again on restart and the runtime's delivery-id record makes the
second run a no-op. Updates of one batch from different chats are handled
side by side (each chat in order, see TelegramAdapter.handle_update); the
offset then moves to the first update not yet handled.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from bot.channels.telegram_parse import ALLOWED_UPDATES
from bot.channels.telegram_send import retry_seconds
from bot.clock import sleep_unless, unless_stopped

__all__ = ["Poller", "chat_key"]

LOG = logging.getLogger(__name__)
Handle = Callable[[Update], Awaitable[bool]]


def chat_key(update: Update) -> str:
    """Updates with the same key must be handled in order."""
    chat = update.effective_chat
    if chat is not None:
        return f"chat:{chat.id}"
    user = update.effective_user
    return f"user:{user.id}" if user is not None else f"update:{update.update_id}"


class Poller:
    def __init__(self, bot: Bot, handle: Handle, *, timeout: float = 10.0, limit: int = 100,
                 retry_seconds: float = 1.0) -> None:
        self.bot = bot
        self.handle = handle
        self.timeout = timeout
        self.limit = limit
        self.retry_seconds = retry_seconds
        self.offset: int | None = None  # None: start from whatever Telegram still holds

    async def _fetch(self, stop: asyncio.Event) -> list[Update] | None:
        """One getUpdates call, abandoned (nothing lost: nothing was handled) on stop."""
        fetch = await unless_stopped(stop, self.bot.get_updates(
            offset=self.offset, limit=self.limit, timeout=int(self.timeout),
            allowed_updates=list(ALLOWED_UPDATES)))
        return None if fetch is None else list(fetch.result())

    async def _handle_batch(self, updates: list[Update]) -> None:
        by_chat: dict[str, list[Update]] = {}
        for update in updates:
            by_chat.setdefault(chat_key(update), []).append(update)
        unhandled: list[int] = []

        async def one_chat(chat_updates: list[Update]) -> None:
            for position, update in enumerate(chat_updates):
                if not await self.handle(update):
                    unhandled.extend(u.update_id for u in chat_updates[position:])
                    return

        await asyncio.gather(*(one_chat(items) for items in by_chat.values()))
        done_up_to = min(unhandled) if unhandled else max(u.update_id for u in updates) + 1
        self.offset = max(self.offset or 0, done_up_to)

    async def run(self, stop: asyncio.Event, *, ready: asyncio.Event | None = None) -> None:
        # getUpdates fails while a webhook is set; keep what Telegram holds for us.
        await self.bot.delete_webhook(drop_pending_updates=False)
        if ready is not None:
            ready.set()
        while not stop.is_set():
            try:
                updates = await self._fetch(stop)
            except InvalidToken:
                raise
            except RetryAfter as exc:
                LOG.warning("getUpdates flood control retry_after=%s", retry_seconds(exc))
                await sleep_unless(stop, retry_seconds(exc))
                continue
            except TelegramError as exc:  # network, 5xx, conflict: Telegram keeps the updates
                LOG.warning("getUpdates failed error=%r", exc)
                await sleep_unless(stop, self.retry_seconds)
                continue
            if updates:
                await self._handle_batch(updates)
        await self._confirm()

    async def _confirm(self) -> None:
        """Tell Telegram what we finished, so a clean restart does not re-fetch it."""
        if self.offset is None:
            return
        try:
            await self.bot.get_updates(offset=self.offset, timeout=0, limit=1,
                                       allowed_updates=list(ALLOWED_UPDATES))
        except TelegramError as exc:  # harmless: the updates come again and are skipped
            LOG.info("final confirm failed offset=%s error=%r", self.offset, exc)
