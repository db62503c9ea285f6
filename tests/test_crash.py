"""Crash test: `phananh serve` is SIGKILLed while citizens are sending, then restarted.

Checked afterwards, against the SQLite file and what the fake Bot API received:
every citizen shown a ticket code has that ticket; every update was processed
exactly once (one ticket per citizen, one processed-update row per update);
every notification was delivered (no unsent outbox row, each sent row is a
message the fake holds).
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.db import make_engine, make_session_factory
from bot.models import Citizen, GroupLink, Outbox, OutboxStatus, ProcessedUpdate, Ticket, Unit
from tests.fakes.telegram_api import DEFAULT_TOKEN
from tests.fakes.telegram_client import FakeTelegramClient
from tests.telegram_harness import child_pids, is_running

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"CM-[2-9A-Z]{6}")
CITIZENS = 40
PETITIONS = [
    "Đường liên ấp ở xã Tân Thành bị sạt lở, xe máy không đi được, đề nghị sửa chữa.",
    "Rác thải ở chợ phường An Xuyên nhiều ngày không thu gom, bốc mùi hôi.",
    "Đèn đường khóm 3 phường Tân Thành hỏng cả tháng, ban đêm rất tối.",
    "Nước sinh hoạt ở ấp 4 xã Khánh Bình bị đục, có mùi, đề nghị kiểm tra.",
]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


@pytest.fixture
async def fake_process() -> AsyncIterator[str]:
    """The fake Bot API in its own process; yields its URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0", cwd=ROOT, env=_env(),
        stdout=asyncio.subprocess.PIPE)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{line.decode().split()[1]}"
    finally:
        proc.terminate()
        await proc.wait()


async def _start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", cwd=ROOT, env=env,
        stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT)


async def test_sigkill_while_citizens_send(fake_process: str, sqlite_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    shutil.copyfile(sqlite_template, db)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = SystemClock()
    with factory() as session:
        units = list(session.scalars(select(Unit.id).where(Unit.active)))
    with factory.begin() as session:  # every unit has a group, so every ticket has a card
        session.add_all(GroupLink(channel="telegram", chat_id=str(-(700_000 + index)), unit_id=unit,
                                  active=True, linked_at=clock.now())
                        for index, unit in enumerate(units))
    env = _env(DATABASE_URL=url, TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN, TELEGRAM_API_BASE_URL=fake_process,
               TELEGRAM_RATE_LIMIT="false", WEBHOOK_URL="", OUTBOX_POLL_SECONDS="0.5",
               OUTBOX_LEASE_SECONDS="2", MAX_TICKETS_PER_DAY="100", LOG_LEVEL="INFO", STAGING="false")
    log = tmp_path / "bot.log"
    citizens = [8_000_000 + i for i in range(CITIZENS)]
    pushed: list[int] = []
    bot = await _start_bot(env, log)
    try:
        async with FakeTelegramClient(fake_process) as client:
            # The bot is up when the first citizen's consent is answered.
            pushed += await client.push({"type": "callback", "chat_id": citizens[0], "message_id": 1,
                                         "data": "c:0:consent:0"})
            await client.wait_for(citizens[0], lambda s: True, timeout=60)

            async def citizens_send() -> None:
                for i, chat in enumerate(citizens):
                    if i:
                        pushed.extend(await client.push({"type": "callback", "chat_id": chat,
                                                         "message_id": 1, "data": "c:0:consent:0"}))
                    pushed.extend(await client.push({"type": "text", "chat_id": chat,
                                                     "text": PETITIONS[i % len(PETITIONS)]}))
                    await asyncio.sleep(0.05)  # citizens type at their pace, not a test wait

            sending = asyncio.create_task(citizens_send())
            codes_seen: set[str] = set()

            def code_arrived(record) -> bool:  # type: ignore[no-untyped-def]
                found = CODE.search(record.text) if record.chat_id > 0 else None
                if found:
                    codes_seen.add(found.group(0))
                return len(codes_seen) >= 8

            await client.wait_for(None, code_arrived, timeout=60)
            assert not sending.done(), "the kill must land while citizens are still sending"
            children = child_pids(bot.pid)
            # OUTBOX_PROCESS and NLP_PROCESS default to true: the Bot API calls and the model run in children
            assert len(children) == 2, children
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            for _ in range(100):  # each child reads end-of-file on its pipe and exits by itself
                if not any(is_running(pid) for pid in children):
                    break
                await asyncio.sleep(0.1)
            assert not any(is_running(pid) for pid in children), "a child process outlived the bot"
            bot = await _start_bot(env, log)
            await asyncio.wait_for(sending, 60)

            def progress() -> tuple[int, dict[str, int]]:
                with factory() as session:
                    tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
                    unsent = dict(session.execute(
                        select(Outbox.status, func.count()).where(Outbox.status.in_(
                            [OutboxStatus.PENDING, OutboxStatus.SENDING])).group_by(Outbox.status)).all())
                    return tickets, {str(k): v for k, v in unsent.items()}

            deadline = asyncio.get_running_loop().time() + 90
            while (state := await asyncio.to_thread(progress)) != (CITIZENS, {}):
                assert asyncio.get_running_loop().time() < deadline, f"tickets, unsent = {state}"
                await client.sent(after=await client.last_seq(), wait=0.5)
            await client.wait_idle(30)
            sent = await client.sent()
    finally:
        if bot.returncode is None:
            bot.terminate()
            await bot.wait()

    with factory() as session:
        by_code = {t.code: t for t in session.scalars(select(Ticket))}
        citizen_of = {c.id: c.platform_id for c in session.scalars(select(Citizen))}
        per_citizen = session.execute(select(Ticket.citizen_id, func.count()).group_by(Ticket.citizen_id)).all()
        processed = set(session.scalars(select(ProcessedUpdate.delivery_id)))
        rows = list(session.scalars(select(Outbox)))
    engine.dispose()

    shown = {(r.chat_id, m.group(0)) for r in sent if r.chat_id > 0 for m in CODE.finditer(r.text)}
    assert {code for _, code in shown} >= codes_seen
    for chat, code in shown:  # every code a citizen was shown is a ticket of that citizen
        assert code in by_code and citizen_of[by_code[code].citizen_id] == str(chat)
    assert len(by_code) == CITIZENS and all(count == 1 for _, count in per_citizen)
    assert {f"telegram:{u}" for u in pushed} <= processed
    fake_messages = {(r.chat_id, r.message_id) for r in sent}
    assert rows and all(r.status == OutboxStatus.SENT for r in rows)
    for row in rows:
        assert (int(row.chat_id), int(row.sent_message_id or 0)) in fake_messages, row.payload
