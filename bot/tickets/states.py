"""Ticket states and every allowed transition, in one table.

Each transition function in bot.tickets.actions looks itself up here before
changing anything, so the table IS the lifecycle: read it to know what can happen.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.errors import InvalidTransition
from bot.models import TicketState

__all__ = ["TicketState", "Action", "Transition", "TRANSITIONS", "OPEN_STATES", "FINAL_STATES", "check_transition"]

S = TicketState
OPEN_STATES: frozenset[TicketState] = frozenset({S.NEW, S.IN_PROGRESS, S.NEEDS_INFO, S.REOPENED})
FINAL_STATES: frozenset[TicketState] = frozenset({S.ANSWERED, S.REJECTED, S.CLOSED})


class Action(StrEnum):
    """What can happen to a ticket; the values are also the short callback codes."""

    SET_TOPIC = "topic"      # citizen picks the topic when the analysis was unsure
    SET_PLACE = "place"      # citizen picks the commune among candidates
    TAKE = "take"
    REQUEST_INFO = "ask"
    ADD_INFO = "info"
    TRANSFER = "move"
    ANSWER = "answer"
    REJECT = "reject"
    RATE = "rate"
    REOPEN = "reopen"
    OPINION = "opinion"


@dataclass(frozen=True, slots=True)
class Transition:
    sources: frozenset[TicketState]
    target: TicketState | None  # None: the state does not change


TRANSITIONS: dict[Action, Transition] = {
    Action.SET_TOPIC: Transition(frozenset({S.NEW}), S.NEW),
    Action.SET_PLACE: Transition(frozenset({S.NEW}), S.NEW),
    Action.TAKE: Transition(frozenset({S.NEW, S.REOPENED}), S.IN_PROGRESS),
    Action.REQUEST_INFO: Transition(frozenset({S.NEW, S.IN_PROGRESS, S.REOPENED}), S.NEEDS_INFO),
    Action.ADD_INFO: Transition(frozenset({S.NEEDS_INFO}), S.IN_PROGRESS),
    Action.TRANSFER: Transition(OPEN_STATES, S.NEW),
    Action.ANSWER: Transition(OPEN_STATES, S.ANSWERED),
    Action.REJECT: Transition(OPEN_STATES, S.REJECTED),
    Action.RATE: Transition(frozenset({S.ANSWERED}), S.CLOSED),
    Action.REOPEN: Transition(frozenset({S.ANSWERED, S.CLOSED}), S.REOPENED),
    Action.OPINION: Transition(OPEN_STATES, None),
}


def check_transition(ticket_id: int, state: TicketState, action: Action) -> TicketState:
    """The state after `action`, or InvalidTransition when `state` does not allow it."""
    rule = TRANSITIONS[action]
    if state not in rule.sources:
        raise InvalidTransition(ticket_id=ticket_id, state=state.value, action=action.value)
    return rule.target or state
