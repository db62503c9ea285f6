"""The Zalo Bot Platform channel against the fake Bot API over HTTP, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.channels.base import ChatKind
from bot.channels.zalo_bot_parse import split_text, to_inbound, unwrap
from bot.models import CodePurpose, ProcessedUpdate
from handlers import texts_citizen as tc
from handlers import texts_official as to
from tests.zalo_harness import ZaloHarness, choice, running_zalo

CITIZEN, OFFICIAL, GROUP = "6ede9afa66b88fe6d6a9", "7aa19bfa66b88fe6d6b1", "g9e0b1c2d3e4f5a6b7c8"
PETITION = ("Đường Nguyễn Tất Thành đoạn qua phường Tân Thành bị sụt lún, ổ gà rất lớn, "
            "xe máy té ngã nhiều lần, đề nghị sửa chữa gấp.")


@pytest.fixture
async def zalo(settings, clock, analyzer) -> AsyncIterator[ZaloHarness]:
    async with running_zalo(settings, clock, analyzer) as harness:
        yield harness


async def consent(h: ZaloHarness, chat: str) -> None:
    greeting = await h.said(chat, "/start")
    thanks = await h.said(chat, choice(greeting.text, "Tôi đồng ý"))
    assert thanks.text == tc.CONSENT_THANKS


def test_parse_both_body_shapes_and_split() -> None:
    bare = {"event_name": "message.text.received", "message": {
        "from": {"id": "u1", "display_name": "Ted", "is_bot": False}, "chat": {"id": "u1", "chat_type": "PRIVATE"},
        "text": "/TraCuu CM-7K3P9X", "message_id": "2d75", "date": 1750316131602}}
    for body in (bare, {"ok": True, "result": bare}):
        inbound = to_inbound(unwrap(body))  # type: ignore[arg-type]
        assert inbound is not None and inbound.command == "tracuu" and inbound.command_args == ("CM-7K3P9X",)
        assert inbound.delivery_id == "zalo_bot:2d75" and inbound.chat_kind == ChatKind.PRIVATE
    assert unwrap({"ok": True, "result": {"nothing": 1}}) is None
    parts = split_text("a" * 1500 + "\n" + "b" * 1500 + " " + "c" * 2500)
    assert all(1 <= len(p) <= 2000 for p in parts) and "".join(parts).replace("\n", "").replace(" ", "") \
        == "a" * 1500 + "b" * 1500 + "c" * 2500
    assert parts[0] == "a" * 1500


async def test_citizen_files_official_in_zalo_group_answers(zalo: ZaloHarness) -> None:
    lead = str(zalo.runtime.analyzer(PETITION).lead_unit)
    linked = await zalo.said(GROUP, f"/lienket {zalo.code(CodePurpose.GROUP_LINK, lead)}", user=OFFICIAL, group=True)
    assert linked.text.startswith("Đã liên kết nhóm này")
    enrolled = await zalo.said(OFFICIAL, f"/start {zalo.code(CodePurpose.OFFICIAL_INVITE, lead)}")
    assert enrolled.text.startswith("Đăng ký thành công")
    await consent(zalo, CITIZEN)

    mark = zalo.bot.last_seq()
    filed = await zalo.said(CITIZEN, PETITION)
    (ticket,) = zalo.tickets()
    assert ticket.code in filed.text and ticket.channel == "zalo_bot"
    card = await zalo.bot.wait_sent(GROUP, lambda m: ticket.code in m.text, after=mark)
    assert PETITION in card.text and to.BTN_TAKE in card.text

    mark = zalo.bot.last_seq()
    await zalo.bot.user_says(GROUP, choice(card.text, "Nhận xử lý"), user_id=OFFICIAL, chat_type="GROUP")
    told = await zalo.bot.wait_sent(CITIZEN, lambda m: "đã nhận xử lý" in m.text, after=mark)
    assert ticket.code in told.text
    card = await zalo.bot.wait_sent(GROUP, lambda m: ticket.code in m.text and to.BTN_ANSWER in m.text, after=mark)

    prompt = await zalo.said(GROUP, choice(card.text, "Trả lời"), user=OFFICIAL, group=True)
    assert prompt.text.startswith("Đồng chí")
    mark = zalo.bot.last_seq()
    await zalo.bot.user_says(GROUP, "Đã cử đội sửa chữa, dự kiến xong trong tuần.", user_id=OFFICIAL,
                             chat_type="GROUP")
    answer = await zalo.bot.wait_sent(CITIZEN, lambda m: "Đã cử đội sửa chữa" in m.text, after=mark)
    assert ticket.code in answer.text
    tracked = await zalo.said(CITIZEN, f"/tracuu {ticket.code}")
    assert ticket.code in tracked.text and tc.STATE_NAMES["answered"] in tracked.text


async def test_sticker_file_and_photo(zalo: ZaloHarness) -> None:
    await consent(zalo, CITIZEN)
    mark = zalo.bot.last_seq()
    await zalo.bot.push(zalo.bot.update(CITIZEN, event="message.sticker.received"))
    sticker = await zalo.bot.wait_sent(CITIZEN, after=mark)
    assert sticker.text == tc.UNSUPPORTED.format(what=tc.UNSUPPORTED_NAMES["sticker"])
    mark = zalo.bot.last_seq()
    await zalo.bot.push(zalo.bot.update(CITIZEN, event="message.unsupported.received"))
    other = await zalo.bot.wait_sent(CITIZEN, after=mark)
    assert other.text == tc.UNSUPPORTED.format(what=tc.UNSUPPORTED_DEFAULT)
    assert zalo.tickets() == []
    mark = zalo.bot.last_seq()
    await zalo.bot.push(zalo.bot.update(CITIZEN, photo_url=zalo.bot.file_url("p1"), text=PETITION))
    await zalo.bot.wait_sent(CITIZEN, lambda m: "Mã phiếu" in m.text, after=mark)
    (ticket,) = zalo.tickets()
    assert ticket.attachments == [{"kind": "photo", "file_id": zalo.bot.file_url("p1"), "name": ""}]


async def test_polling_treats_408_as_no_news_and_survives_errors(zalo: ZaloHarness) -> None:
    def polls() -> int:
        return sum(c["method"] == "getUpdates" for c in zalo.bot.state.calls)

    start = polls()
    for _ in range(100):  # at least two empty long polls (timeout 1 s) come and go
        if polls() >= start + 2:
            break
        await asyncio.sleep(0.05)
    assert polls() >= start + 2
    zalo.bot.fail("getUpdates", 500, "Internal error")
    reply = await zalo.said(CITIZEN, "/start")
    assert reply.text.startswith(tc.greeting(zalo.runtime.settings.data_retention_days)[:20])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_secret_header_and_both_body_shapes(settings, clock, analyzer) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/zalo/bot"
    async with running_zalo(settings, clock, analyzer, bot_webhook_url=url, bot_webhook_secret="s3cret-token-123",
                            webhook_port=port) as h:
        assert h.bot.state.webhook_url == url
        body = h.bot.update(CITIZEN, text="/start")
        async with ClientSession() as http:
            for headers in ({}, {"X-Bot-Api-Secret-Token": "wrong-secret"}):
                async with http.post(url, data=json.dumps(body), headers=headers) as r:
                    assert r.status == 403
            assert h.bot.sent_to(CITIZEN) == []
            with h.runtime.session_factory() as session:
                assert session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0
            async with http.post(url, json={"ok": True, "result": body},
                                 headers={"X-Bot-Api-Secret-Token": "s3cret-token-123"}) as r:
                assert r.status == 200  # answered after the commit
        greeting = await h.bot.wait_sent(CITIZEN)
        assert choice(greeting.text, "Tôi đồng ý") == "1"
        mark = h.bot.last_seq()
        await h.bot.user_says(CITIZEN, "1")  # the fake pushes the bare shape with the header
        thanks = await h.bot.wait_sent(CITIZEN, after=mark)
        assert thanks.text == tc.CONSENT_THANKS
