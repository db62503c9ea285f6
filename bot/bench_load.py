"""The load side of `phananh bench pipeline`: push citizens' messages into the fake
Bot API and time the answers, using the fake's own clock stamps on arrival.

Each measured message comes from its own chat, so the first answer in that
chat is its reply; when `code_pattern` is given, the reply must carry a
ticket code and the run ends only when every card carrying those codes has
reached a group and `settled()` says nothing is left to send.
"""
from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunResult", "run_load"]


@dataclass
class RunResult:
    name: str
    messages: int
    seconds: float  # first send -> last reply/card
    latencies: list[float] = field(default_factory=list)  # send -> reply, seconds
    card_latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else float("inf")

    @staticmethod
    def _pct(values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    def p(self, q: float, cards: bool = False) -> float:
        return self._pct(self.card_latencies if cards else self.latencies, q)

    def line(self) -> str:
        text = (f"{self.name:<26} {self.messages:>5} msgs  {self.rate:8.1f} msg/s  "
                f"reply p50 {self.p(0.5) * 1000:7.1f} ms  p99 {self.p(0.99) * 1000:7.1f} ms")
        if self.card_latencies:
            text += (f"  card p50 {self.p(0.5, True) * 1000:7.1f} ms"
                     f"  p99 {self.p(0.99, True) * 1000:7.1f} ms")
        return text


async def run_load(client: Any, name: str, chats: Sequence[int], texts: Sequence[str], *,
                   rate: float | None = None, code_pattern: re.Pattern[str] | None = None,
                   settled: Callable[[], Awaitable[bool]] | None = None,
                   timeout: float = 120.0) -> RunResult:
    """Send texts[i] from chats[i] (all at once, or `rate` per second) and wait for the answers."""
    cursor = await client.last_seq()
    sent_at: dict[int, float] = {}
    reply_at: dict[int, float] = {}
    code_of: dict[str, int] = {}
    card_at: dict[str, float] = {}
    specs = [{"type": "text", "chat_id": c, "user_id": c, "text": t} for c, t in zip(chats, texts)]

    async def send() -> None:
        if rate is None:
            now = time.time()
            sent_at.update({c: now for c in chats})
            await client.push(specs)
            return
        start = time.monotonic()
        for i, spec in enumerate(specs):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[spec["chat_id"]] = time.time()
            await client.push(spec)

    def note(record: Any) -> None:
        if record.chat_id in sent_at and record.chat_id not in reply_at:
            found = code_pattern.search(record.text) if code_pattern else None
            if code_pattern is None or found:
                reply_at[record.chat_id] = record.at
                if found:
                    code_of[found.group(0)] = record.chat_id
        elif record.chat_id < 0 and record.chat_id not in sent_at and code_pattern \
                and not record.edited:
            found = code_pattern.search(record.text)
            if found and found.group(0) not in card_at:
                card_at[found.group(0)] = record.at

    sender = asyncio.create_task(send())
    deadline = time.monotonic() + timeout
    last_at = 0.0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: {len(reply_at)}/{len(chats)} replies, "
                               f"{len(card_at)} cards after {timeout}s")
        batch = await client.sent(after=cursor, wait=1.0)
        for record in batch:
            cursor = max(cursor, record.seq)
            last_at = max(last_at, record.at)
            note(record)
        replies_done = sender.done() and len(reply_at) == len(chats)
        cards_done = code_pattern is None or all(c in card_at for c in code_of)
        if replies_done and cards_done and (settled is None or await settled()):
            if not batch or settled is None:
                break
    await sender
    start = min(sent_at.values())
    latencies = [reply_at[c] - sent_at[c] for c in chats]
    cards = [card_at[code] - sent_at[chat] for code, chat in code_of.items() if code in card_at]
    return RunResult(name, len(chats), last_at - start, latencies, cards)
