"""The Zalo OA channel against the fake OA/OAuth/ZNS servers over HTTP, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.channels.base import ChannelName, Outbound
from bot.channels.zalo_models import HeldStatus, ZaloHeldMessage, ZaloOaEvent, ZaloOaToken
from bot.channels.zalo_oa_api import OaApi
from bot.channels.zalo_oa_parse import signature, verify
from bot.channels.zalo_oa_tokens import TokenStore
from bot.db import make_engine, make_session_factory
from bot.models import Citizen, Outbox, ProcessedUpdate
from bot.tickets.notify import enqueue
from handlers import texts_citizen as tc
from tests.fakes.zalo_oa_api import FakeZaloOaServer
from tests.zalo_harness import APP_SECRET, OA_APP_ID, OA_SECRET, ZaloHarness, choice, running_zalo

USER = "246845883529197922"
PETITION = ("Đường Nguyễn Tất Thành đoạn qua phường Tân Thành bị sụt lún, ổ gà rất lớn, "
            "xe máy té ngã nhiều lần, đề nghị sửa chữa gấp.")


@pytest.fixture
async def oa(settings, clock, analyzer) -> AsyncIterator[ZaloHarness]:
    async with running_zalo(settings, clock, analyzer) as harness:
        yield harness


def count(h: ZaloHarness, model: type) -> int:
    with h.runtime.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def consented(h: ZaloHarness, user: str = USER) -> None:
    greeting = await h.oa_said(user, "/start")
    assert (await h.oa_said(user, choice(greeting.text, "Tôi đồng ý"))).text == tc.CONSENT_THANKS


def test_signature_on_raw_bytes_with_or_without_prefix() -> None:
    raw = b'{"app_id":"1","timestamp":"1699003881354","event_name":"user_send_text"}'
    body = json.loads(raw)
    mac = signature("1", raw, "1699003881354", "key")
    assert verify(raw, body, mac, "key") and verify(raw, body, mac.removeprefix("mac="), "key")
    assert not verify(raw, body, mac, "other-key") and not verify(raw, body, None, "key")
    assert not verify(json.dumps(body).encode(), body, mac, "key")  # re-serialised bytes differ


async def test_citizen_files_forged_and_missing_signatures_change_nothing(oa: ZaloHarness) -> None:
    body = oa.oa.event(USER, text="/start")
    assert await oa.oa.deliver(oa.oa_webhook, body, signature_header=None) == 401
    assert await oa.oa.deliver(oa.oa_webhook, body, signature_header="mac=" + "0" * 64) == 401
    raw = json.dumps(body).encode()
    forged = json.dumps({**body, "message": {"msg_id": "x", "text": "khác"}}).encode()
    assert await oa.oa.deliver(oa.oa_webhook, body, signature_header=oa.oa.sign(raw, body), raw=forged) == 401
    assert count(oa, ZaloOaEvent) == 0 and count(oa, ProcessedUpdate) == 0 and oa.oa.sent == []

    await consented(oa)
    filed = await oa.oa_said(USER, PETITION)
    (ticket,) = oa.tickets()
    assert ticket.code in filed.text and ticket.channel == ChannelName.ZALO_OA.value
    mark = oa.oa.last_seq()
    assert await oa.oa.follower_says(oa.oa_webhook, USER, f"/tracuu {ticket.code}") == 200
    tracked = await oa.oa.wait_sent(USER, lambda s: ticket.code in s.text, after=mark)
    assert tc.STATE_NAMES["new"] in tracked.text


async def test_retried_event_is_processed_once_and_unsupported_answered(oa: ZaloHarness) -> None:
    body = oa.oa.event(USER, text="/start")
    for _ in range(3):  # Zalo retries a delivery it thinks failed
        assert await oa.oa.deliver(oa.oa_webhook, body) == 200
    await oa.oa.wait_sent(USER)
    await oa.settled()
    assert count(oa, ZaloOaEvent) == 1 and count(oa, ProcessedUpdate) == 1
    assert len(oa.oa.sent_to(USER)) == 1
    for event, name in (("user_send_sticker", "sticker"), ("user_send_file", "document")):
        mark = oa.oa.last_seq()
        assert await oa.oa.deliver(oa.oa_webhook, oa.oa.event(USER, event=event)) == 200
        reply = await oa.oa.wait_sent(USER, after=mark)
        assert reply.text == tc.UNSUPPORTED.format(what=tc.UNSUPPORTED_NAMES[name])


async def test_outside_window_held_then_delivered_or_sent_as_zns(oa: ZaloHarness, settings, clock) -> None:
    await consented(oa)
    await oa.settled()
    clock.advance(timedelta(hours=49))
    with oa.runtime.session_factory.begin() as session:
        row_id = enqueue(session, Outbound(ChannelName.ZALO_OA, USER, "Phiếu CM-7K3P9X đã có trả lời."), now=clock.now())
    oa.runtime.wake_outbox()
    await oa.settled()
    with oa.runtime.session_factory() as session:
        sent = session.get(Outbox, row_id)
        held = session.scalar(select(ZaloHeldMessage))
        helds = [h.payload["text"][:50] for h in session.scalars(select(ZaloHeldMessage))]
        assert sent.sent_message_id == f"held:{held.id}" and held.status == HeldStatus.HELD, helds
    assert not any("đã có trả lời" in s.text for s in oa.oa.sent)

    mark = oa.oa.last_seq()
    assert await oa.oa.follower_says(oa.oa_webhook, USER, "/phieu") == 200
    await oa.oa.wait_sent(USER, lambda s: "CM-7K3P9X đã có trả lời" in s.text, after=mark)
    with oa.runtime.session_factory() as session:
        assert session.scalar(select(ZaloHeldMessage)).status == HeldStatus.RELEASED


async def test_outside_window_zns_when_configured(settings, clock, analyzer) -> None:
    async with running_zalo(settings, clock, analyzer, zns_template_id="tpl-2218") as h:
        await consented(h)
        with h.runtime.session_factory.begin() as session:
            session.scalar(select(Citizen)).phone = "0912 345 678"
        await h.settled()
        clock.advance(timedelta(hours=49))
        with h.runtime.session_factory.begin() as session:
            row_id = enqueue(session, Outbound(ChannelName.ZALO_OA, USER, "Phiếu CM-7K3P9X đã có trả lời."),
                          now=clock.now())
        h.runtime.wake_outbox()
        await h.settled()
        zns = await h.oa.wait_sent("phone:84912345678")
        assert zns.kind == "zns" and "CM-7K3P9X" in zns.text
        with h.runtime.session_factory() as session:
            assert session.get(Outbox, row_id).sent_message_id.startswith("zns:")
            assert session.scalar(select(func.count()).select_from(ZaloHeldMessage)) == 0


async def test_expired_token_refreshed_once_while_two_instances_race(db_url, clock) -> None:
    async with FakeZaloOaServer(app_id=OA_APP_ID, oa_secret=OA_SECRET, app_secret=APP_SECRET,
                                refresh_delay=0.3) as fake:
        engines = [make_engine(db_url) for _ in range(2)]  # two bot instances, one database
        try:
            apis = [OaApi(api_base_url=fake.url, oauth_base_url=fake.url, zns_base_url=fake.url) for _ in engines]
            stores = [TokenStore(make_session_factory(e), api, clock, app_id=OA_APP_ID, app_secret=APP_SECRET,
                                 first_access="acc-1", first_refresh="ref-1") for e, api in zip(engines, apis)]
            first = [await asyncio.to_thread(s.current) for s in stores]
            assert {t.value for t in first} == {"acc-1"} and {t.generation for t in first} == {1}
            fake.expire_access_token()  # Zalo now answers -216 to acc-1: both senders see it at once
            fresh = await asyncio.gather(*(asyncio.to_thread(s.refresh, 1) for s in stores))
            assert fake.tokens.refreshes == 1 and fake.tokens.reused_refresh == 0
            assert {t.value for t in fresh} == {fake.tokens.access} and {t.generation for t in fresh} == {2}
            with make_session_factory(engines[0])() as session:
                row = session.get(ZaloOaToken, OA_APP_ID)
                assert (row.access_token, row.refresh_token) == (fake.tokens.access, fake.tokens.refresh)
                assert row.access_expires_at == clock.now() + timedelta(seconds=90000)
            for api in apis:
                await api.close()
        finally:
            for e in engines:
                e.dispose()


async def test_send_refreshes_an_expired_token_once(oa: ZaloHarness) -> None:
    await consented(oa)
    oa.oa.expire_access_token()
    mark = oa.oa.last_seq()
    reply = await oa.oa_said(USER, "/phieu")
    assert reply.seq > mark and oa.oa.tokens.refreshes == 1
