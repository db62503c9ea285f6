"""The bot's one exception tree. Context is keyword-only so messages stay structured.

    BotError
    ├── ActionError            a user's action cannot be done; the handler answers in Vietnamese
    │   ├── NotAllowed         the actor has no right on this ticket (outsider, coordinating unit)
    │   ├── StaleAction        the button is old: the ticket moved on (replay, double press)
    │   ├── InvalidTransition  the ticket's state does not allow this action
    │   ├── TicketNotFound     no such ticket (or not the asker's)
    │   ├── LimitReached       the citizen's daily ticket limit
    │   └── CodeInvalid        an enrolment code unknown, used or expired
    └── ConfigError            units/routing or settings are inconsistent
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "BotError", "ActionError", "NotAllowed", "StaleAction", "InvalidTransition",
    "TicketNotFound", "LimitReached", "CodeInvalid", "ConfigError",
]


class BotError(Exception):
    """Base of every error the bot raises on purpose."""

    def __init__(self, message: str = "", **context: Any) -> None:
        super().__init__(message or self.__class__.__name__)
        self.context = context

    def __str__(self) -> str:
        base = super().__str__()
        if not self.context:
            return base
        return base + " " + " ".join(f"{k}={v}" for k, v in sorted(self.context.items()))


class ActionError(BotError):
    """Refused: nothing was changed, the handler tells the person why."""


class NotAllowed(ActionError):
    def __init__(self, message: str = "", *, ticket_id: int | None = None, actor: str = "", **ctx: Any) -> None:
        super().__init__(message, ticket_id=ticket_id, actor=actor, **ctx)


class StaleAction(ActionError):
    def __init__(self, message: str = "", *, ticket_id: int, expected: int, current: int) -> None:
        super().__init__(message, ticket_id=ticket_id, expected=expected, current=current)


class InvalidTransition(ActionError):
    def __init__(self, message: str = "", *, ticket_id: int, state: str, action: str) -> None:
        super().__init__(message, ticket_id=ticket_id, state=state, action=action)


class TicketNotFound(ActionError):
    def __init__(self, message: str = "", *, ref: str) -> None:
        super().__init__(message, ref=ref)


class LimitReached(ActionError):
    def __init__(self, message: str = "", *, citizen_id: int, limit: int) -> None:
        super().__init__(message, citizen_id=citizen_id, limit=limit)


class CodeInvalid(ActionError):
    def __init__(self, message: str = "", *, code: str, reason: str) -> None:
        super().__init__(message, code=code, reason=reason)


class ConfigError(BotError):
    """Configuration does not hold together (unknown unit, bad setting)."""
