"""The OA's free messaging window, and notifications held outside it.

An OA may answer a follower for free only within ZALO_OA_WINDOW_HOURS (48)
of the follower's last message, at most ZALO_OA_WINDOW_MESSAGES (8) times
(older docs; newer integrator notes say 7 days: both are settings). Outside
it, a notification goes as a ZNS template where one is configured and the
citizen's phone is known, or is HELD here and put back in the outbox the next
time the citizen writes. The outbox row of a held message is marked sent with
`sent_message_id = "held:<id>"` (a ZNS one: "zns:<msg_id>"), so the outbox
shows what happened to it.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import ChannelName, Outbound
from bot.channels.zalo_models import HeldStatus, ZaloHeldMessage, ZaloOaUser
from bot.models import Citizen
from bot.tickets.notify import buttons_from_json, enqueue

__all__ = ["opened", "take_window", "hold", "release_held", "zns_target"]

_CODE = re.compile(r"\bCM-[0-9A-Z]{6}\b")


def opened(session: Session, user_id: str, at: datetime) -> None:
    """The follower wrote at `at`: a new window with a full message allowance."""
    row = session.get(ZaloOaUser, user_id)
    if row is None:
        try:
            with session.begin_nested():
                session.add(ZaloOaUser(user_id=user_id, last_inbound_at=at, sent_in_window=0))
            return
        except IntegrityError:
            row = session.get(ZaloOaUser, user_id)
    if row is not None and (row.last_inbound_at is None or at >= row.last_inbound_at):
        row.last_inbound_at, row.sent_in_window = at, 0


def take_window(factory: sessionmaker[Session], user_id: str, *, now: datetime, hours: float, limit: int,
                count: int = 1) -> bool:
    """Use `count` messages of the window, atomically; False when outside it (nothing used)."""
    with factory.begin() as session:
        return session.execute(
            update(ZaloOaUser).where(
                ZaloOaUser.user_id == user_id, ZaloOaUser.last_inbound_at >= now - timedelta(hours=hours),
                ZaloOaUser.sent_in_window + count <= limit)
            .values(sent_in_window=ZaloOaUser.sent_in_window + count)).rowcount == 1


def hold(factory: sessionmaker[Session], message: Outbound, *, now: datetime) -> int:
    with factory.begin() as session:
        row = ZaloHeldMessage(user_id=message.chat_id, payload={
            "text": message.text, "buttons": [[[b.text, b.data] for b in r] for r in message.buttons],
            "photos": list(message.photos)}, status=HeldStatus.HELD, held_at=now)
        session.add(row)
        session.flush()
        return row.id


def release_held(session: Session, user_id: str, *, now: datetime) -> int:
    """Back into the outbox (in order) the messages held for this follower; returns how many."""
    rows = session.scalars(select(ZaloHeldMessage).where(
        ZaloHeldMessage.user_id == user_id, ZaloHeldMessage.status == HeldStatus.HELD)
        .order_by(ZaloHeldMessage.id).with_for_update()).all()
    for row in rows:
        payload: dict[str, Any] = row.payload
        outbox_id = enqueue(session, Outbound(ChannelName.ZALO_OA, user_id, payload["text"],
                                              buttons_from_json(payload.get("buttons") or []),
                                              tuple(payload.get("photos") or ())), now=now)
        row.status, row.released_at, row.outbox_id = HeldStatus.RELEASED, now, outbox_id
    return len(rows)


def zns_target(factory: sessionmaker[Session], user_id: str, text: str) -> tuple[str, dict[str, str]] | None:
    """(phone in 84... form, template data) when a ZNS can reach this follower, else None."""
    with factory() as session:
        phone = session.scalar(select(Citizen.phone).where(
            Citizen.channel == ChannelName.ZALO_OA.value, Citizen.chat_id == user_id))
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return None
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    code = _CODE.search(text)
    return digits, {"ma_phieu": code.group(0) if code else "", "noi_dung": text[:400]}
