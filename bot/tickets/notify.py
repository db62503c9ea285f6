"""Where notifications go, written as outbox rows inside the caller's transaction.

A unit is reached in its linked group chats; a unit without a linked group is
reached in its active officials' private chats (a private chat's id is the
person's id on Telegram, Zalo and the console alike).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.channels.base import Button, ChannelName, Outbound, OutboundDocument
from bot.models import CardRole, Citizen, GroupLink, Official, Outbox, OutboxStatus
from bot.units import cached_unit_chats

__all__ = ["ChatRef", "unit_chats", "enqueue", "enqueue_many", "outbox_row", "notify_citizen", "notify_unit",
           "buttons_to_json", "buttons_from_json"]

_INSERT_OUTBOX = insert(Outbox.__table__).returning(Outbox.__table__.c.id)
_INSERT_OUTBOX_MANY = insert(Outbox.__table__)  # executemany: ids in insertion order, none returned


@dataclass(frozen=True, slots=True)
class ChatRef:
    channel: ChannelName
    chat_id: str


def unit_chats(session: Session, unit_id: str) -> list[ChatRef]:
    """The unit's chats, through the per-process cache of bot/units.py."""
    return cached_unit_chats(session, unit_id, _unit_chats)


def _unit_chats(session: Session, unit_id: str) -> list[ChatRef]:
    links = session.scalars(
        select(GroupLink).where(GroupLink.unit_id == unit_id, GroupLink.active.is_(True)).order_by(GroupLink.id)
    ).all()
    if links:
        return [ChatRef(ChannelName(link.channel), link.chat_id) for link in links]
    officials = session.scalars(
        select(Official).where(Official.unit_id == unit_id, Official.active.is_(True)).order_by(Official.id)
    ).all()
    return [ChatRef(ChannelName(o.channel), o.platform_id) for o in officials]


def buttons_to_json(rows: tuple[tuple[Button, ...], ...]) -> list[list[list[str]]]:
    return [[[b.text, b.data] for b in row] for row in rows]


def buttons_from_json(rows: list[list[list[str]]]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(Button(text=t, data=d) for t, d in row) for row in rows)


def outbox_row(message: Outbound, *, now: datetime, ticket_id: int | None = None,
               card_unit_id: str | None = None, card_role: CardRole | None = None) -> dict[str, Any]:
    """The outbox row for one message. With `card_unit_id` the row is a ticket card: the
    sender edits the card already posted in that chat instead of posting a new one."""
    return {
        "channel": message.channel.value,
        "chat_id": message.chat_id,
        "payload": {
            "text": message.text,
            "buttons": buttons_to_json(message.buttons),
            "photos": list(message.photos),
            "edit_message_id": message.edit_message_id,
            **({"documents": [[d.path, d.name] for d in message.documents]} if message.documents else {}),
        },
        "ticket_id": ticket_id,
        "card_unit_id": card_unit_id,
        "card_role": card_role.value if card_role else None,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue(session: Session, message: Outbound, *, now: datetime, ticket_id: int | None = None,
            card_unit_id: str | None = None, card_role: CardRole | None = None) -> int:
    """One outbox row, inserted at once; returns its id (see `outbox_row`).

    A Core INSERT rather than an ORM object: every update writes one or more of
    these and nothing reads them back as objects, so the unit of work's
    bookkeeping was pure cost on the busiest path. Rows go in call order.
    """
    row = outbox_row(message, now=now, ticket_id=ticket_id, card_unit_id=card_unit_id, card_role=card_role)
    return session.connection().execute(_INSERT_OUTBOX, row).scalar_one()


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Several `outbox_row`s in one statement (a petition's cards, an update's replies), in list order."""
    if rows:
        session.connection().execute(_INSERT_OUTBOX_MANY, rows)


def notify_citizen(session: Session, citizen: Citizen, text: str, *, now: datetime, ticket_id: int | None = None,
                   buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
    enqueue(session, Outbound(ChannelName(citizen.channel), citizen.chat_id, text, buttons), now=now, ticket_id=ticket_id)


def notify_unit(session: Session, unit_id: str, text: str, *, now: datetime, ticket_id: int | None = None,
                buttons: tuple[tuple[Button, ...], ...] = (), documents: tuple[OutboundDocument, ...] = ()) -> int:
    """A message (with `documents`, files) to every chat of the unit; returns how many chats."""
    chats = unit_chats(session, unit_id)
    enqueue_many(session, [outbox_row(Outbound(chat.channel, chat.chat_id, text, buttons, documents=documents),
                                      now=now, ticket_id=ticket_id) for chat in chats])
    return len(chats)
