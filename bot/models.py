"""The database tables as SQLAlchemy 2 typed models.

Times are stored as UTC (`UTCDateTime` gives them back timezone-aware on both
backends). Enums are stored as their string values (VARCHAR), so adding a
value needs no database type change. Units are soft-deleted (`active`).
"""
from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, Enum, Float, ForeignKey, Index, Integer, MetaData,
    String, Text, TypeDecorator, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base", "UTCDateTime", "Unit", "Official", "GroupLink", "Citizen", "Ticket", "TicketState",
    "TicketEvent", "EventType", "ActorKind", "Outbox", "OutboxStatus", "ProcessedUpdate",
    "OneTimeCode", "CodePurpose", "CardMessage", "CardRole", "CoordinationOpinion",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite has no time zones."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use clock.now()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class TicketState(enum.StrEnum):
    NEW = "new"                  # routed, waiting for the lead unit to take it
    IN_PROGRESS = "in_progress"  # taken by an official
    NEEDS_INFO = "needs_info"    # waiting for the citizen's additional information
    ANSWERED = "answered"        # the answer was sent to the citizen
    REJECTED = "rejected"        # spam / out of scope, with a reason
    REOPENED = "reopened"        # the citizen was unsatisfied (once)
    CLOSED = "closed"            # rated by the citizen


class EventType(enum.StrEnum):
    FILED = "filed"
    TOPIC_SET = "topic_set"
    PLACE_SET = "place_set"
    TAKEN = "taken"
    INFO_REQUESTED = "info_requested"
    INFO_ADDED = "info_added"
    PHOTOS_ADDED = "photos_added"  # more photos of an album, right after filing
    TRANSFERRED = "transferred"
    ANSWERED = "answered"
    REJECTED = "rejected"
    RATED = "rated"
    REOPENED = "reopened"
    OPINION_ADDED = "opinion_added"


class ActorKind(enum.StrEnum):
    CITIZEN = "citizen"
    OFFICIAL = "official"
    SYSTEM = "system"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"   # claimed by a sender until `next_attempt_at` (lease)
    SENT = "sent"
    FAILED = "failed"


class CodePurpose(enum.StrEnum):
    OFFICIAL_INVITE = "official_invite"
    GROUP_LINK = "group_link"


class CardRole(enum.StrEnum):
    LEAD = "lead"
    COORDINATING = "coordinating"


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    short: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    commune: Mapped[str | None] = mapped_column(String(16), index=True)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Official(Base):
    __tablename__ = "officials"
    __table_args__ = (UniqueConstraint("channel", "platform_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    step: Mapped[str] = mapped_column(String(32), default="idle")
    step_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enrolled_at: Mapped[datetime]


class GroupLink(Base):
    __tablename__ = "group_links"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    linked_at: Mapped[datetime]


class Citizen(Base):
    __tablename__ = "citizens"
    __table_args__ = (UniqueConstraint("channel", "platform_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None]
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    step: Mapped[str] = mapped_column(String(32), default="idle")
    step_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_lead_state", "lead_unit_id", "state"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_code: Mapped[str | None] = mapped_column(String(16))
    location_name: Mapped[str | None] = mapped_column(String(255))
    location_candidates: Mapped[list[Any]] = mapped_column(default=list)
    category: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    top_categories: Mapped[list[Any]] = mapped_column(default=list)
    groups: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_reason: Mapped[list[Any]] = mapped_column(default=list)
    needs_triage: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    coordinating_units: Mapped[list[Any]] = mapped_column(default=list)
    overseer_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"))
    state: Mapped[TicketState] = mapped_column(_enum(TicketState), default=TicketState.NEW)
    version: Mapped[int] = mapped_column(Integer, default=1)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    answer_text: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    rating: Mapped[int | None] = mapped_column(Integer)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class TicketEvent(Base):
    """The audit trail: one row per transition, with a JSON snapshot of what changed."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    type: Mapped[EventType] = mapped_column(_enum(EventType))
    actor_kind: Mapped[ActorKind] = mapped_column(_enum(ActorKind))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    state_before: Mapped[str | None] = mapped_column(String(32))
    state_after: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    card_unit_id: Mapped[str | None] = mapped_column(String(64))  # set: this row is a ticket card
    card_role: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    sent_message_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ProcessedUpdate(Base):
    """A platform update already handled: inserted in the same transaction as its effects."""

    __tablename__ = "processed_updates"
    delivery_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    processed_at: Mapped[datetime]


class OneTimeCode(Base):
    __tablename__ = "one_time_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    purpose: Mapped[CodePurpose] = mapped_column(_enum(CodePurpose))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(96))


class CardMessage(Base):
    """Where a ticket's card was posted, so later changes edit it in place."""

    __tablename__ = "card_messages"
    __table_args__ = (UniqueConstraint("ticket_id", "channel", "chat_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    role: Mapped[CardRole] = mapped_column(_enum(CardRole))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class CoordinationOpinion(Base):
    __tablename__ = "coordination_opinions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
