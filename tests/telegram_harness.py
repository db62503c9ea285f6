"""The Telegram bot under test: `serve()` on a Runtime, against the fake Bot API, in-process.

Shared by the end-to-end tests: acting as citizens and officials, and the
few database reads the tests check their claims with.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.channels.telegram import serve
from bot.clock import FixedClock
from bot.config import Settings
from bot.enrolment import create_code, redeem_group_link
from bot.models import CodePurpose, Outbox, OutboxStatus, Ticket
from bot.runtime import Runtime
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer
from tests.fakes.telegram_client import FakeTelegramClient, Sent

__all__ = ["Harness", "running_bot"]


@dataclass
class Harness:
    runtime: Runtime
    client: FakeTelegramClient
    clock: FixedClock

    async def mark(self) -> int:
        return await self.client.last_seq()

    async def said(self, chat: int, text: str, *, user: int | None = None,
                   timeout: float = 15) -> Sent:
        """Send `text` from `chat` and return the bot's first message to that chat after it."""
        after = await self.mark()
        await self.client.send_text(chat, text, user_id=user or chat)
        return await self.client.wait_for(chat, lambda s: True, after=after, timeout=timeout)

    async def pressed(self, chat: int, message: Sent, button: str, *, user: int | None = None,
                      expect_in: int | None = None, timeout: float = 15) -> Sent:
        after = await self.mark()
        await self.client.press(chat, message.message_id, message.button(button), user_id=user or chat)
        return await self.client.wait_for(expect_in or chat, lambda s: not s.edited, after=after,
                                          timeout=timeout)

    async def consented(self, chat: int, *, anonymous: bool = False) -> None:
        greeting = await self.said(chat, "/start")
        await self.pressed(chat, greeting, "ẩn danh" if anonymous else "Tôi đồng ý")

    def link_group(self, unit_id: str, chat: int) -> None:
        """Link a group to a unit the way /lienket does, without the round trip."""
        code = create_code(self.runtime.session_factory, CodePurpose.GROUP_LINK, unit_id, self.clock)
        with self.runtime.session_factory.begin() as session:
            redeem_group_link(session, code, channel="telegram", chat_id=str(chat), used_by="test",
                              clock=self.clock)

    def code(self, purpose: CodePurpose, unit_id: str) -> str:
        return create_code(self.runtime.session_factory, purpose, unit_id, self.clock)

    def tickets(self) -> list[Ticket]:
        with self.runtime.session_factory() as session:
            rows = list(session.scalars(select(Ticket).order_by(Ticket.id)))
            session.expunge_all()
            return rows

    def unsent(self) -> int:
        with self.runtime.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))) or 0)

    async def all_delivered(self, timeout: float = 15) -> None:
        """Until every update is acknowledged and the outbox holds nothing unsent."""
        await self.client.wait_idle(timeout)
        deadline = asyncio.get_running_loop().time() + timeout
        while (left := await asyncio.to_thread(self.unsent)) and \
                asyncio.get_running_loop().time() < deadline:
            await self.client.sent(after=await self.mark(), wait=0.2)  # wakes on the next send
        assert left == 0, f"{left} outbox rows still unsent"

    def outbox_rows(self, chat: int) -> list[Outbox]:
        with self.runtime.session_factory() as session:
            rows = list(session.scalars(select(Outbox).where(Outbox.chat_id == str(chat))
                                        .order_by(Outbox.id)))
            session.expunge_all()
            return rows


def child_pids(pid: int) -> list[int]:
    """The processes `pid` started (`phananh serve`: the Telegram sender and the model process)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has exited; only its parent's wait is missing


@asynccontextmanager
async def running_bot(settings: Settings, clock: FixedClock, analyzer: Any,
                      fake: FakeTelegramServer, *, outbox_process: bool = False,
                      **overrides: Any) -> AsyncIterator[Harness]:
    """serve() in this event loop until the block ends; `overrides` change Settings fields.

    `outbox_process`: the outbox's Bot API calls go through the child process
    (bot/channels/telegram_sender.py), as `phananh serve` does by default.
    """
    settings = replace(settings, telegram_bot_token=DEFAULT_TOKEN,
                       telegram_api_base_url=fake.url, outbox_poll_seconds=0.2, **overrides)
    runtime = Runtime.build(settings, analyzer=analyzer, clock=clock)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(runtime, stop=stop, rate_limits=None, ready=ready,
                                     outbox_process=outbox_process))
    try:
        waiter = asyncio.ensure_future(ready.wait())
        await asyncio.wait({waiter, task}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        assert ready.is_set(), "bot did not start"
        async with FakeTelegramClient(fake.url) as client:
            yield Harness(runtime, client, clock)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        runtime.close()
