"""A test's hands on the fake Bot API: act as users, read what the bot sent, inject faults.

Talks to the control API over HTTP, so the same code drives a fake running in
the test's own event loop or in another process (crash test, benchmark).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["Sent", "FakeTelegramClient"]


@dataclass(frozen=True)
class Sent:
    """One message the bot sent (or edited), as the fake recorded it."""

    seq: int
    method: str
    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    photos: tuple[str, ...]
    at: float
    edited: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sent:
        return cls(seq=data["seq"], method=data["method"], chat_id=data["chat_id"],
                   message_id=data["message_id"], text=data["text"],
                   reply_markup=data["reply_markup"], photos=tuple(data["photos"]),
                   at=data["at"], edited=data["edited"])

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    def button(self, text_part: str) -> str:
        """The callback data of the first button whose text contains `text_part`."""
        for text, data in self.buttons:
            if text_part.lower() in text.lower():
                return data
        raise LookupError(f"no button containing {text_part!r} in {self.buttons}")


class FakeTelegramClient:
    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> FakeTelegramClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- acting as users ---------------------------------------------------------------
    async def push(self, spec: dict[str, Any] | list[dict[str, Any]]) -> list[int]:
        response = await self._http.post("/_test/updates", json=spec)
        response.raise_for_status()
        return list(response.json()["update_ids"])

    async def send_text(self, chat_id: int, text: str, *, user_id: int | None = None,
                        **extra: Any) -> int:
        ids = await self.push({"type": "text", "chat_id": chat_id, "user_id": user_id or chat_id,
                               "text": text, **extra})
        return ids[0]

    async def press(self, chat_id: int, message_id: int, data: str, *,
                    user_id: int | None = None, **extra: Any) -> int:
        ids = await self.push({"type": "callback", "chat_id": chat_id, "message_id": message_id,
                               "data": data, "user_id": user_id or chat_id, **extra})
        return ids[0]

    async def send(self, kind: str, chat_id: int, *, user_id: int | None = None,
                   **extra: Any) -> list[int]:
        """photo / location / sticker / voice / document / video / member."""
        return await self.push({"type": kind, "chat_id": chat_id,
                                "user_id": user_id or chat_id, **extra})

    async def redeliver(self, update_id: int) -> None:
        response = await self._http.post("/_test/redeliver", json={"update_id": update_id})
        response.raise_for_status()

    # -- observing the bot -----------------------------------------------------------
    async def sent(self, chat_id: int | None = None, *, after: int = 0, wait: float = 0,
                   count: int = 1) -> list[Sent]:
        params: dict[str, Any] = {"after": after, "wait": wait, "count": count}
        if chat_id is not None:
            params["chat_id"] = chat_id
        response = await self._http.get("/_test/sent", params=params,
                                        timeout=max(30.0, wait + 10))
        response.raise_for_status()
        return [Sent.from_json(item) for item in response.json()]

    async def wait_for(self, chat_id: int | None, predicate: Callable[[Sent], bool], *,
                       after: int = 0, timeout: float = 10.0) -> Sent:
        """The first message to `chat_id` after seq `after` that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        cursor = after
        seen: list[Sent] = []
        while True:
            remaining = deadline - time.monotonic()
            batch = await self.sent(chat_id, after=cursor, wait=max(0.0, min(remaining, 5.0)))
            for item in batch:
                if predicate(item):
                    return item
                seen.append(item)
                cursor = max(cursor, item.seq)
            if remaining <= 0:
                texts = [s.text[:80] for s in seen]
                raise TimeoutError(f"nothing matching in chat {chat_id} after {after}: {texts}")

    async def last_seq(self) -> int:
        """The seq of the last recorded message: wait for what comes `after` it."""
        return int((await self.state())["last_seq"])

    async def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        response = await self._http.get("/_test/calls",
                                        params={"method": method} if method else {})
        response.raise_for_status()
        return list(response.json())

    async def state(self) -> dict[str, Any]:
        response = await self._http.get("/_test/state")
        response.raise_for_status()
        return dict(response.json())

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Until the bot has confirmed every update queued so far (polling mode)."""
        deadline = time.monotonic() + timeout
        while (state := await self.state())["pending"]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"updates still pending: {state['pending']}")
            await asyncio.sleep(0.02)

    # -- faults ------------------------------------------------------------------------
    async def fail(self, method: str, status: int, description: str = "", *,
                   retry_after: int | None = None, times: int = 1,
                   chat_id: int | None = None) -> None:
        default = {429: "Too Many Requests: retry after {}", 500: "Internal Server Error",
                   502: "Bad Gateway", 400: "Bad Request: chat not found",
                   403: "Forbidden: bot was blocked by the user"}
        text = description or default.get(status, "Error").format(retry_after)
        response = await self._http.post("/_test/faults", json={
            "method": method, "status": status, "description": text,
            "retry_after": retry_after, "times": times, "chat_id": chat_id})
        response.raise_for_status()
