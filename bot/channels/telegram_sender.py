"""Bot API calls in a process of their own (`OUTBOX_PROCESS=true`, the default).

Why: the bot is one Python process, so a citizen's update (parse, file,
commit) and the Bot API calls that deliver its reply and card would share one
core; python-telegram-bot spends about a millisecond of CPU on each call. The
outbox sender stays in the bot (claiming and marking rows in the same database
thread as the updates, so SQLite's single writer is shared in turn), but the
calls themselves go to a child process (bot/child.py) on the other core.

`RemoteTelegram` is the bot's side: a ChannelAdapter whose `send` and
`fetch_file` are answered by `python -m bot.channels.telegram_sender`, which
runs the real TelegramAdapter (PTB, its rate limiter and connection pool).
Exceptions (RetryLater, Undeliverable, network errors) come back as values
and are raised in the bot, so the outbox treats them as before.
"""
from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from bot.channels.base import ChannelName, Outbound
from bot.child import ChildProcess, child_main, serve_calls

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["RemoteTelegram", "main"]


class RemoteTelegram:
    """ChannelAdapter for the outbox: the Bot API calls happen in the child process."""

    name = ChannelName.TELEGRAM

    def __init__(self, settings: Settings, *, rate_limited: bool = True) -> None:
        # the bot's own Telegram settings, not whatever the environment says
        self.child = ChildProcess("bot.channels.telegram_sender", env={
            "TELEGRAM_BOT_TOKEN": settings.telegram_bot_token,
            "TELEGRAM_API_BASE_URL": settings.telegram_api_base_url,
            "TELEGRAM_RATE_LIMIT": "true" if rate_limited else "false",
            "LOG_LEVEL": settings.log_level})

    async def start(self) -> None:
        await self.child.start()

    async def send(self, message: Outbound) -> str | None:
        return await self.child.call("send", message)  # type: ignore[no-any-return]

    async def fetch_file(self, file_id: str) -> bytes:
        return await self.child.call("fetch_file", file_id)  # type: ignore[no-any-return]

    async def run(self, stop: asyncio.Event) -> None:
        await self.child.run(stop)

    async def close(self) -> None:
        await self.child.close()


async def _serve() -> None:
    from bot.channels.telegram import RateLimits, TelegramAdapter, build_application
    from bot.config import Settings

    settings = Settings.from_env()
    application = build_application(settings.telegram_bot_token, settings.telegram_api_base_url,
                                    rate_limits=RateLimits.from_settings(settings))
    async with TelegramAdapter(application) as adapter:
        await serve_calls({"send": adapter.send, "fetch_file": adapter.fetch_file})


def main() -> int:
    return child_main(_serve, name=__name__)


if __name__ == "__main__":
    sys.exit(main())
