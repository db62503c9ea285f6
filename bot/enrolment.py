"""Enrolling officials and linking group chats with one-time codes.

The administrator prints a code (`phananh official invite UNIT_ID`,
`phananh unit link-code UNIT_ID`); the official sends `/start CODE` in private
or `/lienket CODE` in the unit's group. A code works once and expires.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.codes import normalize_code, random_code
from bot.errors import CodeInvalid, ConfigError
from bot.models import CodePurpose, GroupLink, Official, OneTimeCode, Unit
from bot.units import mark_links_changing

__all__ = ["create_code", "issue_code", "redeem_invite", "redeem_group_link"]

log = logging.getLogger(__name__)
CODE_LENGTH = 8


def issue_code(session: Session, purpose: CodePurpose, unit_id: str, clock: Clock, ttl: timedelta) -> OneTimeCode:
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise ConfigError("unknown or inactive unit", unit_id=unit_id)
    now = clock.now()
    while True:
        code = random_code(CODE_LENGTH)
        if session.scalar(select(OneTimeCode.id).where(OneTimeCode.code == code)) is None:
            break
    row = OneTimeCode(code=code, purpose=purpose, unit_id=unit_id, created_at=now, expires_at=now + ttl)
    session.add(row)
    session.flush()
    log.info("code issued purpose=%s unit=%s expires=%s", purpose.value, unit_id, row.expires_at.isoformat())
    return row


def create_code(factory: sessionmaker[Session], purpose: CodePurpose, unit_id: str, clock: Clock,
                ttl: timedelta = timedelta(hours=48)) -> str:
    """Issue a code in its own transaction (CLI and tests)."""
    with factory() as session, session.begin():
        return issue_code(session, purpose, unit_id, clock, ttl).code


def _use(session: Session, text: str, purpose: CodePurpose, clock: Clock, used_by: str) -> OneTimeCode:
    code = normalize_code(text)
    row = session.scalar(select(OneTimeCode).where(OneTimeCode.code == code).with_for_update())
    if row is None or row.purpose != purpose:
        raise CodeInvalid(code=code, reason="unknown")
    if row.used_at is not None:
        raise CodeInvalid(code=code, reason="used")
    if row.expires_at <= clock.now():
        raise CodeInvalid(code=code, reason="expired")
    row.used_at = clock.now()
    row.used_by = used_by
    mark_links_changing(session)  # who receives a unit's messages is about to change
    return row


def redeem_invite(session: Session, text: str, *, channel: str, platform_id: str, display_name: str,
                  clock: Clock) -> Official:
    """Make the sender an official of the code's unit (re-enrolling moves them)."""
    row = _use(session, text, CodePurpose.OFFICIAL_INVITE, clock, f"{channel}:{platform_id}")
    official = session.scalar(select(Official).where(Official.channel == channel, Official.platform_id == platform_id))
    if official is None:
        official = Official(channel=channel, platform_id=platform_id, display_name=display_name,
                            unit_id=row.unit_id, active=True, step="idle", step_data={}, enrolled_at=clock.now())
        session.add(official)
    else:
        official.unit_id, official.active, official.display_name = row.unit_id, True, display_name or official.display_name
        official.step, official.step_data, official.enrolled_at = "idle", {}, clock.now()
    session.flush()
    log.info("official enrolled id=%s unit=%s", official.id, row.unit_id)
    return official


def redeem_group_link(session: Session, text: str, *, channel: str, chat_id: str, used_by: str,
                      clock: Clock) -> GroupLink:
    """Link the group chat to the code's unit (a chat serves one unit)."""
    row = _use(session, text, CodePurpose.GROUP_LINK, clock, used_by)
    link = session.scalar(select(GroupLink).where(GroupLink.channel == channel, GroupLink.chat_id == chat_id))
    if link is None:
        link = GroupLink(channel=channel, chat_id=chat_id, unit_id=row.unit_id, active=True, linked_at=clock.now())
        session.add(link)
    else:
        link.unit_id, link.active, link.linked_at = row.unit_id, True, clock.now()
    session.flush()
    log.info("group linked chat=%s unit=%s", chat_id, row.unit_id)
    return link
