"""End to end: the real python-telegram-bot over HTTP against the fake Bot API, the real
runtime, handlers and outbox, on SQLite and PostgreSQL (the `db_url` fixture)."""
from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.models import CodePurpose, TicketState
from handlers import texts_citizen as tc
from handlers import texts_official as to
from tests.fakes.fixtures import fake_telegram  # noqa: F401
from tests.fakes.telegram_api import FakeTelegramServer
from tests.telegram_harness import Harness, child_pids, is_running, running_bot

CITIZEN, OFFICIAL, OUTSIDER = 7001, 8001, 9001
GROUP, OTHER_GROUP = -100501, -100502
PETITION = ("Nhà tôi ở phường Tân Thành, đêm qua có nhóm thanh niên tụ tập đánh nhau, "
            "gây mất trật tự, đề nghị công an xử lý.")


@pytest.fixture
async def bot(settings, clock, analyzer, fake_telegram: FakeTelegramServer) -> AsyncIterator[Harness]:  # noqa: F811
    async with running_bot(settings, clock, analyzer, fake_telegram) as harness:
        yield harness


def lead_of(harness: Harness, text: str) -> str:
    return str(harness.runtime.analyzer(text).lead_unit)


async def file_petition(bot: Harness, *, anonymous: bool = False) -> tuple[str, str]:
    """A consenting citizen files PETITION; returns (ticket code, lead unit) after the card came."""
    lead = lead_of(bot, PETITION)
    bot.link_group(lead, GROUP)
    await bot.consented(CITIZEN, anonymous=anonymous)
    after = await bot.mark()
    reply = await bot.said(CITIZEN, PETITION)
    (code,) = [t.code for t in bot.tickets()]
    assert code in reply.text and "Mã phiếu" in reply.text
    await bot.client.wait_for(GROUP, lambda s: code in s.text, after=after)
    return code, lead


async def enrol_official(bot: Harness, unit: str, user: int = OFFICIAL) -> None:
    reply = await bot.said(user, f"/start {bot.code(CodePurpose.OFFICIAL_INVITE, unit)}")
    assert reply.text.startswith("Đăng ký thành công")


async def test_citizen_files_official_handles_citizen_rates(bot: Harness) -> None:
    lead = lead_of(bot, PETITION)
    linked = await bot.said(GROUP, f"/lienket {bot.code(CodePurpose.GROUP_LINK, lead)}", user=OFFICIAL)
    assert linked.text.startswith("Đã liên kết nhóm này")
    await enrol_official(bot, lead)
    await bot.consented(CITIZEN)
    mark = await bot.mark()
    filed = await bot.said(CITIZEN, PETITION)
    (ticket,) = bot.tickets()
    assert ticket.code in filed.text and ticket.lead_unit_id == lead
    card = await bot.client.wait_for(GROUP, lambda s: ticket.code in s.text, after=mark)
    assert PETITION in card.text and {t for t, _ in card.buttons} >= {to.BTN_TAKE, to.BTN_ANSWER}

    mark = await bot.mark()
    done = await bot.pressed(GROUP, card, "Nhận xử lý", user=OFFICIAL)
    assert done.text == to.DONE_TAKE.format(name=f"Người {OFFICIAL}", code=ticket.code)
    told = await bot.client.wait_for(CITIZEN, lambda s: "đã nhận xử lý" in s.text, after=mark)
    assert ticket.code in told.text
    card = await bot.client.wait_for(GROUP, lambda s: s.edited and s.message_id == card.message_id,
                                     after=mark)

    prompt = await bot.pressed(GROUP, card, "Yêu cầu bổ sung", user=OFFICIAL)
    assert prompt.text.startswith(f"Đồng chí Người {OFFICIAL}")
    mark = await bot.mark()
    await bot.client.send_text(GROUP, "Xin cho biết số nhà và giờ xảy ra.", user_id=OFFICIAL)
    asked = await bot.client.wait_for(CITIZEN, lambda s: "bổ sung" in s.text, after=mark)
    assert "Xin cho biết số nhà" in asked.text
    card = await bot.client.wait_for(GROUP, lambda s: s.edited, after=mark)

    mark = await bot.mark()
    added = await bot.said(CITIZEN, "Số nhà 12, khoảng 23 giờ.")
    assert added.text == tc.info_added(ticket.code)
    notice = await bot.client.wait_for(GROUP, lambda s: "Số nhà 12" in s.text and not s.edited,
                                       after=mark)
    assert ticket.code in notice.text
    card = await bot.client.wait_for(GROUP, lambda s: s.edited and s.message_id == card.message_id,
                                     after=mark)

    await bot.pressed(GROUP, card, "Trả lời", user=OFFICIAL)
    mark = await bot.mark()
    await bot.client.send_text(GROUP, "Công an phường đã xác minh và xử lý nhóm thanh niên.",
                               user_id=OFFICIAL)
    answer = await bot.client.wait_for(CITIZEN, lambda s: "trả lời" in s.text, after=mark)
    assert "đã xác minh" in answer.text and [t for t, _ in answer.buttons][:5] == list("12345")

    thanks = await bot.pressed(CITIZEN, answer, "5")
    assert thanks.text.startswith(tc.rated(ticket.code, 5))
    (ticket,) = bot.tickets()
    assert ticket.state == TicketState.CLOSED and ticket.rating == 5
    await bot.all_delivered()


