"""What the pipeline's speed-ups must not change: fresh group links, batched outbox claims, the
aiohttp transport under python-telegram-bot (multipart uploads and errors included)."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from bot.channels.base import ChannelName
from bot.channels.telegram import build_application
from bot.outbox import OutboxSender
from tests.core_helpers import citizen, group, official, outbox
from tests.fakes.fixtures import DEFAULT_TOKEN, fake_telegram  # noqa: F401
from tests.fakes.telegram_api import FakeTelegramServer
from tests.test_outbox import RecordingAdapter

ROAD = "Đường vào ấp 3 xã Đầm Dơi bị sạt lở nặng, xe không qua được"


@contextmanager
def statements(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()).upper())
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_group_linked_in_this_process_gets_the_next_card_at_once(runtime) -> None:  # type: ignore[no-untyped-def]
    """Unit chats are cached per process; a /lienket committed here must empty the cache."""
    rt = runtime
    lead = rt.analyzer(ROAD).lead_unit
    official(rt, lead, "7001")  # no group yet: the unit is reached in its official's private chat
    citizen(rt, "5001").say(ROAD)
    assert any("CM-" in r["text"] for r in outbox(rt, chat_id="7001"))
    group(rt, lead, "-100")
    before = len(outbox(rt, chat_id="7001"))
    citizen(rt, "5002").say(ROAD)
    assert any("CM-" in r["text"] for r in outbox(rt, chat_id="-100"))
    assert len(outbox(rt, chat_id="7001")) == before  # not to the private chat any more


async def test_a_claim_costs_the_same_few_statements_for_one_row_or_many(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    for i in range(12):
        citizen(rt, f"60{i:02d}", consent=False).say("/start")
    sender = OutboxSender(rt, {ChannelName.TELEGRAM: RecordingAdapter()})
    with statements(rt.engine) as seen:
        claimed = await asyncio.to_thread(sender.claim)
    assert len(claimed) == 12
    assert sum(s.startswith("UPDATE OUTBOX") for s in seen) == 1
    assert sum(s.startswith("SELECT") for s in seen) <= 2  # the due rows, and the chats' unsent rows
    with statements(rt.engine) as seen:
        assert await sender.drain() == 0  # all leased above: nothing due, one query
    assert sum(s.startswith("SELECT") for s in seen) == 1


async def test_ptb_over_aiohttp_uploads_a_file_and_maps_errors(fake_telegram: FakeTelegramServer) -> None:  # noqa: F811
    app = build_application(DEFAULT_TOKEN, fake_telegram.url, rate_limits=None)
    async with app:
        sent = await app.bot.send_document(-100200, document=b"PK\x03\x04 a workbook", filename="bao-cao.xlsx",
                                           caption="Báo cáo")
        assert sent.document is not None and sent.document.file_name == "bao-cao.xlsx"
        assert sent.caption == "Báo cáo"
        try:
            await app.bot.send_message(-100200, "")  # empty text: Telegram's 400
        except Exception as exc:  # noqa: BLE001 - the type is the assertion
            assert type(exc).__name__ == "BadRequest", exc
        else:
            raise AssertionError("an empty message must be refused")
