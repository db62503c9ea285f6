"""Tables only the Zalo channels use (migration 0003_zalo).

- `ZaloOaToken`: the OA's access/refresh token pair. The refresh token is
  single-use, so it lives in the database, where a row lock (PostgreSQL) or
  an atomic claim (SQLite) lets only one instance refresh it.
- `ZaloOaUser`: the free messaging window per OA follower (last message from
  them, messages sent since).
- `ZaloHeldMessage`: a notification outside the window with no ZNS template:
  kept and sent the next time the citizen writes.
- `ZaloOaEvent`: OA webhook events as received, so the webhook answers 200 at
  once and a worker processes them (Zalo disables a slow webhook).
- `ZaloChoice`: Zalo has no inline buttons: buttons become numbered lines and
  the number a person sends back is looked up here.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models import Base, _enum

__all__ = ["ZaloOaToken", "ZaloOaUser", "ZaloHeldMessage", "HeldStatus", "ZaloOaEvent", "ZaloChoice"]


class HeldStatus(enum.StrEnum):
    HELD = "held"          # waiting for the citizen to write again
    RELEASED = "released"  # put back in the outbox when they wrote


class ZaloOaToken(Base):
    __tablename__ = "zalo_oa_tokens"
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime]
    refreshing_until: Mapped[datetime | None]  # SQLite: an instance claimed the refresh until then
    generation: Mapped[int] = mapped_column(Integer, default=1)  # +1 per refresh
    updated_at: Mapped[datetime]


class ZaloOaUser(Base):
    __tablename__ = "zalo_oa_users"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_inbound_at: Mapped[datetime | None]
    sent_in_window: Mapped[int] = mapped_column(Integer, default=0)


class ZaloHeldMessage(Base):
    __tablename__ = "zalo_held_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column()  # the outbox payload (text, buttons, photos)
    outbox_id: Mapped[int | None] = mapped_column(Integer)  # the row that was held
    status: Mapped[HeldStatus] = mapped_column(_enum(HeldStatus), default=HeldStatus.HELD)
    held_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


class ZaloOaEvent(Base):
    __tablename__ = "zalo_oa_events"
    delivery_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ZaloChoice(Base):
    __tablename__ = "zalo_choices"
    __table_args__ = (UniqueConstraint("channel", "chat_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(255))
    callback_data: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
