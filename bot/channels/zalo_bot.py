"""The Zalo Bot Platform channel: long polling or a webhook in, sendMessage/sendPhoto out.

- Polling: getUpdates hands out one update and forgets it (no offset, no
  acknowledgement, ZALO_APIS.md); so each update is processed at once, with
  retries while the database is away, before the next is asked for. A crash
  between receiving and committing loses that one update: the platform allows
  no better. 408 means "nothing came", not an error.
- Webhook: Zalo POSTs the update with `X-Bot-Api-Secret-Token`; anything else
  gets 403 and changes nothing. The answer is 200 after the commit, 503 while
  stopping (redelivery policy undocumented), 400 for a body that is no update.
- Sending: buttons become numbered lines (zalo_menu), texts are cut at 2000
  characters, photos go by public URL (sendPhoto takes nothing else); Zalo
  cannot edit a message, so a card edit is sent as a new message.
Private chats are citizens (or enrolled officials), group chats are units'
groups where the platform lets the bot join one.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.base import ChannelName, Outbound, RetryLater, Undeliverable
from bot.channels.zalo_bot_api import ZaloBotApi, ZaloBotError
from bot.channels.zalo_bot_parse import split_text, to_inbound, unwrap
from bot.channels.zalo_common import InboundWorker
from bot.clock import sleep_unless, unless_stopped
from bot.channels.zalo_menu import number_buttons, remember_message_id
from handlers import texts_zalo as tz

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["SECRET_HEADER", "ZaloBotAdapter", "is_public_url"]

LOG = logging.getLogger(__name__)
SECRET_HEADER = "X-Bot-Api-Secret-Token"


def is_public_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


class ZaloBotAdapter:
    """ChannelAdapter (send) and receiver (poll / webhook) of the Zalo Bot Platform."""

    name = ChannelName.ZALO_BOT

    def __init__(self, runtime: Runtime, api: ZaloBotApi, *, retry_seconds: float = 1.0) -> None:
        self.runtime = runtime
        self.api = api
        self.worker = InboundWorker(runtime)
        self.retry_seconds = retry_seconds
        self.secret = runtime.settings.zalo.bot_webhook_secret

    # -- outgoing ------------------------------------------------------------------
    async def send(self, message: Outbound) -> str | None:
        text, choice_ids = await asyncio.to_thread(
            number_buttons, self.runtime.session_factory, self.name, message.chat_id, message.text,
            message.buttons, now=self.runtime.clock.now())
        urls = [p for p in message.photos if is_public_url(p)]
        if len(urls) < len(message.photos):  # another channel's file ids: Zalo cannot fetch them
            text = f"{text}\n{tz.photos_not_shown(len(message.photos) - len(urls))}"
        if message.documents:  # Zalo cannot receive a file from us here: name it in the text
            text = f"{text}\n{tz.documents_not_sent([d.name for d in message.documents])}"
        message_id: str | None = None
        try:
            for url in urls:
                await self.api.send_photo(message.chat_id, url)
            for part in split_text(text):
                message_id = await self.api.send_message(message.chat_id, part)
        except ZaloBotError as exc:
            raise self._delivery_error(exc, message.chat_id) from exc
        await asyncio.to_thread(remember_message_id, self.runtime.session_factory, choice_ids, message_id)
        return message_id

    def _delivery_error(self, exc: ZaloBotError, chat_id: str) -> RetryLater | Undeliverable:
        if exc.temporary:
            return RetryLater(str(exc), channel=self.name, chat_id=chat_id, retry_after=2.0)
        return Undeliverable(str(exc), channel=self.name, chat_id=chat_id)

    # -- incoming ------------------------------------------------------------------
    async def handle_body(self, body: object) -> bool | None:
        """Process a webhook body or getUpdates result: None if it is no update, else `handle`'s answer."""
        update = unwrap(body)
        if update is None:
            return None
        inbound = to_inbound(update)
        if inbound is None:
            return True  # nothing to act on (a bot's own message, no chat)
        return await self.worker.handle(inbound)

    async def poll(self, stop: asyncio.Event, *, ready: asyncio.Event | None = None) -> None:
        """Long polling until `stop`; one update at a time (the API hands out one)."""
        await self.api.delete_webhook()  # getUpdates and a webhook exclude each other
        if ready is not None:
            ready.set()
        timeout = self.runtime.settings.zalo.bot_poll_timeout
        while not stop.is_set():
            fetch = await unless_stopped(stop, self.api.get_updates(timeout))
            if fetch is None:
                return
            try:
                update = fetch.result()
            except ZaloBotError as exc:
                if exc.code in (401, 403):
                    raise  # a wrong token: stop loudly
                LOG.warning("zalo getUpdates failed error=%s", exc)
                await sleep_unless(stop, self.retry_seconds)
                continue
            if update is not None and await self.handle_body(update) is None:
                LOG.warning("zalo getUpdates gave no update keys=%s", sorted(update))

    async def webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            LOG.warning("zalo bot webhook refused: bad secret token remote=%s", request.remote)
            return web.Response(status=403)
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400)
        done = await self.handle_body(body)
        if done is None:
            return web.Response(status=400)
        return web.Response(status=200 if done else 503)

    async def register_webhook(self) -> None:
        settings = self.runtime.settings.zalo
        if not self.secret or not 8 <= len(self.secret) <= 256:
            raise ValueError("ZALO_BOT_WEBHOOK_SECRET must be 8-256 characters when ZALO_BOT_WEBHOOK_URL is set")
        await self.api.set_webhook(settings.bot_webhook_url, self.secret)
