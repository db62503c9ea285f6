"""Serving a fake platform on a free loopback port, shared by the three fakes.

Each fake (Telegram Bot API, Zalo Bot, Zalo OA) builds its aiohttp routes and
may run one background task (pushing updates to a webhook); this holds the
runner, the site and that task, so starting and stopping is written once.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

__all__ = ["LoopbackSite"]


class LoopbackSite:
    """An aiohttp application on `host:port` (port 0: any free port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, app: web.Application, background: Coroutine[Any, Any, None] | None = None) -> int:
        """Serve `app` (and run `background` beside it); returns the port taken."""
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if background is not None:
            self._task = asyncio.create_task(background, name="fake-server-background")
        return self.port

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._runner:
            await self._runner.cleanup()
