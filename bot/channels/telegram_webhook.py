"""Webhook mode: an aiohttp server Telegram POSTs updates to (WEBHOOK_URL is set).

PTB's own webhook server (Updater.start_webhook) answers 200 as soon as the
update is queued, before any handler ran. Here the answer waits for
`handle_update`: 200 after the effects are committed, 500 otherwise so that
Telegram delivers the update again. Requests without the secret token header
(X-Telegram-Bot-Api-Secret-Token, set with setWebhook) get 403.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.channels.telegram_parse import ALLOWED_UPDATES

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramAdapter
    from bot.config import Settings

__all__ = ["SECRET_HEADER", "WebhookServer"]

LOG = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(self, adapter: TelegramAdapter, *, url: str, secret: str, listen: str,
                 port: int, max_connections: int = 40) -> None:
        if not secret:
            raise ValueError("webhook mode needs WEBHOOK_SECRET: without it anyone could post updates")
        self.adapter = adapter
        self.url = url
        self.path = urlsplit(url).path or "/"
        self.secret = secret
        self.listen = listen
        self.port = port
        self.max_connections = max_connections
        self.bound_port: int | None = None

    @classmethod
    def from_settings(cls, adapter: TelegramAdapter, settings: Settings) -> WebhookServer:
        return cls(adapter, url=settings.webhook_url, secret=settings.webhook_secret,
                   listen=settings.webhook_listen, port=settings.webhook_port)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self.path, self._receive)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            LOG.warning("webhook refused: bad secret token remote=%s", request.remote)
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.adapter.bot)
        except Exception as exc:  # noqa: BLE001 - malformed body; Telegram never sends one
            LOG.warning("webhook body unreadable error=%r", exc)
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        if await self.adapter.handle_update(update):
            return web.Response(status=200)
        return web.Response(status=503)  # stopping before commit: Telegram retries

    async def run(self, stop: asyncio.Event, *, ready: asyncio.Event | None = None) -> None:
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.listen, self.port)
        await site.start()
        self.bound_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            await self.adapter.bot.set_webhook(
                url=self.url, secret_token=self.secret, max_connections=self.max_connections,
                allowed_updates=list(ALLOWED_UPDATES))
            LOG.info("webhook listening listen=%s port=%s path=%s", self.listen,
                     self.bound_port, self.path)
            if ready is not None:
                ready.set()
            await stop.wait()
        finally:
            await runner.cleanup()
