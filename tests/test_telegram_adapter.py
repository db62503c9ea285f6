"""The Telegram adapter alone, with the real python-telegram-bot against the fake Bot API:
Update -> Inbound parsing, acknowledgement after processing, Outbound -> Bot API calls."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy.exc import OperationalError

from bot.channels.base import (
    Button, ChannelName, ChatKind, GeoPoint, Inbound, Outbound, RetryLater, Undeliverable,
)
from bot.channels.telegram import TelegramAdapter, api_urls, build_application
from bot.channels.telegram_polling import Poller
from tests.fakes.fixtures import DEFAULT_TOKEN, fake_telegram, tg_client  # noqa: F401
from tests.fakes.telegram_api import FakeTelegramServer
from tests.fakes.telegram_client import FakeTelegramClient

CITIZEN = 5001
GROUP = -100200


class Recorder:
    """A `process` stand-in that keeps what it got and can be told to fail."""

    def __init__(self) -> None:
        self.inbounds: list[Inbound] = []
        self.failures: list[BaseException] = []
        self.arrived = asyncio.Event()

    async def __call__(self, inbound: Inbound) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.inbounds.append(inbound)
        self.arrived.set()

    async def wait(self, count: int, timeout: float = 5.0) -> list[Inbound]:
        async def enough() -> None:
            while len(self.inbounds) < count:
                self.arrived.clear()
                await self.arrived.wait()
        await asyncio.wait_for(enough(), timeout)
        return self.inbounds


@pytest.fixture
async def adapter(fake_telegram: FakeTelegramServer) -> AsyncIterator[TelegramAdapter]:  # noqa: F811
    app = build_application(DEFAULT_TOKEN, fake_telegram.url, rate_limits=None)
    recorder = Recorder()
    async with TelegramAdapter(app, recorder, error_text="LỖI", retry_base_seconds=0.01) as ad:
        ad.recorder = recorder  # type: ignore[attr-defined]
        yield ad


@pytest.fixture
async def polling(adapter: TelegramAdapter) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Runs a Poller; the yielded coroutine stops it."""
    stop = asyncio.Event()
    poller = Poller(adapter.bot, adapter.handle_update, timeout=1)
    ready = asyncio.Event()
    task = asyncio.create_task(poller.run(stop, ready=ready))
    await asyncio.wait_for(ready.wait(), 5)

    async def halt() -> None:
        stop.set()
        await asyncio.wait_for(task, 5)
    yield halt
    if not task.done():
        await halt()


def test_api_urls_accept_both_forms() -> None:
    assert api_urls("https://api.telegram.org/bot") == (
        "https://api.telegram.org/bot", "https://api.telegram.org/file/bot")
    assert api_urls("http://127.0.0.1:8081/") == (
        "http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")


async def test_text_and_commands(adapter: TelegramAdapter, polling, tg_client: FakeTelegramClient) -> None:  # noqa: F811
    first = await tg_client.send_text(CITIZEN, "Đường ấp 3 bị sạt lở", first_name="Lan")
    await tg_client.send_text(CITIZEN, "/start MAMOI")
    await tg_client.send_text(GROUP, "/lienket@phananh_test_bot ABC123", user_id=77)
    await tg_client.send_text(GROUP, "/start@some_other_bot", user_id=77)
    await tg_client.send_text(GROUP, "/phieu", user_id=77)
    got = await adapter.recorder.wait(4)  # type: ignore[attr-defined]
    await tg_client.wait_idle()
    text, start, link, phieu = got
    assert text == Inbound(channel=ChannelName.TELEGRAM, delivery_id=f"telegram:{first}",
                           chat_id=str(CITIZEN), chat_kind=ChatKind.PRIVATE,
                           sender_id=str(CITIZEN), sender_name="Lan",
                           text="Đường ấp 3 bị sạt lở")
    assert (start.command, start.command_args) == ("start", ("MAMOI",))
    assert (link.command, link.command_args, link.chat_kind, link.chat_id, link.sender_id) == (
        "lienket", ("ABC123",), ChatKind.GROUP, str(GROUP), "77")
    assert phieu.command == "phieu" and phieu.command_args == ()
    assert len(got) == 4  # the other bot's command was acknowledged, not processed


async def test_photos_location_and_unsupported(adapter: TelegramAdapter, polling, tg_client: FakeTelegramClient) -> None:  # noqa: F811
    await tg_client.send("photo", CITIZEN, caption="Rác ở chợ", count=2)
    await tg_client.send("location", CITIZEN, latitude=9.1769, longitude=105.1524)
    for kind in ("sticker", "voice", "document", "video"):
        await tg_client.send(kind, CITIZEN)
    await tg_client.send("member", GROUP, user_id=77)  # bot added to a group: no message
    got = await adapter.recorder.wait(7)  # type: ignore[attr-defined]
    await tg_client.wait_idle()
    album1, album2, place, *others = got
    assert album1.text == "Rác ở chợ" and [a.kind for a in album1.attachments] == ["photo"]
    assert album2.text == "" and album2.attachments[0].file_id != album1.attachments[0].file_id
    assert place.location == GeoPoint(9.1769, 105.1524) and place.text == ""
    assert [o.unsupported for o in others] == ["sticker", "voice", "document", "video"]
    assert all(o.attachments and o.attachments[0].file_id for o in others)
    assert len(got) == 7  # the membership update was acknowledged, not processed


