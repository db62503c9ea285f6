"""Across channels, in one process: Telegram (real PTB + fake Bot API) beside both Zalo channels.

A Zalo OA citizen's card reaches the unit's Telegram group AND its Zalo group;
an official takes it on Telegram and answers it from the Zalo group; the
answer reaches the citizen on the OA. A Telegram citizen's ticket is answered
from the Zalo group. Each citizen stays on the channel they wrote from.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.models import CodePurpose
from handlers import texts_official as to
from tests.fakes.fixtures import fake_telegram  # noqa: F401
from tests.fakes.telegram_api import FakeTelegramServer
from tests.fakes.telegram_client import FakeTelegramClient
from tests.zalo_harness import ZaloHarness, choice, running_zalo

OA_USER, ZALO_OFFICIAL, ZALO_GROUP = "246845883529197922", "7aa19bfa66b88fe6d6b1", "g9e0b1c2d3e4f5a6b7c8"
TG_CITIZEN, TG_OFFICIAL, TG_GROUP = 7101, 8101, -100601
PETITION = ("Đường Nguyễn Tất Thành đoạn qua phường Tân Thành bị sụt lún, ổ gà rất lớn, "
            "xe máy té ngã nhiều lần, đề nghị sửa chữa gấp.")


@pytest.fixture
async def both(settings, clock, analyzer,
               fake_telegram: FakeTelegramServer) -> AsyncIterator[tuple[ZaloHarness, FakeTelegramClient]]:  # noqa: F811
    async with running_zalo(settings, clock, analyzer, telegram_fake=fake_telegram) as h, \
            FakeTelegramClient(fake_telegram.url) as tg:
        yield h, tg


async def setup_unit(h: ZaloHarness, tg: FakeTelegramClient) -> str:
    lead = str(h.runtime.analyzer(PETITION).lead_unit)
    h.link_group("telegram", lead, str(TG_GROUP))
    h.link_group("zalo_bot", lead, ZALO_GROUP)
    for channel_user, say in ((ZALO_OFFICIAL, None), (TG_OFFICIAL, tg)):
        code = h.code(CodePurpose.OFFICIAL_INVITE, lead)
        if say is None:
            assert (await h.said(ZALO_OFFICIAL, f"/start {code}")).text.startswith("Đăng ký thành công")
        else:
            mark = await tg.last_seq()
            await tg.send_text(TG_OFFICIAL, f"/start {code}")
            done = await tg.wait_for(TG_OFFICIAL, lambda s: True, after=mark)
            assert done.text.startswith("Đăng ký thành công")
    return lead


async def answer_from_zalo_group(h: ZaloHarness, code: str, after: int, text: str) -> None:
    card = await h.bot.wait_sent(ZALO_GROUP, lambda m: code in m.text and to.BTN_ANSWER in m.text, after=after)
    prompt = await h.said(ZALO_GROUP, choice(card.text, "Trả lời"), user=ZALO_OFFICIAL, group=True)
    assert prompt.text.startswith("Đồng chí")
    await h.bot.user_says(ZALO_GROUP, text, user_id=ZALO_OFFICIAL, chat_type="GROUP")


async def test_oa_citizen_card_in_telegram_and_zalo_groups_answer_back(both) -> None:  # type: ignore[no-untyped-def]
    h, tg = both
    await setup_unit(h, tg)
    greeting = await h.oa_said(OA_USER, "/start")
    await h.oa_said(OA_USER, choice(greeting.text, "Tôi đồng ý"))
    tg_mark, zalo_mark = await tg.last_seq(), h.bot.last_seq()
    await h.oa_said(OA_USER, PETITION)
    (ticket,) = h.tickets()
    assert ticket.channel == "zalo_oa"
    tg_card = await tg.wait_for(TG_GROUP, lambda s: ticket.code in s.text, after=tg_mark)
    await h.bot.wait_sent(ZALO_GROUP, lambda m: ticket.code in m.text, after=zalo_mark)

    oa_mark, zalo_mark = h.oa.last_seq(), h.bot.last_seq()
    await tg.press(TG_GROUP, tg_card.message_id, tg_card.button("Nhận xử lý"), user_id=TG_OFFICIAL)
    told = await h.oa.wait_sent(OA_USER, lambda s: "đã nhận xử lý" in s.text, after=oa_mark)
    assert ticket.code in told.text
    await answer_from_zalo_group(h, ticket.code, zalo_mark, "Đã cử đội sửa chữa trong tuần này.")
    answer = await h.oa.wait_sent(OA_USER, lambda s: "Đã cử đội sửa chữa" in s.text, after=oa_mark)
    assert ticket.code in answer.text
    assert not h.bot.sent_to(OA_USER) and not [s for s in await tg.sent() if str(s.chat_id) == OA_USER]


async def test_telegram_citizen_answered_from_zalo_group(both) -> None:  # type: ignore[no-untyped-def]
    h, tg = both
    await setup_unit(h, tg)
    mark = await tg.last_seq()
    await tg.send_text(TG_CITIZEN, "/start")
    greeting = await tg.wait_for(TG_CITIZEN, lambda s: True, after=mark)
    await tg.press(TG_CITIZEN, greeting.message_id, greeting.button("Tôi đồng ý"))
    mark, zalo_mark = await tg.last_seq(), h.bot.last_seq()
    await tg.send_text(TG_CITIZEN, PETITION)
    filed = await tg.wait_for(TG_CITIZEN, lambda s: "Mã phiếu" in s.text, after=mark)
    (ticket,) = h.tickets()
    assert ticket.code in filed.text and ticket.channel == "telegram"
    card = await h.bot.wait_sent(ZALO_GROUP, lambda m: ticket.code in m.text, after=zalo_mark)
    zalo_mark = h.bot.last_seq()
    await h.bot.user_says(ZALO_GROUP, choice(card.text, "Nhận xử lý"), user_id=ZALO_OFFICIAL, chat_type="GROUP")
    await tg.wait_for(TG_CITIZEN, lambda s: "đã nhận xử lý" in s.text, after=mark)
    await answer_from_zalo_group(h, ticket.code, zalo_mark, "Đã vá ổ gà ngày hôm nay.")
    answer = await tg.wait_for(TG_CITIZEN, lambda s: "Đã vá ổ gà" in s.text, after=mark)
    assert ticket.code in answer.text
    mark = await tg.last_seq()
    await tg.send_text(TG_CITIZEN, f"/tracuu {ticket.code}")
    tracked = await tg.wait_for(TG_CITIZEN, lambda s: ticket.code in s.text, after=mark)
    assert "Đã vá ổ gà" in tracked.text or "trả lời" in tracked.text.lower()
