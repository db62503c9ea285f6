"""The Zalo channels under test: `zalo_serve.serve` on a Runtime, against the fake Zalo servers.

Optionally Telegram too (the real telegram.serve against its fake, on the SAME
runtime), for the cross-channel tests. Helpers act as citizens and officials.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select

from bot.channels import telegram
from bot.channels.zalo_config import ZaloSettings
from bot.channels.zalo_serve import zalo_channels
from bot.clock import FixedClock
from bot.config import Settings
from bot.enrolment import create_code, redeem_group_link
from bot.models import CodePurpose, Outbox, OutboxStatus, Ticket
from bot.outbox import OutboxSender
from bot.runtime import Runtime
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer
from tests.fakes.zalo_bot_api import TOKEN, FakeZaloBotServer
from tests.fakes.zalo_oa_api import FakeZaloOaServer

__all__ = ["ZaloHarness", "running_zalo", "choice", "OA_APP_ID", "OA_SECRET", "APP_SECRET"]

OA_APP_ID, OA_SECRET, APP_SECRET = "360846524940903967", "oa-secret-key-for-tests", "app-secret-for-tests"


def choice(text: str, label: str) -> str:
    """The number offered for the button whose label contains `label`."""
    for line in text.splitlines():
        found = re.match(r"^(\d+)\. (.*)$", line)
        if found and label in found.group(2):
            return found.group(1)
    raise AssertionError(f"no choice {label!r} in {text!r}")


@dataclass
class ZaloHarness:
    runtime: Runtime
    clock: FixedClock
    bot: FakeZaloBotServer
    oa: FakeZaloOaServer
    port: int
    sender: OutboxSender

    @property
    def oa_webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.runtime.settings.zalo.oa_webhook_path}"

    async def said(self, chat: str, text: str, *, user: str | None = None, group: bool = False,
                   timeout: float = 15) -> Any:
        """The bot's first message to `chat` after `text` was said there."""
        after = self.bot.last_seq()
        await self.bot.user_says(chat, text, user_id=user or chat, chat_type="GROUP" if group else "PRIVATE")
        return await self.bot.wait_sent(chat, after=after, timeout=timeout)

    async def oa_said(self, user: str, text: str, *, timeout: float = 15) -> Any:
        after = self.oa.last_seq()
        assert await self.oa.follower_says(self.oa_webhook, user, text) == 200
        return await self.oa.wait_sent(user, after=after, timeout=timeout)

    async def settled(self, timeout: float = 15) -> None:
        """Until the outbox holds nothing unsent (before moving the clock: a lease must not run out mid-send)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with self.runtime.session_factory() as session:
                unsent = session.scalar(select(func.count()).select_from(Outbox).where(
                    Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])))
            if not unsent:
                return
            assert asyncio.get_running_loop().time() < deadline, f"{unsent} outbox rows still unsent"
            await asyncio.sleep(0.02)

    def code(self, purpose: CodePurpose, unit_id: str) -> str:
        return create_code(self.runtime.session_factory, purpose, unit_id, self.clock)

    def link_group(self, channel: str, unit_id: str, chat: str) -> None:
        code = self.code(CodePurpose.GROUP_LINK, unit_id)
        with self.runtime.session_factory.begin() as session:
            redeem_group_link(session, code, channel=channel, chat_id=chat, used_by="test", clock=self.clock)

    def tickets(self) -> list[Ticket]:
        with self.runtime.session_factory() as session:
            rows = list(session.scalars(select(Ticket).order_by(Ticket.id)))
            session.expunge_all()
            return rows


def zalo_settings(settings: Settings, bot: FakeZaloBotServer, oa: FakeZaloOaServer, **zalo: Any) -> Settings:
    z = ZaloSettings(bot_token=TOKEN, bot_api_base_url=bot.url, bot_poll_timeout=1, oa_app_id=OA_APP_ID,
                     oa_secret_key=OA_SECRET, oa_app_secret=APP_SECRET, oa_access_token="acc-1",
                     oa_refresh_token="ref-1", oa_api_base_url=oa.url, oauth_base_url=oa.url, zns_base_url=oa.url,
                     webhook_port=0)
    return replace(settings, outbox_poll_seconds=0.2, zalo=replace(z, **zalo))


@asynccontextmanager
async def running_zalo(settings: Settings, clock: FixedClock, analyzer: Any, *,
                       telegram_fake: FakeTelegramServer | None = None, **zalo: Any) -> AsyncIterator[ZaloHarness]:
    async with FakeZaloBotServer() as bot, FakeZaloOaServer(app_id=OA_APP_ID, oa_secret=OA_SECRET,
                                                            app_secret=APP_SECRET) as oa:
        settings = zalo_settings(settings, bot, oa, **zalo)
        if telegram_fake is not None:
            settings = replace(settings, telegram_bot_token=DEFAULT_TOKEN, telegram_api_base_url=telegram_fake.url)
        runtime = Runtime.build(settings, analyzer=analyzer, clock=clock)
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        try:
            async with zalo_channels(runtime, stop) as channels:
                sender = OutboxSender(runtime, channels.adapters)
                tasks.append(asyncio.create_task(sender.run(stop)))
                if telegram_fake is not None:
                    ready = asyncio.Event()
                    tasks.append(asyncio.create_task(telegram.serve(runtime, stop=stop, rate_limits=None,
                                                                    ready=ready)))
                    await asyncio.wait_for(ready.wait(), 20)
                try:
                    yield ZaloHarness(runtime, clock, bot, oa, channels.port, sender)
                finally:  # the senders stop before the channels close their HTTP clients
                    stop.set()
                    await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            runtime.close()