async def test_button_press_is_answered(adapter: TelegramAdapter, polling, tg_client: FakeTelegramClient) -> None:  # noqa: F811
    card = await adapter.send(Outbound(ChannelName.TELEGRAM, str(GROUP), "Phiếu CM-7K3P9X",
                                       buttons=((Button("Nhận xử lý", "t:1:take:0"),),)))
    assert card is not None
    await tg_client.press(GROUP, int(card), "t:1:take:0", user_id=77)
    (press,) = await adapter.recorder.wait(1)  # type: ignore[attr-defined]
    assert (press.callback_data, press.callback_message_id, press.chat_id, press.sender_id,
            press.chat_kind) == ("t:1:take:0", card, str(GROUP), "77", ChatKind.GROUP)
    await tg_client.wait_idle()
    answers = await tg_client.calls("answerCallbackQuery")
    assert len(answers) == 1


async def test_transient_failure_is_retried_before_ack(adapter: TelegramAdapter, polling, tg_client: FakeTelegramClient) -> None:  # noqa: F811
    recorder = adapter.recorder  # type: ignore[attr-defined]
    recorder.failures += [OperationalError("INSERT", {}, Exception("database is locked"))] * 4
    update_id = await tg_client.send_text(CITIZEN, "Nước sinh hoạt bị đục")
    (inbound,) = await recorder.wait(1)
    assert inbound.delivery_id == f"telegram:{update_id}"
    await tg_client.wait_idle()
    assert not (await tg_client.sent(CITIZEN))  # no error message for a transient failure


async def test_poison_update_is_given_up_with_a_message(adapter: TelegramAdapter, polling, tg_client: FakeTelegramClient) -> None:  # noqa: F811
    adapter.recorder.failures += [ValueError("bug")] * 3  # type: ignore[attr-defined]
    await tg_client.send_text(CITIZEN, "một tin làm lỗi")
    await tg_client.send_text(CITIZEN, "tin sau vẫn được xử lý")
    (after,) = await adapter.recorder.wait(1)  # type: ignore[attr-defined]
    assert after.text == "tin sau vẫn được xử lý"
    told = await tg_client.wait_for(CITIZEN, lambda s: s.text == "LỖI", timeout=5)
    assert told.method == "sendMessage"


async def test_unfinished_update_is_not_acknowledged(fake_telegram: FakeTelegramServer, tg_client: FakeTelegramClient) -> None:  # noqa: F811
    """Stopping while process() has not committed leaves the update with Telegram."""
    started, release = asyncio.Event(), asyncio.Event()

    async def stuck(inbound: Inbound) -> None:
        started.set()
        await release.wait()
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    app = build_application(DEFAULT_TOKEN, fake_telegram.url, rate_limits=None)
    async with TelegramAdapter(app, stuck, retry_base_seconds=0.01) as first:
        stop = asyncio.Event()
        task = asyncio.create_task(Poller(first.bot, first.handle_update, timeout=1).run(stop))
        update_id = await tg_client.send_text(CITIZEN, "Đèn đường hỏng")
        await asyncio.wait_for(started.wait(), 5)
        stop.set()
        first.stopping.set()
        release.set()
        await asyncio.wait_for(task, 5)
    assert (await tg_client.state())["pending"] == [update_id]

    recorder = Recorder()
    app = build_application(DEFAULT_TOKEN, fake_telegram.url, rate_limits=None)
    async with TelegramAdapter(app, recorder) as second:
        stop = asyncio.Event()
        task = asyncio.create_task(Poller(second.bot, second.handle_update, timeout=1).run(stop))
        (again,) = await recorder.wait(1)
        assert again.delivery_id == f"telegram:{update_id}"
        await tg_client.wait_idle()
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_send_text_buttons_edit_and_long_text(adapter: TelegramAdapter, tg_client: FakeTelegramClient) -> None:  # noqa: F811
    buttons = ((Button("Nhận xử lý", "t:9:take:0"), Button("Từ chối", "t:9:reject:0")),)
    first = await adapter.send(Outbound(ChannelName.TELEGRAM, str(GROUP), "Thẻ phiếu", buttons))
    edited = await adapter.send(Outbound(ChannelName.TELEGRAM, str(GROUP), "Đã nhận",
                                         edit_message_id=first))
    again = await adapter.send(Outbound(ChannelName.TELEGRAM, str(GROUP), "Đã nhận",
                                        edit_message_id=first))  # a retried edit
    gone = await adapter.send(Outbound(ChannelName.TELEGRAM, str(GROUP), "Thẻ mới",
                                       edit_message_id="999"))
    long_id = await adapter.send(Outbound(ChannelName.TELEGRAM, str(CITIZEN), "a" * 4000 + "\n" + "b" * 1000,
                                          buttons=((Button("1", "c:1:rate:0:1"),),)))
    assert edited == again == first and gone not in (None, first)
    sent = await tg_client.sent(GROUP)
    assert [(s.method, s.text) for s in sent] == [
        ("sendMessage", "Thẻ phiếu"), ("editMessageText", "Đã nhận"), ("sendMessage", "Thẻ mới")]
    assert sent[0].buttons == [("Nhận xử lý", "t:9:take:0"), ("Từ chối", "t:9:reject:0")]
    assert sent[1].buttons == []  # an edit without buttons removes them
    parts = await tg_client.sent(CITIZEN)
    assert [len(p.text) for p in parts] == [4001, 1000] and parts[0].buttons == []
    assert parts[1].buttons == [("1", "c:1:rate:0:1")] and str(parts[1].message_id) == long_id


