"""`phananh bench pipeline`: citizens' messages through the real bot, end to end, timed.

Three processes on loopback: the fake Bot API (tests/fakes, so a source
checkout is needed), the bot under test (`phananh serve`, polling, SQLite),
and this driver. The same load then goes to a bare python-telegram-bot echo
bot (bot/bench_echo.py) as the reference. Each run: a burst of N messages
(throughput: first send -> last reply/card), then N messages paced at 0.4 x the
echo bot's rate (latency at the target rate). Telegram's rate limiter is off
for both (TELEGRAM_RATE_LIMIT=false): the fake has no flood limits, and the
real limits would measure Telegram's policy, not the bot.

PHANANH_BENCH_SERVE overrides how the bot is started (default
"-m bot.cli serve", i.e. `phananh serve`), e.g. to profile it.

The `bench` group is created by nlp/cli.py; it calls `register_bench` to add
`pipeline` (this module's `register` adds nothing at the top level).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bot.bench_load import RunResult, run_load

__all__ = ["register", "register_bench", "run_pipeline"]

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:TEST-token-for-the-fake-bot-api"
CODE = re.compile(r"CM-[2-9A-HJ-NP-Z]{6}")
TARGET_RATIO, TARGET_P99 = 0.4, 1.0
SERVE = tuple(os.environ.get("PHANANH_BENCH_SERVE", "-m bot.cli serve").split())  # the bot under test, as an operator starts it


def register_bench(bench_sub: Any) -> None:
    parser = bench_sub.add_parser("pipeline", help="messages/s and latency of the whole bot vs an echo bot")
    parser.add_argument("--messages", type=int, default=300, help="messages per run (default 300)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.set_defaults(func=lambda args: asyncio.run(run_pipeline(args.messages, as_json=args.json)))


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


async def _spawn(stack: AsyncExitStack, log: Path, *args: str, env: dict[str, str],
                 pipe: bool = False) -> Any:
    """A child process stopped (SIGTERM, then SIGKILL) when `stack` closes."""
    handle = log.open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, env=env, stderr=handle,
        stdout=asyncio.subprocess.PIPE if pipe else handle)

    async def stop() -> None:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        handle.close()
    stack.push_async_callback(stop)
    return proc


def _texts(count: int) -> list[str]:
    """Petitions from the held-out corpus files; not `khac` ones (a greeting in English files no ticket)."""
    texts: list[str] = []
    for name in ("test.jsonl", "independent.jsonl"):
        path = ROOT / "nlp" / "data" / name
        if path.is_file():
            rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
            texts += [row["text"] for row in rows if row.get("category") != "khac"]
    texts = texts or ["Đường ấp 3 xã Tân Thành bị sạt lở, xe không đi được, đề nghị sửa gấp."]
    return [texts[i % len(texts)] for i in range(count)]


async def _bot_phase(stack: AsyncExitStack, client: Any, work: Path, url: str, n: int,
                     rates: list[float | None]) -> list[RunResult]:
    from sqlalchemy import func, select

    from bot.clock import SystemClock
    from bot.config import Settings
    from bot.db import make_engine, make_session_factory
    from bot.migrate import upgrade
    from bot.seed import load_unit_rows, seed_units
    from bot.models import GroupLink, Outbox, OutboxStatus, Unit
    from bot.tickets.callbacks import CallbackData

    env = _env(DATABASE_URL=f"sqlite:///{work / 'bench.db'}", TELEGRAM_BOT_TOKEN=TOKEN,
               TELEGRAM_API_BASE_URL=url, TELEGRAM_RATE_LIMIT="false", WEBHOOK_URL="",
               MAX_TICKETS_PER_DAY="100000", LOG_LEVEL="WARNING", STAGING="false",
               OUTBOX_POLL_SECONDS="1")
    await asyncio.to_thread(upgrade, env["DATABASE_URL"])
    engine = make_engine(env["DATABASE_URL"])
    stack.callback(engine.dispose)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        seed_units(session, load_unit_rows())
    with factory() as session:
        units = list(session.scalars(select(Unit.id).where(Unit.active)))
    groups = [-(500_000 + i) for i in range(len(units))]
    with factory.begin() as session:  # every unit has a group, so every ticket has a card
        session.add_all(GroupLink(channel="telegram", chat_id=str(chat), unit_id=unit, active=True,
                                  linked_at=SystemClock().now()) for chat, unit in zip(groups, units))
    await _spawn(stack, work / "bot.log", *SERVE, env=env)

    async def settled() -> bool:
        def count() -> int:
            with factory() as session:
                return int(session.scalar(select(func.count()).select_from(Outbox).where(
                    Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))) or 0)
        return await asyncio.to_thread(count) == 0

    # Warm-up, not measured: every citizen consents, the model loads.
    citizens = [[100_000 * (k + 1) + i for i in range(n)] for k in range(len(rates))]
    consent = CallbackData("c", 0, "consent", 0).encode()
    for chats in citizens:
        await client.push([{"type": "callback", "chat_id": c, "message_id": 1, "data": consent}
                           for c in chats])
    warm = list(range(1, 11))
    await client.push([{"type": "callback", "chat_id": c, "message_id": 1, "data": consent} for c in warm])
    await run_load(client, "warm-up", warm, _texts(10), code_pattern=CODE, settled=settled, timeout=300)
    results = []
    for k, rate in enumerate(rates):
        name = "bot burst" if rate is None else f"bot paced {rate:.0f}/s"
        results.append(await run_load(client, name, citizens[k], _texts(n), rate=rate,
                                      code_pattern=CODE, settled=settled, timeout=600))
    return results


async def _echo_phase(stack: AsyncExitStack, client: Any, work: Path, url: str, n: int) -> RunResult:
    await _spawn(stack, work / "echo.log", "-m", "bot.bench_echo", "--api", url, "--token", TOKEN,
                 env=_env())
    await run_load(client, "echo warm-up", list(range(1, 11)), _texts(10), timeout=60)
    return await run_load(client, "echo burst", [10_000 + i for i in range(n)], _texts(n))


async def run_pipeline(n: int, *, as_json: bool = False) -> int:
    if not (ROOT / "tests" / "fakes" / "telegram_api.py").is_file():
        print("bench pipeline needs a source checkout (tests/fakes is not installed)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from tests.fakes.telegram_client import FakeTelegramClient

    with tempfile.TemporaryDirectory(prefix="phananh-bench-") as tmp:
        work = Path(tmp)
        results: list[RunResult] = []
        for phase in ("echo", "bot"):
            async with AsyncExitStack() as stack:  # a fresh fake per phase
                fake = await _spawn(stack, work / f"fake-{phase}.log", "-m", "tests.fakes.telegram_api",
                                    "--port", "0", env=_env(), pipe=True)
                line = await asyncio.wait_for(fake.stdout.readline(), 30)
                url = f"http://127.0.0.1:{line.decode().split()[1]}"
                client = await stack.enter_async_context(FakeTelegramClient(url))
                try:
                    if phase == "echo":
                        echo = await _echo_phase(stack, client, work, url, n)
                        results.append(echo)
                        paced = TARGET_RATIO * echo.rate
                    else:
                        results += await _bot_phase(stack, client, work, url, n, [None, paced])
                except Exception:
                    for log in sorted(work.glob("*.log")):
                        print(f"--- {log.name}\n{log.read_text('utf-8', 'replace')[-3000:]}", file=sys.stderr)
                    raise
    return _report(results, as_json)


def _report(results: list[RunResult], as_json: bool) -> int:
    echo, burst, paced = results
    ratio = burst.rate / echo.rate
    print(f"phananh bench pipeline — {os.cpu_count()} CPUs, SQLite, polling, loopback fake Bot API")
    for result in results:
        print("  " + result.line())
    ok_ratio, ok_p99 = ratio >= TARGET_RATIO, paced.p(0.99) < TARGET_P99
    print(f"  ratio bot/echo (burst msg/s): {ratio:.2f}  (target >= {TARGET_RATIO}: "
          f"{'met' if ok_ratio else 'NOT met'})")
    print(f"  reply p99 at {TARGET_RATIO} x echo rate: {paced.p(0.99) * 1000:.0f} ms  (target < "
          f"{TARGET_P99 * 1000:.0f} ms: {'met' if ok_p99 else 'NOT met'})")
    if as_json:
        print(json.dumps({r.name: {"messages": r.messages, "msg_per_s": round(r.rate, 1),
                                   "p50_ms": round(r.p(0.5) * 1000, 1), "p99_ms": round(r.p(0.99) * 1000, 1),
                                   "card_p99_ms": round(r.p(0.99, True) * 1000, 1)}
                          for r in results} | {"ratio": round(ratio, 3)}))
    return 0 if ok_ratio and ok_p99 else 1