async def test_transfer_to_another_unit(bot: Harness) -> None:
    code, lead = await file_petition(bot)
    target = "so_xay_dung" if lead != "so_xay_dung" else "so_y_te"
    bot.link_group(target, OTHER_GROUP)
    await enrol_official(bot, lead)
    card = await bot.client.wait_for(GROUP, lambda s: code in s.text and bool(s.buttons))
    picker = await bot.pressed(GROUP, card, "Chuyển đơn vị", user=OFFICIAL)
    assert picker.text == to.PICK_UNIT.format(code=code)
    target_button = next(t for t, d in picker.buttons if d.endswith(f":{target}"))
    prompt = await bot.pressed(GROUP, picker, target_button, user=OFFICIAL)
    assert "lý do chuyển" in prompt.text
    mark = await bot.mark()
    await bot.client.send_text(GROUP, "Việc này thuộc ngành xây dựng.", user_id=OFFICIAL)
    new_card = await bot.client.wait_for(OTHER_GROUP, lambda s: code in s.text, after=mark)
    assert {t for t, _ in new_card.buttons} >= {to.BTN_TAKE}
    told = await bot.client.wait_for(CITIZEN, lambda s: "chuyển" in s.text, after=mark)
    assert code in told.text
    (ticket,) = bot.tickets()
    assert ticket.lead_unit_id == target


async def test_outsider_and_replayed_buttons_are_refused(bot: Harness) -> None:
    code, lead = await file_petition(bot)
    await enrol_official(bot, lead)
    card = await bot.client.wait_for(GROUP, lambda s: code in s.text and bool(s.buttons))
    refused = await bot.pressed(GROUP, card, "Nhận xử lý", user=OUTSIDER)
    assert refused.text in (to.REFUSE_NOT_ENROLLED, to.REFUSE_NOT_ALLOWED)
    (ticket,) = bot.tickets()
    assert ticket.state == TicketState.NEW and ticket.version == 1
    await bot.pressed(GROUP, card, "Nhận xử lý", user=OFFICIAL)
    replay = await bot.pressed(GROUP, card, "Nhận xử lý", user=OFFICIAL)  # the old card's button
    assert replay.text in (to.REFUSE_STALE, to.REFUSE_STATE.format(state=tc.STATE_NAMES["in_progress"]))
    (ticket,) = bot.tickets()
    assert ticket.state == TicketState.IN_PROGRESS


async def test_redelivered_update_changes_nothing(bot: Harness) -> None:
    await bot.consented(CITIZEN)
    mark = await bot.mark()
    update_id = await bot.client.send_text(CITIZEN, PETITION)
    await bot.client.wait_for(CITIZEN, lambda s: "Mã phiếu" in s.text, after=mark)
    await bot.client.wait_idle()
    mark = await bot.mark()
    await bot.client.redeliver(update_id)
    await bot.client.wait_idle()  # taken and acknowledged again
    await bot.said(CITIZEN, "/tracuu")  # a later update's reply proves the redelivery was handled
    assert len(bot.tickets()) == 1
    replies = await bot.client.sent(CITIZEN, after=mark)
    assert not any("Mã phiếu" in r.text for r in replies)


async def test_anonymous_citizen_is_hidden_from_units(bot: Harness) -> None:
    code, _ = await file_petition(bot, anonymous=True)
    card = await bot.client.wait_for(GROUP, lambda s: code in s.text)
    assert to.CARD_ANONYMOUS in card.text and f"Người {CITIZEN}" not in card.text
    (ticket,) = bot.tickets()
    assert ticket.code == code


@pytest.fixture
async def strict_bot(settings, clock, analyzer, fake_telegram: FakeTelegramServer) -> AsyncIterator[Harness]:  # noqa: F811
    async with running_bot(settings, clock, analyzer, fake_telegram, max_text_length=300,
                           max_tickets_per_day=1) as harness:
        yield harness


async def test_each_bad_input_gets_a_clear_answer(strict_bot: Harness) -> None:
    bot = strict_bot
    await bot.consented(CITIZEN)
    assert (await bot.said(CITIZEN, "   ")).text == tc.EMPTY
    assert (await bot.said(CITIZEN, "đường hư " * 40)).text == tc.too_long(300)
    assert (await bot.said(CITIZEN, "😀😡👍")).text == tc.NO_TEXT
    foreign = await bot.said(CITIZEN, "Hello, the road in my village is broken, please fix it soon.")
    assert foreign.text == tc.FOREIGN
    for kind in ("sticker", "voice", "document"):
        mark = await bot.mark()
        await bot.client.send(kind, CITIZEN)
        reply = await bot.client.wait_for(CITIZEN, lambda s: True, after=mark)
        assert reply.text == tc.UNSUPPORTED.format(what=tc.UNSUPPORTED_NAMES[kind])
    assert bot.tickets() == []
    assert "Mã phiếu" in (await bot.said(CITIZEN, PETITION)).text
    assert (await bot.said(CITIZEN, PETITION + " Lần hai.")).text == tc.daily_limit(1)
    assert len(bot.tickets()) == 1