async def test_send_photos_before_the_card(adapter: TelegramAdapter, polling, tg_client: FakeTelegramClient) -> None:  # noqa: F811
    await tg_client.send("photo", CITIZEN, caption="ảnh", count=3)
    got = await adapter.recorder.wait(3)  # type: ignore[attr-defined]
    ids = tuple(i.attachments[0].file_id for i in got)
    await adapter.send(Outbound(ChannelName.TELEGRAM, str(GROUP), "Một ảnh", photos=ids[:1]))
    card = await adapter.send(Outbound(ChannelName.TELEGRAM, str(GROUP), "Ba ảnh", photos=ids))
    sent = await tg_client.sent(GROUP)
    assert [s.method for s in sent] == ["sendPhoto", "sendMessage", "sendMediaGroup",
                                        "sendMediaGroup", "sendMediaGroup", "sendMessage"]
    assert [s.photos[0] for s in sent if s.photos] == [ids[0], *ids]
    assert str(sent[-1].message_id) == card


@pytest.mark.parametrize(("status", "expected"), [
    (429, RetryLater), (502, RetryLater), (500, RetryLater), (400, Undeliverable),
    (403, Undeliverable)])
async def test_send_errors_are_classified(adapter: TelegramAdapter, tg_client: FakeTelegramClient, status: int, expected: type) -> None:  # noqa: F811
    await tg_client.fail("sendMessage", status, retry_after=7 if status == 429 else None)
    with pytest.raises(expected) as caught:
        await adapter.send(Outbound(ChannelName.TELEGRAM, str(CITIZEN), "xin chào"))
    if status == 429:
        assert caught.value.retry_after == 7
    assert caught.value.chat_id == str(CITIZEN)
    assert await adapter.send(Outbound(ChannelName.TELEGRAM, str(CITIZEN), "xin chào"))


async def test_webhook_checks_the_secret_and_acks_after_processing(adapter: TelegramAdapter, tg_client: FakeTelegramClient) -> None:  # noqa: F811
    import httpx

    from bot.channels.telegram_webhook import SECRET_HEADER, WebhookServer

    server = WebhookServer(adapter, url="http://127.0.0.1/tg/hook", secret="s3cret",
                           listen="127.0.0.1", port=0)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(server.run(stop, ready=ready))
    await asyncio.wait_for(ready.wait(), 5)
    url = f"http://127.0.0.1:{server.bound_port}/tg/hook"
    update = {"update_id": 4242, "message": {
        "message_id": 1, "date": 0, "text": "Cống nghẹt",
        "chat": {"id": CITIZEN, "type": "private", "first_name": "Lan"},
        "from": {"id": CITIZEN, "is_bot": False, "first_name": "Lan"}}}
    async with httpx.AsyncClient() as http:
        missing = await http.post(url, json=update)
        wrong = await http.post(url, json=update, headers={SECRET_HEADER: "guess"})
        assert (missing.status_code, wrong.status_code) == (403, 403)
        assert adapter.recorder.inbounds == []  # type: ignore[attr-defined]
        good = await http.post(url, json=update, headers={SECRET_HEADER: "s3cret"})
        assert good.status_code == 200
        assert [i.delivery_id for i in adapter.recorder.inbounds] == ["telegram:4242"]  # type: ignore[attr-defined]
        garbage = await http.post(url, content=b"not json", headers={SECRET_HEADER: "s3cret"})
        assert garbage.status_code == 400
    # setWebhook was called with the secret, so the (fake) Telegram pushes updates to us itself.
    (call,) = await tg_client.calls("setWebhook")
    assert call["params"]["secret_token"] == "s3cret"
    stop.set()
    await asyncio.wait_for(task, 5)


def test_webhook_refuses_to_run_without_a_secret(adapter: TelegramAdapter) -> None:
    from bot.channels.telegram_webhook import WebhookServer

    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        WebhookServer(adapter, url="https://x.example/hook", secret="", listen="127.0.0.1", port=0)
