"""The fake Bot API's state: pending updates, sent messages, files, injected faults.

Kept apart from the HTTP layer so a test in the same process can read it
directly, and so the update queue's semantics are in one place:

- `getUpdates(offset)` confirms (forgets) every update with a smaller id that
  was already handed out, then returns what is left, long-polling up to
  `timeout` seconds. An update is therefore redelivered until the bot asks
  with an offset above it — exactly Telegram's at-least-once contract.
- `redeliver(update_id)` queues a copy of an old update with the same id, as
  Telegram does after a webhook timeout; it is handed out at least once even
  if the bot's offset is already past it.
"""
from __future__ import annotations

import asyncio
import bisect
import copy
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_objects import JSON

__all__ = ["ApiFault", "Fault", "SentRecord", "PendingUpdate", "FakeState"]


class ApiFault(Exception):
    """A Bot API error reply: raised by a method, turned into a JSON error by the server."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass
class Fault:
    """An injected failure: the next `times` calls of `method` (to `chat_id`, if set) fail."""

    method: str  # a Bot API method name, or "*" for any
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1
    chat_id: int | None = None

    def matches(self, method: str, chat_id: int | None) -> bool:
        return (self.times > 0 and self.method in ("*", method)
                and (self.chat_id is None or self.chat_id == chat_id))


@dataclass
class SentRecord:
    """Something the bot made appear in a chat (a new message or an edit)."""

    seq: int
    method: str
    chat_id: int
    message_id: int
    text: str
    reply_markup: JSON | None
    photos: list[str]
    at: float  # wall clock when the fake accepted the call (latency measurements)
    edited: bool = False

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]

    def to_json(self) -> JSON:
        return {"seq": self.seq, "method": self.method, "chat_id": self.chat_id,
                "message_id": self.message_id, "text": self.text,
                "reply_markup": self.reply_markup, "photos": self.photos, "at": self.at,
                "edited": self.edited}


@dataclass
class PendingUpdate:
    update: JSON
    handed_out: int = 0

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class FakeState:
    """Everything the fake server remembers; all mutation happens on one event loop."""

    pending: list[PendingUpdate] = field(default_factory=list)
    history: dict[int, JSON] = field(default_factory=dict)  # every update ever queued
    sent: list[SentRecord] = field(default_factory=list)
    calls: list[JSON] = field(default_factory=list)  # {"method", "params", "at"} of every call
    messages: dict[tuple[int, int], JSON] = field(default_factory=dict)  # (chat, msg id) -> Message
    files: dict[str, bytes] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str = ""
    confirmed_below: int = 0  # the highest offset the bot has confirmed
    closing: bool = False  # the server stops: long polls return at once
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, itertools.count] = field(default_factory=dict)
    _file_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition | None = None

    # -- waiting -----------------------------------------------------------------
    @property
    def changed(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Any, timeout: float) -> bool:
        """Wait until `predicate()` holds or `timeout` passes; returns the last value."""
        async with self.changed:
            try:
                await asyncio.wait_for(self.changed.wait_for(predicate), timeout)
            except TimeoutError:
                return bool(predicate())
        return True

    # -- ids -----------------------------------------------------------------------
    def next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def new_file(self, prefix: str, content: bytes) -> tuple[str, str]:
        number = next(self._file_ids)
        file_id = f"{prefix}-{number:06d}-AgACAgUAAxkBAAI"
        self.files[file_id] = content
        return file_id, f"U{prefix[:3]}{number:06d}"

    # -- updates -----------------------------------------------------------------
    async def enqueue(self, update: JSON) -> int:
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self.history[update["update_id"]] = copy.deepcopy(update)
        self.pending.append(PendingUpdate(update))
        await self.notify()
        return int(update["update_id"])

    async def redeliver(self, update_id: int) -> None:
        if update_id not in self.history:
            raise KeyError(update_id)
        self.pending.append(PendingUpdate(copy.deepcopy(self.history[update_id])))
        await self.notify()

    def confirm(self, offset: int) -> None:
        """Forget updates below `offset` that the bot has already seen."""
        self.confirmed_below = max(self.confirmed_below, offset)
        self.pending = [p for p in self.pending
                        if not (p.update_id < offset and p.handed_out > 0)]

    async def take_updates(self, offset: int | None, limit: int, timeout: float) -> list[JSON]:
        if offset is not None:
            self.confirm(offset)
        if not self.pending and timeout > 0:
            await self.wait_for(lambda: bool(self.pending) or self.closing, timeout)
        batch = self.pending[:max(1, min(limit, 100))]
        for item in batch:
            item.handed_out += 1
        return [copy.deepcopy(item.update) for item in batch]

    # -- faults ------------------------------------------------------------------
    def check_fault(self, method: str, chat_id: int | None) -> None:
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.times -= 1
                raise ApiFault(fault.status, fault.description, retry_after=fault.retry_after)

    # -- what the bot sent -------------------------------------------------------
    async def record(self, method: str, msg: JSON, *, edited: bool = False) -> SentRecord:
        chat_id = int(msg["chat"]["id"])
        self.messages[(chat_id, int(msg["message_id"]))] = msg
        photos = [sizes[-1]["file_id"] for sizes in [msg.get("photo") or []] if sizes]
        record = SentRecord(
            seq=next(self._seq), method=method, chat_id=chat_id,
            message_id=int(msg["message_id"]), text=msg.get("text") or msg.get("caption") or "",
            reply_markup=msg.get("reply_markup"), photos=photos, at=time.time(), edited=edited)
        self.sent.append(record)
        await self.notify()
        return record

    def sent_to(self, chat_id: int | None = None, after_seq: int = 0) -> list[SentRecord]:
        """Records after `after_seq`, found by bisection: `sent` is in seq order, and waiters
        ask this again on every record, so a scan from the start made a long run quadratic."""
        start = bisect.bisect_right(self.sent, after_seq, key=lambda r: r.seq)
        return [r for r in self.sent[start:] if chat_id is None or r.chat_id == chat_id]