async def test_flood_control_429_is_retried_after_retry_after(bot: Harness) -> None:
    await bot.client.fail("sendMessage", 429, retry_after=5, chat_id=CITIZEN)
    mark = await bot.mark()
    await bot.client.send_text(CITIZEN, "/start")
    await bot.client.wait_idle()
    for _ in range(200):  # the sender's one attempt, refused by the fake
        if (rows := bot.outbox_rows(CITIZEN)) and rows[0].attempts == 1 and rows[0].error:
            break
        await bot.client.sent(after=mark, wait=0.05)
    calls = await bot.client.calls("sendMessage")  # read after the attempt, not before it
    (row,) = bot.outbox_rows(CITIZEN)
    now = bot.clock.now()
    assert row.status.value == "pending" and "retry" in (row.error or "").lower()
    assert row.next_attempt_at.replace(tzinfo=now.tzinfo) >= now + timedelta(seconds=5)
    assert await bot.client.sent(CITIZEN, after=mark) == []
    assert [str(c["params"]["chat_id"]) for c in calls] == [str(CITIZEN)]
    bot.clock.advance(timedelta(seconds=6))
    bot.runtime.wake_outbox()
    greeting = await bot.client.wait_for(CITIZEN, lambda s: True, after=mark)
    assert greeting.buttons
    await bot.all_delivered()


async def test_bot_api_calls_through_the_sender_process(settings, clock, analyzer,  # noqa: F811
                                                        fake_telegram: FakeTelegramServer) -> None:
    """OUTBOX_PROCESS=true (what `phananh serve` does): the reply and the card go out from the
    child process, a 429 comes back through the pipe as RetryLater, and the child exits with the bot."""
    async with running_bot(settings, clock, analyzer, fake_telegram, outbox_process=True) as bot:
        (sender,) = child_pids(os.getpid())
        code, _ = await file_petition(bot)
        assert bot.tickets()[0].code == code
        await bot.client.fail("sendMessage", 429, retry_after=5, chat_id=CITIZEN)
        mark = await bot.mark()
        await bot.client.send_text(CITIZEN, "/tracuu " + code)
        for _ in range(200):  # the child's one attempt, refused by the fake
            rows = [r for r in bot.outbox_rows(CITIZEN) if r.status.value == "pending"]
            if rows and rows[0].error:
                break
            await bot.client.sent(after=mark, wait=0.05)
        assert rows and "retry" in (rows[0].error or "").lower()
        assert rows[0].next_attempt_at.replace(tzinfo=clock.now().tzinfo) >= clock.now() + timedelta(seconds=5)
        bot.clock.advance(timedelta(seconds=6))
        bot.runtime.wake_outbox()
        assert code in (await bot.client.wait_for(CITIZEN, lambda s: True, after=mark)).text
        await bot.all_delivered()
    assert not is_running(sender)


async def test_webhook_mode_checks_the_secret(settings, clock, analyzer, fake_telegram: FakeTelegramServer) -> None:  # noqa: F811
    import socket

    import httpx

    from bot.channels.telegram_webhook import SECRET_HEADER

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with running_bot(settings, clock, analyzer, fake_telegram, webhook_url=url,
                           webhook_secret="đúng-bí-mật".encode().hex(), webhook_listen="127.0.0.1",
                           webhook_port=port) as bot:
        update = {"update_id": 777001, "message": {
            "message_id": 1, "date": 0, "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            "chat": {"id": CITIZEN, "type": "private", "first_name": "Lan"},
            "from": {"id": CITIZEN, "is_bot": False, "first_name": "Lan"}}}
        async with httpx.AsyncClient() as http:
            assert (await http.post(url, json=update)).status_code == 403
            wrong = await http.post(url, json=update, headers={SECRET_HEADER: "sai"})
            assert wrong.status_code == 403
            assert await bot.client.sent(CITIZEN) == []
            right = await http.post(url, json=update,
                                    headers={SECRET_HEADER: "đúng-bí-mật".encode().hex()})
            assert right.status_code == 200
        greeting = await bot.client.wait_for(CITIZEN, lambda s: True)
        assert greeting.buttons
        # Telegram (the fake) pushes updates to the registered webhook with the secret itself.
        mark = await bot.mark()
        await bot.client.press(CITIZEN, greeting.message_id, greeting.button("Tôi đồng ý"))
        thanks = await bot.client.wait_for(CITIZEN, lambda s: True, after=mark)
        assert thanks.text == tc.CONSENT_THANKS
