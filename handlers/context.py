"""What a handler receives: the update, the open session and the injected services."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.channels.base import Button, Inbound, Outbound
from bot.tickets.common import Deps
from nlp.analysis import Analysis

__all__ = ["Analyze", "Ctx", "Replies"]

Analyze = Callable[[str], Analysis]
Replies = list[Outbound]


@dataclass(frozen=True, slots=True)
class Ctx:
    inbound: Inbound
    session: Session
    deps: Deps
    analyze: Analyze

    def reply(self, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> Outbound:
        """A message back to the chat the update came from."""
        return Outbound(self.inbound.channel, self.inbound.chat_id, text, buttons)
