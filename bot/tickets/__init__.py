"""The ticket lifecycle: states, the transition table and one function per transition.

Handlers call these functions; nothing else writes a ticket. Every function
works inside the caller's transaction (bot.runtime opens one per update).
"""
from bot.tickets.common import Deps
from bot.tickets.feedback import add_citizen_info, check_reopen, rate_ticket, reopen_ticket
from bot.tickets.filing import file_ticket, set_ticket_place, set_ticket_topic
from bot.tickets.handling import (
    add_coordination_opinion, answer_ticket, check_official_action, check_opinion_right, reject_ticket,
    request_info, take_ticket, transfer_ticket,
)
from bot.tickets.states import FINAL_STATES, OPEN_STATES, TRANSITIONS, Action, TicketState

__all__ = [
    "Deps", "Action", "TicketState", "TRANSITIONS", "OPEN_STATES", "FINAL_STATES",
    "file_ticket", "set_ticket_topic", "set_ticket_place", "take_ticket", "request_info", "add_citizen_info",
    "transfer_ticket", "answer_ticket", "reject_ticket", "rate_ticket", "reopen_ticket", "check_reopen",
    "add_coordination_opinion", "check_official_action", "check_opinion_right",
]
