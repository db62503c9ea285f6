"""Run the configured Zalo channels (and Telegram, when its token is set) in one process.

One aiohttp server (ZALO_WEBHOOK_LISTEN:ZALO_WEBHOOK_PORT) takes both Zalo
webhooks: the Bot Platform's at the path of ZALO_BOT_WEBHOOK_URL, the OA's at
ZALO_OA_WEBHOOK_PATH. One OutboxSender sends the rows of both Zalo channels;
Telegram keeps its own (bot/channels/telegram.serve), the rows are split by
their `channel` column, so they never take each other's rows.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from aiohttp import web

from bot.channels.base import ChannelAdapter, ChannelName
from bot.channels.zalo_bot import ZaloBotAdapter
from bot.channels.zalo_bot_api import ZaloBotApi

if TYPE_CHECKING:
    from bot.channels.zalo_oa import ZaloOaAdapter
    from bot.runtime import Runtime

__all__ = ["ZaloChannels", "zalo_channels", "serve", "serve_all", "enabled"]

LOG = logging.getLogger(__name__)


def enabled(runtime: Runtime) -> bool:
    zalo = runtime.settings.zalo
    return zalo.bot_enabled or zalo.oa_enabled


@dataclass
class ZaloChannels:
    """The running Zalo parts; `port` is the webhook server's bound port (0: none)."""

    bot: ZaloBotAdapter | None = None
    oa: ZaloOaAdapter | None = None
    port: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def adapters(self) -> dict[ChannelName, ChannelAdapter]:
        found: dict[ChannelName, ChannelAdapter] = {}
        if self.bot is not None:
            found[ChannelName.ZALO_BOT] = self.bot
        if self.oa is not None:
            found[ChannelName.ZALO_OA] = self.oa
        return found


@contextlib.asynccontextmanager
async def zalo_channels(runtime: Runtime, stop: asyncio.Event, *,
                        transport: httpx.AsyncBaseTransport | None = None) -> AsyncIterator[ZaloChannels]:
    """Start receivers and the webhook server; the caller runs an OutboxSender over `.adapters`."""
    from bot.channels.zalo_oa import ZaloOaAdapter

    settings = runtime.settings.zalo
    channels = ZaloChannels()
    app = web.Application(client_max_size=2 * 1024 * 1024)
    bot_api: ZaloBotApi | None = None
    if settings.bot_enabled:
        bot_api = ZaloBotApi(settings.bot_token, settings.bot_api_base_url, transport=transport)
        channels.bot = ZaloBotAdapter(runtime, bot_api)
        if settings.bot_webhook_url:
            app.router.add_post(urlsplit(settings.bot_webhook_url).path or "/", channels.bot.webhook)
    if settings.oa_enabled:
        channels.oa = ZaloOaAdapter.build(runtime, transport=transport)
        app.router.add_post(settings.oa_webhook_path, channels.oa.webhook)
    runner: web.AppRunner | None = None
    try:
        await runtime.start_children()
        if app.router.routes():
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, settings.webhook_listen, settings.webhook_port)
            await site.start()
            channels.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            LOG.info("zalo webhooks listening listen=%s port=%s", settings.webhook_listen, channels.port)
        if channels.bot is not None:
            if settings.bot_webhook_url:
                await channels.bot.register_webhook()
            else:
                channels.tasks.append(asyncio.create_task(channels.bot.poll(stop), name="zalo-bot-poller"))
        if channels.oa is not None:
            channels.tasks.append(asyncio.create_task(channels.oa.run_events(stop), name="zalo-oa-events"))
        yield channels
    finally:
        stop.set()
        for adapter in (channels.bot, channels.oa):
            if adapter is not None:
                adapter.worker.stopping.set()
        await asyncio.gather(*channels.tasks, return_exceptions=True)
        if runner is not None:
            await runner.cleanup()
        if bot_api is not None:
            await bot_api.close()
        if channels.oa is not None:
            await channels.oa.close()
        await runtime.close_children()


async def serve(runtime: Runtime, *, stop: asyncio.Event | None = None,
                ready: asyncio.Event | None = None) -> None:
    """The Zalo channels and their outbox sender until `stop`."""
    from bot.outbox import OutboxSender

    stop = stop or asyncio.Event()
    async with zalo_channels(runtime, stop) as channels:
        sender = OutboxSender(runtime, channels.adapters)
        if ready is not None:
            ready.set()
        tasks = [asyncio.create_task(sender.run(stop), name="zalo-outbox"), *channels.tasks]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # a crashed receiver stops the bot loudly


async def serve_all(runtime: Runtime) -> None:
    """`phananh serve` with Zalo configured: Zalo, plus Telegram when its token is set."""
    from bot.channels import telegram

    stop = asyncio.Event()
    telegram._install_signal_handlers(stop)
    jobs = [serve(runtime, stop=stop)]
    if runtime.settings.telegram_bot_token:
        jobs.append(telegram.serve(runtime, stop=stop,
                                   rate_limits=telegram.RateLimits.from_settings(runtime.settings)))
    try:
        await asyncio.gather(*jobs)
    finally:
        stop.set()
