"""The outbox sender: delivery, card edits, retries with backoff, failures, staging, crash leases."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot.channels.base import ChannelName, Outbound, RetryLater, Undeliverable
from bot.models import CardMessage, Outbox, OutboxStatus
from bot.outbox import OutboxSender, backoff
from tests.core_helpers import citizen, group, in_group, official, outbox, tickets

ROAD = "Đường vào ấp 3 xã Đầm Dơi bị sạt lở nặng, xe không qua được"


class RecordingAdapter:
    """A channel that records what it is asked to send; failures are scripted per call."""

    name = ChannelName.TELEGRAM

    def __init__(self) -> None:
        self.sent: list[Outbound] = []
        self.failures: list[Exception] = []
        self._next = 100

    async def send(self, message: Outbound) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        if message.edit_message_id:
            return message.edit_message_id
        self._next += 1
        return str(self._next)


def _statuses(rt) -> list[str]:  # type: ignore[no-untyped-def]
    return [r["status"] for r in outbox(rt)]


async def test_drain_sends_and_cards_are_edited_in_place(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    lead = rt.analyzer(ROAD).lead_unit
    group(rt, lead, "-100")
    cb = official(rt, lead, "7001")
    dan = citizen(rt)
    dan.say(ROAD)
    adapter = RecordingAdapter()
    sender = OutboxSender(rt, {ChannelName.TELEGRAM: adapter})
    assert await sender.drain() == len(outbox(rt))
    assert set(_statuses(rt)) == {"sent"}
    t = tickets(rt)[-1]
    with rt.session_factory() as s:
        card = s.scalar(select(CardMessage).where(CardMessage.ticket_id == t.id))
        assert card is not None and card.chat_id == "-100"
    card_message = [m for m in adapter.sent if m.chat_id == "-100" and t.code in m.text][0]
    assert card_message.edit_message_id is None and card_message.buttons
    in_group(rt, cb, "-100").press(f"t:{t.id}:take:{t.version}")
    await sender.drain()
    edit = [m for m in adapter.sent if m.chat_id == "-100" and m.edit_message_id][-1]
    assert edit.edit_message_id == card.message_id and "Đang xử lý" in edit.text


async def test_retry_after_is_respected_and_order_kept(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    adapter = RecordingAdapter()
    sender = OutboxSender(rt, {ChannelName.TELEGRAM: adapter})
    await sender.drain()
    already = len(adapter.sent)
    dan.say(ROAD)
    mine = [r for r in outbox(rt) if r["status"] == "pending" and r["chat_id"] == dan.chat_id]
    assert len(mine) >= 1
    dan.say("/tracuu")  # a second message to the same chat, queued behind
    adapter.failures = [RetryLater("429", channel=ChannelName.TELEGRAM, chat_id=dan.chat_id, retry_after=30)]
    await sender.drain()
    with rt.session_factory() as s:
        first = s.get(Outbox, mine[0]["id"])
        assert first.status == OutboxStatus.PENDING and first.attempts == 1 and first.error == "429"
        assert first.next_attempt_at == rt.clock.now() + timedelta(seconds=30)
        later = s.scalars(select(Outbox).where(Outbox.id > first.id, Outbox.chat_id == dan.chat_id)).all()
        assert later and all(r.status == OutboxStatus.PENDING for r in later)  # waited behind the first
    rt.clock.advance(timedelta(seconds=31))
    await sender.drain()
    texts = [m.text for m in adapter.sent[already:] if m.chat_id == dan.chat_id]
    assert "Mã phiếu" in texts[0] and "Các phiếu của bạn" in texts[-1]
    assert set(_statuses(rt)) == {"sent"}
    assert backoff(1) == 2 and backoff(30) == 900


async def test_undeliverable_marks_failed_and_others_go_on(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    citizen(rt)
    adapter = RecordingAdapter()
    adapter.failures = [Undeliverable("bot was blocked", channel=ChannelName.TELEGRAM, chat_id="5001")]
    await OutboxSender(rt, {ChannelName.TELEGRAM: adapter}).drain()
    statuses = _statuses(rt)
    assert statuses[0] == "failed" and set(statuses[1:]) == {"sent"}
    with rt.session_factory() as s:
        assert s.scalars(select(Outbox.error).where(Outbox.status == OutboxStatus.FAILED)).one() == "bot was blocked"


async def test_adapter_crash_is_retried_not_lost_and_gives_up_at_the_limit(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    rt.settings = replace(rt.settings, outbox_max_attempts=2)
    citizen(rt, consent=False).say("/start")
    adapter = RecordingAdapter()
    adapter.failures = [RuntimeError("boom"), RuntimeError("boom again")]
    sender = OutboxSender(rt, {ChannelName.TELEGRAM: adapter})
    await sender.drain()
    assert _statuses(rt) == ["pending"]
    rt.clock.advance(timedelta(seconds=backoff(1) + 1))
    await sender.drain()
    assert _statuses(rt) == ["failed"] and adapter.sent == []


async def test_staging_sends_nothing(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    rt.settings = replace(rt.settings, staging=True)
    citizen(rt)
    adapter = RecordingAdapter()
    await OutboxSender(rt, {ChannelName.TELEGRAM: adapter}).drain()
    assert adapter.sent == [] and set(_statuses(rt)) == {"sent"}


async def test_crash_after_claim_is_sent_after_the_lease(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    citizen(rt, consent=False).say("/start")
    crashed = OutboxSender(rt, {ChannelName.TELEGRAM: RecordingAdapter()})
    assert len(await asyncio.to_thread(crashed.claim)) == 1  # claimed, then the process "dies"
    adapter = RecordingAdapter()
    fresh = OutboxSender(rt, {ChannelName.TELEGRAM: adapter})
    assert await fresh.drain() == 0  # still leased to the dead sender
    rt.clock.advance(timedelta(seconds=rt.settings.outbox_lease_seconds + 1))
    assert await fresh.drain() == 1 and len(adapter.sent) == 1


async def test_sqlite_start_releases_a_dead_senders_rows(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    citizen(rt, consent=False).say("/start")
    await asyncio.to_thread(OutboxSender(rt, {ChannelName.TELEGRAM: RecordingAdapter()}).claim)
    fresh = OutboxSender(rt, {ChannelName.TELEGRAM: RecordingAdapter()})
    released = await asyncio.to_thread(fresh.release_orphans)
    assert released == 1 and _statuses(rt) == ["pending"]


async def test_two_senders_never_send_a_row_twice(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    for i in range(12):
        citizen(rt, str(5100 + i), consent=False).say("/start")
    a, b = RecordingAdapter(), RecordingAdapter()
    await asyncio.gather(OutboxSender(rt, {ChannelName.TELEGRAM: a}, batch=3).drain(),
                         OutboxSender(rt, {ChannelName.TELEGRAM: b}, batch=3).drain())
    chats = sorted(m.chat_id for m in a.sent + b.sent)
    assert chats == sorted(str(5100 + i) for i in range(12))


async def test_run_wakes_on_process_and_stops(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    adapter = RecordingAdapter()
    sender = OutboxSender(rt, {ChannelName.TELEGRAM: adapter})
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    from bot.channels.base import ChatKind, Inbound
    await rt.process(Inbound(channel=ChannelName.TELEGRAM, delivery_id="telegram:9", chat_id="77",
                             chat_kind=ChatKind.PRIVATE, sender_id="77", command="start", text="/start"))
    async with asyncio.timeout(5):
        while not adapter.sent:
            await asyncio.sleep(0.01)
    stop.set()
    async with asyncio.timeout(5):
        await task
    assert adapter.sent[0].chat_id == "77"


async def test_card_and_its_edit_in_one_round_edit_the_same_message(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    lead = rt.analyzer(ROAD).lead_unit
    group(rt, lead, "-100")
    cb = official(rt, lead, "7001")
    citizen(rt).say(ROAD)
    t = tickets(rt)[-1]
    in_group(rt, cb, "-100").press(f"t:{t.id}:take:{t.version}")  # the edit is queued before any send
    adapter = RecordingAdapter()
    await OutboxSender(rt, {ChannelName.TELEGRAM: adapter}).drain()
    cards = [m for m in adapter.sent if m.chat_id == "-100" and t.code in m.text and m.buttons]
    assert cards[0].edit_message_id is None and cards[1].edit_message_id is not None
    with rt.session_factory() as s:
        assert s.scalars(select(CardMessage.message_id)).all() == [cards[1].edit_message_id]


async def test_a_card_held_back_holds_only_its_own_edits(runtime) -> None:  # type: ignore[no-untyped-def]
    """A unit chat's cards are lines of their own (bot.outbox.line_of): ticket A's card waiting
    for a retry holds back A's edit, not ticket B's card; A's post still comes before its edit."""
    rt = runtime
    lead = rt.analyzer(ROAD).lead_unit
    group(rt, lead, "-100")
    cb = official(rt, lead, "7001")
    citizen(rt, "5001").say(ROAD)
    a = tickets(rt)[-1]
    in_group(rt, cb, "-100").press(f"t:{a.id}:take:{a.version}")  # A's edit, queued behind A's post
    citizen(rt, "5002").say(ROAD + " (nhà bên cạnh)")
    b = tickets(rt)[-1]

    class RefusingA(RecordingAdapter):
        refused = False  # A's card post is refused once

        async def send(self, message: Outbound) -> str | None:
            if message.chat_id == "-100" and a.code in message.text and message.buttons and not self.refused:
                self.refused = True
                raise RetryLater("429", channel=ChannelName.TELEGRAM, chat_id="-100", retry_after=30)
            return await super().send(message)

    adapter = RefusingA()
    sender = OutboxSender(rt, {ChannelName.TELEGRAM: adapter})
    await sender.drain()
    cards = [m for m in adapter.sent if m.chat_id == "-100" and m.buttons]
    assert [b.code in m.text for m in cards] == [True]  # A's post and edit wait
    waiting = [r for r in outbox(rt) if r["status"] == "pending"]
    assert {r["chat_id"] for r in waiting} == {"-100"} and {r["ticket_id"] for r in waiting} == {a.id}
    rt.clock.advance(timedelta(seconds=31))
    await sender.drain()
    cards_a = [m for m in adapter.sent if m.chat_id == "-100" and a.code in m.text and m.buttons]
    assert cards_a[0].edit_message_id is None and cards_a[1].edit_message_id is not None
    assert set(_statuses(rt)) == {"sent"}
