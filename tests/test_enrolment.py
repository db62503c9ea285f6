"""Enrolment codes: single use, expiring, purpose-bound; group links route cards to the group."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels.base import ChatKind
from bot.codes import ALPHABET, normalize_code, normalize_ticket_code, ticket_code
from bot.enrolment import create_code
from bot.errors import ConfigError
from bot.models import CodePurpose, GroupLink, Official
from tests.core_helpers import Person, citizen, outbox, tickets


def test_invite_code_is_single_use(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    code = create_code(rt.session_factory, CodePurpose.OFFICIAL_INVITE, "so_y_te", rt.clock)
    first = Person(rt, "7001", "7001", name="A")
    assert "Đăng ký thành công" in first.say(f"/start {code}")[0]["text"]
    second = Person(rt, "7002", "7002", name="B")
    assert "đã được sử dụng" in second.say(f"/start {code}")[0]["text"]
    with rt.session_factory() as s:
        assert [o.platform_id for o in s.query(Official).all()] == ["7001"]
        assert s.query(Official).one().unit_id == "so_y_te"


def test_codes_expire(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    code = create_code(rt.session_factory, CodePurpose.OFFICIAL_INVITE, "so_y_te", rt.clock, timedelta(hours=1))
    rt.clock.advance(timedelta(hours=1, seconds=1))
    assert "hết hạn" in Person(rt, "7003", "7003").say(f"/start {code}")[0]["text"]
    link = create_code(rt.session_factory, CodePurpose.GROUP_LINK, "so_y_te", rt.clock, timedelta(minutes=5))
    rt.clock.advance(timedelta(minutes=6))
    assert "hết hạn" in Person(rt, "7004", "-300", kind=ChatKind.GROUP).say(f"/lienket {link}")[0]["text"]


def test_codes_are_bound_to_their_purpose_and_unit(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    link = create_code(rt.session_factory, CodePurpose.GROUP_LINK, "so_y_te", rt.clock)
    assert "không đúng" in Person(rt, "7005", "7005").say(f"/start {link}")[0]["text"]
    assert "không đúng" in Person(rt, "7006", "-301", kind=ChatKind.GROUP).say("/lienket ABCDEFGH")[0]["text"]
    assert "Cú pháp" in Person(rt, "7006", "-301", kind=ChatKind.GROUP).say("/lienket")[0]["text"]
    rows = Person(rt, "7006", "-301", kind=ChatKind.GROUP).say(f"/lienket {link.lower()}")
    assert "Đã liên kết" in rows[0]["text"]
    with rt.session_factory() as s:
        assert s.query(GroupLink).one().unit_id == "so_y_te"
    with pytest.raises(ConfigError):
        create_code(rt.session_factory, CodePurpose.GROUP_LINK, "no_such_unit", rt.clock)


def test_unit_without_group_gets_cards_in_officials_private_chats(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    text = "Đường vào ấp 3 xã Đầm Dơi bị sạt lở nặng, xe không qua được"
    lead = rt.analyzer(text).lead_unit
    code = create_code(rt.session_factory, CodePurpose.OFFICIAL_INVITE, lead, rt.clock)
    Person(rt, "7010", "7010").say(f"/start {code}")
    citizen(rt).say(text)
    assert any(r["card_role"] == "lead" for r in outbox(rt, chat_id="7010"))
    # the official's /phieu in private lists the unit's open tickets
    rows = Person(rt, "7010", "7010").say("/phieu")
    assert tickets(rt)[-1].code in rows[0]["text"]
    # and plain talk in a group from a non-official gets no answer at all
    assert Person(rt, "7999", "-400", kind=ChatKind.GROUP).say("chào cả nhà") == []


def test_ticket_codes_are_readable() -> None:
    for _ in range(200):
        code = ticket_code()
        assert code.startswith("CM-") and len(code) == 9
        assert not set(code[3:]) & set("0O1IL") and set(code[3:]) <= set(ALPHABET)
    assert normalize_ticket_code(" cm 7k3p9x ") == "CM-7K3P9X"
    assert normalize_code("cmxq42qb") == "CMXQ42QB"  # an enrolment code starting with CM stays itself


def test_enrolment_code_starting_with_cm_works(runtime) -> None:  # type: ignore[no-untyped-def]
    from bot.models import OneTimeCode

    rt = runtime
    with rt.session_factory.begin() as s:
        s.add(OneTimeCode(code="CMXQ42QB", purpose=CodePurpose.OFFICIAL_INVITE, unit_id="so_y_te",
                          created_at=rt.clock.now(), expires_at=rt.clock.now() + timedelta(hours=1)))
    assert "thành công" in Person(rt, "7020", "7020").say("/start CMXQ42QB")[0]["text"]
