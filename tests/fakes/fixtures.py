"""Pytest fixtures for the Telegram fake; test modules import the ones they use."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer
from tests.fakes.telegram_client import FakeTelegramClient

__all__ = ["fake_telegram", "tg_client", "DEFAULT_TOKEN"]


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegramServer]:
    """A fake Bot API server on a free loopback port, in the test's event loop."""
    async with FakeTelegramServer() as server:
        yield server


@pytest.fixture
async def tg_client(fake_telegram: FakeTelegramServer) -> AsyncIterator[FakeTelegramClient]:
    async with FakeTelegramClient(fake_telegram.url) as client:
        yield client
