"""Compact, checkable button data: "<role>:<ticket_id>:<action>:<version>[:<arg>]".

`role` is "t" for an official's card button and "c" for a citizen's button.
The version is the ticket's version when the button was drawn: a press after
the ticket moved on (replay, double press, old card) no longer matches and is
refused without changing anything. Telegram allows 64 bytes; we check it.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CallbackData", "MAX_CALLBACK_BYTES", "OFFICIAL", "CITIZEN", "SHOW"]

MAX_CALLBACK_BYTES = 64
OFFICIAL = "t"
CITIZEN = "c"
SHOW = "show"  # an official's "open this ticket" (the Front's digest): read-only, so any version


@dataclass(frozen=True, slots=True)
class CallbackData:
    role: str
    ticket_id: int
    action: str
    version: int
    arg: str = ""

    def encode(self) -> str:
        parts = [self.role, str(self.ticket_id), str(self.action), str(self.version)]
        if self.arg:
            parts.append(self.arg)
        data = ":".join(parts)
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    @classmethod
    def parse(cls, data: str) -> CallbackData | None:
        """None for anything malformed (a forged or foreign button)."""
        parts = data.split(":", 4)
        if len(parts) < 4 or parts[0] not in (OFFICIAL, CITIZEN):
            return None
        try:
            ticket_id, version = int(parts[1]), int(parts[3])
        except ValueError:
            return None
        if ticket_id < 0 or version < 0 or not parts[2]:
            return None
        return cls(parts[0], ticket_id, parts[2], version, parts[4] if len(parts) == 5 else "")
