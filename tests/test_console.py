"""The terminal chat, scripted end to end: file as a citizen, handle as an official, rate."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.channels.console import ConsoleSession, run_console
from bot.models import TicketState
from tests.core_helpers import tickets

ROAD = "Đường vào ấp 3 xã Đầm Dơi bị sạt lở nặng, xe không qua được"
ROOT = Path(__file__).resolve().parents[1]


def _press(out: io.StringIO, label: str) -> str:
    """The number of the latest button labelled `label` in the console output."""
    for line in reversed(out.getvalue().splitlines()):
        if line.strip().startswith("[") and label in line:
            return line.strip()[1:line.strip().index("]")]
    raise AssertionError(f"no button {label!r} in output")


async def test_console_session_end_to_end(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    out = io.StringIO()
    session = ConsoleSession(rt, out)
    await session.handle_line("/start")
    await session.handle_line(_press(out, "Tôi đồng ý"))
    await session.handle_line(ROAD)
    t = tickets(rt)[-1]
    assert f"Mã phiếu: {t.code}" in out.getvalue()
    assert "[gửi NHÓM" in out.getvalue()  # the lead unit's console group received the card

    await session.handle_line(f"/ngoi {t.lead_unit_id}")
    assert "ghế CÁN BỘ" in out.getvalue()
    await session.handle_line("/phieu")
    assert "Phiếu đang mở" in out.getvalue()
    await session.handle_line(f"/phieu {t.code}")
    assert "Diễn biến" in out.getvalue()
    await session.handle_line(_press(out, "Nhận xử lý"))
    assert tickets(rt)[-1].state == TicketState.IN_PROGRESS
    await session.handle_line(_press(out, "Trả lời"))
    await session.handle_line("Đã cử đội sửa chữa, xong trong tuần.")
    assert tickets(rt)[-1].state == TicketState.ANSWERED

    await session.handle_line("/dan")
    await session.handle_line("5")
    t = tickets(rt)[-1]
    assert t.state == TicketState.CLOSED and t.rating == 5
    await session.handle_line("/donvi đầm dơi")
    assert "ubnd_32152" in out.getvalue()
    await session.handle_line("/ngoi khong_co")
    assert "Không có đơn vị" in out.getvalue()
    assert await session.handle_line("/thoat") is False


async def test_run_console_reads_until_eof(runtime) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    assert await run_console(runtime, io.StringIO("/start\n"), out) == 0
    assert "Xin chào" in out.getvalue()


def test_phananh_commands_end_to_end(tmp_path: Path) -> None:
    """db upgrade, seed, official invite, unit link-code and the console serve, as a newcomer runs them."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/p.db", "TELEGRAM_BOT_TOKEN": ""}
    exe = [sys.executable, "-m", "bot.cli"]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([*exe, *args], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, input=stdin,
                              capture_output=True, text=True, timeout=120)

    assert run("db", "upgrade").returncode == 0
    seeded = run("seed")
    assert seeded.returncode == 0 and "added" in seeded.stdout
    invite = run("official", "invite", "so_y_te")
    assert invite.returncode == 0 and "/start" in invite.stdout and len(invite.stdout.split()[0]) == 8
    assert run("unit", "link-code", "nope").returncode == 2
    served = run("serve", stdin=f"/start\n1\n{ROAD}\n/thoat\n")
    assert served.returncode == 0, served.stderr
    assert "Mã phiếu: CM-" in served.stdout
