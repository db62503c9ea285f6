"""What both Zalo adapters do the same way: per-chat order, retries, numbered choices.

The retry rule is Telegram's (bot/channels/telegram.py): a database that is
away is retried until it is back; any other failure three times, then the
update is given up (runtime.process already answers PROCESSING_FAILED for a
handler bug, so that case is rare).
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.channels.base import Inbound
from bot.channels.telegram import MAX_BACKOFF_SECONDS, POISON_ATTEMPTS, TRANSIENT_ERRORS
from bot.clock import sleep_unless
from bot.channels.zalo_menu import resolve_choice

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["InboundWorker"]

LOG = logging.getLogger(__name__)
Process = Callable[[Inbound], Awaitable[None]]


class InboundWorker:
    """Runs `runtime.process` for Zalo inbounds: one chat in order, chats side by side."""

    def __init__(self, runtime: Runtime, *, retry_base_seconds: float = 0.5) -> None:
        self.runtime = runtime
        self.stopping = asyncio.Event()
        self._retry_base = retry_base_seconds
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def with_choice(self, inbound: Inbound) -> Inbound:
        """A bare number that was offered in this chat becomes that button's press (worker thread)."""
        if inbound.callback_data is not None or inbound.command or inbound.attachments or not inbound.text:
            return inbound
        found = resolve_choice(self.runtime.session_factory, inbound.channel, inbound.chat_id, inbound.text,
                               now=self.runtime.clock.now())
        if found is None:
            return inbound
        data, message_id = found
        return replace(inbound, text="", callback_data=data, callback_message_id=message_id)

    async def handle(self, inbound: Inbound) -> bool:
        """True once committed (or given up as poison); False when stopping first."""
        lock = self._locks.setdefault(f"{inbound.channel.value}:{inbound.chat_id}", asyncio.Lock())
        async with lock:
            return await self._with_retries(inbound)

    async def _with_retries(self, inbound: Inbound) -> bool:
        attempt = 0
        while True:
            try:
                resolved = await asyncio.to_thread(self.with_choice, inbound)
                await self.runtime.process(resolved)
                return True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - decided on below
                attempt += 1
                transient = isinstance(exc, TRANSIENT_ERRORS)
                LOG.warning("zalo update failed delivery_id=%s attempt=%d transient=%s error=%r",
                            inbound.delivery_id, attempt, transient, exc, exc_info=not transient)
                if not transient and attempt >= POISON_ATTEMPTS:
                    LOG.error("zalo update given up delivery_id=%s", inbound.delivery_id)
                    return True
            if await sleep_unless(self.stopping, min(MAX_BACKOFF_SECONDS, self._retry_base * 2 ** (attempt - 1))):
                return False
