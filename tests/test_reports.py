"""Reporting duties through the bot: /nopbaocao on time and late, reminders stop, Home Affairs is told;
the statistics (exact counts on a small fixture), the XLSX, and the workbook on a duty's first reminder —
through the handlers on SQLite and PostgreSQL, and end to end through python-telegram-bot and the fake."""
from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from bot.channels.base import Attachment
from bot.cli import main as cli_main
from bot.db import transaction
from bot.models import Citizen, CodePurpose, Official, Outbox, Ticket, TicketState
from bot.runtime import Runtime
from handlers import texts_reports as tr
from scheduler.deadlines import default_deadlines
from scheduler.dispatch import tick
from scheduler.models import Obligation, ObligationStatus, Reminder, ReminderStatus, ReportSubmission, SubjectKind
from scheduler.obligations import plan_year
from scheduler.report_files import fetch_pending, stored_path
from scheduler.stats import parse_period, province_stats, unit_stats
from scheduler.stats_xlsx import write_xlsx
from tests.core_helpers import group, max_outbox_id, official, outbox
from tests.fakes.fixtures import fake_telegram  # noqa: F401
from tests.fakes.telegram_api import FakeTelegramServer
from tests.telegram_harness import Harness, running_bot

UNIT, OTHER, HOME = "so_xay_dung", "so_tai_chinh", "so_noi_vu"
HOME_GROUP, UNIT_GROUP = "-500", "-600"
TRAFFIC, PETITION = "giao_thong_xay_dung", "phan_anh_kien_nghi"


def local(day: int, month: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour - 7, tzinfo=UTC)


@pytest.fixture(autouse=True)
def reports_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PHANANH_REPORTS_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def plan(rt) -> None:  # type: ignore[no-untyped-def]
    plan_year(rt.session_factory, rt.clock, default_deadlines(rt.settings.timezone), 2026)


def duties(rt, unit: str) -> list[Obligation]:  # type: ignore[no-untyped-def]
    with rt.session_factory() as s:
        rows = list(s.scalars(select(Obligation).where(Obligation.unit_id == unit).order_by(Obligation.due_at)))
        s.expunge_all()
        return rows


def pending(rt, obligation_id: int) -> int:  # type: ignore[no-untyped-def]
    with rt.session_factory() as s:
        return len(s.scalars(select(Reminder).where(Reminder.subject_kind == SubjectKind.OBLIGATION,
                                                    Reminder.subject_id == str(obligation_id),
                                                    Reminder.status == ReminderStatus.PENDING)).all())


def payloads(rt, after: int, chat_id: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    with rt.session_factory() as s:
        return [r.payload for r in s.scalars(select(Outbox).where(Outbox.id > after, Outbox.chat_id == chat_id)
                                             .order_by(Outbox.id))]


def document(file_id: str, name: str, caption: str = "") -> dict:  # type: ignore[type-arg]
    return {"text": caption, "attachments": (Attachment("document", file_id, name),), "unsupported": "document"}


def test_submit_on_time_with_a_file_stops_reminders_and_tells_home_affairs(runtime: Runtime) -> None:
    runtime.clock.set(local(1, 6))
    plan(runtime)
    group(runtime, HOME, HOME_GROUP)
    h1, annual = duties(runtime, UNIT)
    assert (h1.period, annual.period) == ("2026-H1", "2026") and pending(runtime, h1.id) == 5
    cb = official(runtime, UNIT, "7100")
    rows = cb.say("/nopbaocao")
    assert "2026-H1" in rows[0]["text"] and len(rows[0]["buttons"]) == 2  # two open duties: one button each
    cb.press(f"r:{h1.id}")
    assert "Xin gửi tệp báo cáo" in cb.texts and "2026-H1" in cb.texts
    before = max_outbox_id(runtime)
    cb._send(**document("FILE-1", "bao-cao-6-thang.pdf"))
    assert cb.texts.startswith("✅ Đã ghi nhận") and "TRỄ" not in cb.texts
    notice = [r["text"] for r in outbox(runtime, after=before, chat_id=HOME_GROUP)]
    assert len(notice) == 1 and "bao-cao-6-thang.pdf" in notice[0] and "nộp trễ" not in notice[0]
    with runtime.session_factory() as s:
        sub = s.scalars(select(ReportSubmission)).one()
        assert (sub.file_id, sub.file_name, sub.late, sub.channel) == \
            ("FILE-1", "bao-cao-6-thang.pdf", False, "telegram")
        assert s.get(Official, sub.official_id).platform_id == "7100"
        assert s.get(Obligation, h1.id).status == ObligationStatus.SUBMITTED
    assert pending(runtime, h1.id) == 0 and pending(runtime, annual.id) > 0
    # the ladder's dates pass: that duty is never mentioned again to the unit (its officials' chats)
    dl = default_deadlines(runtime.settings.timezone)
    for day in (11, 17, 19, 22, 23, 24):
        runtime.clock.set(local(day, 6))
        before = max_outbox_id(runtime)
        tick(runtime.session_factory, runtime.clock, dl)
        assert not [r for r in outbox(runtime, after=before, chat_id="7100") if "2026-H1" in r["text"]]


def test_late_submission_by_document_number_is_recorded_late(runtime: Runtime) -> None:
    runtime.clock.set(local(1, 6))
    plan(runtime)
    group(runtime, HOME, HOME_GROUP)
    (h1, _), cb = duties(runtime, OTHER), official(runtime, OTHER, "7200")
    runtime.clock.set(local(25, 6))  # due Monday 22/6 (20/6 is a Saturday)
    cb.say("/nopbaocao 3")  # only two duties
    assert cb.texts == tr.SUBMIT_BAD_NUMBER
    before = max_outbox_id(runtime)
    cb.say("/nopbaocao 1 45/BC-STC")
    assert "NỘP TRỄ" in cb.texts and "22/06/2026" in cb.texts
    (notice,) = [r["text"] for r in outbox(runtime, after=before, chat_id=HOME_GROUP)]
    assert "nộp trễ" in notice and "45/BC-STC" in notice
    with runtime.session_factory() as s:
        sub = s.scalars(select(ReportSubmission)).one()
        assert (sub.doc_number, sub.late, sub.file_id) == ("45/BC-STC", True, None)
        assert s.get(Obligation, h1.id).late is True
    assert pending(runtime, h1.id) == 0


def test_captioned_file_submits_at_once_and_step_survives_between_messages(runtime: Runtime) -> None:
    runtime.clock.set(local(1, 6))
    plan(runtime)
    (h1, annual), cb = duties(runtime, UNIT), official(runtime, UNIT, "7300")
    cb._send(**document("FILE-2", "bc.xlsx", caption="/nopbaocao 2"))
    assert cb.texts.startswith("✅") and "(2026)" in cb.texts
    cb.say("/nopbaocao")  # only H1 is open now: straight to waiting for it
    assert "2026-H1" in cb.texts
    with runtime.session_factory() as s:
        assert s.scalars(select(Official).where(Official.platform_id == "7300")).one().step == "awaiting_report"
    cb.say("")  # nothing usable
    assert cb.texts == tr.SUBMIT_EMPTY
    cb.say("/huy")
    assert cb.texts == tr.SUBMIT_CANCELLED
    outsider = official(runtime, OTHER, "7301")
    outsider.press(f"r:{h1.id}")
    assert outsider.texts == tr.SUBMIT_NOT_YOURS
    assert [d.status for d in duties(runtime, UNIT)] == [ObligationStatus.OPEN, ObligationStatus.SUBMITTED]
    assert annual.id != h1.id


# --- statistics -----------------------------------------------------------------------------------------------

def _fixture_tickets(rt) -> None:  # type: ignore[no-untyped-def]
    """Seven tickets of UNIT and one of OTHER in 2026-H1, one of UNIT before it, one after it."""
    with transaction(rt.session_factory) as s:
        person = Citizen(channel="telegram", platform_id="c1", chat_id="c1", created_at=local(1, 1))
        off = Official(channel="telegram", platform_id="o1", unit_id=UNIT, enrolled_at=local(1, 1))
        s.add_all([person, off])
        s.flush()
        spec = [  # (unit, created, state, taken, answered, due, rating, category, kind)
            (UNIT, local(20, 1), TicketState.CLOSED, True, local(25, 1), local(30, 1), 5, "dat_dai", PETITION),
            (UNIT, local(2, 2), TicketState.CLOSED, True, local(20, 2), local(16, 2), 2, "dat_dai", "khieu_nai_to_cao"),
            (UNIT, local(3, 3), TicketState.ANSWERED, True, local(5, 3), local(17, 3), None, TRAFFIC, PETITION),
            (UNIT, local(4, 4), TicketState.IN_PROGRESS, True, None, local(20, 4), None, TRAFFIC, PETITION),
            (UNIT, local(5, 5), TicketState.NEW, False, None, local(19, 5), None, "giao_thong_xay_dung", "gop_y"),
            (UNIT, local(1, 6), TicketState.NEW, False, None, local(30, 6), None, "moi_truong", "gop_y"),
            (UNIT, local(6, 5), TicketState.REJECTED, False, None, local(20, 5), None, "khac", "hoi_dap"),
            (OTHER, local(7, 5), TicketState.CLOSED, False, local(8, 5), local(21, 5), 4, "khac", "gop_y"),
            (UNIT, local(20, 6), TicketState.NEW, False, None, local(3, 7), None, "dat_dai", "gop_y"),  # after 14/6
        ]
        for n, (unit, created, state, taken, answered, due, rating, cat, kind) in enumerate(spec):
            s.add(Ticket(code=f"T{n:04d}", citizen_id=person.id, channel="telegram", text="x", category=cat,
                         confidence=0.9, kind=kind, lead_unit_id=unit, state=state, due_at=due, rating=rating,
                         taken_by_id=off.id if taken else None, answered_at=answered, created_at=created,
                         updated_at=created))
        s.add(Ticket(code="TOLD", citizen_id=person.id, channel="telegram", text="x", category="dat_dai",
                     confidence=0.9, kind="gop_y", lead_unit_id=UNIT, state=TicketState.NEW,
                     due_at=datetime(2025, 12, 20, tzinfo=UTC), created_at=datetime(2025, 12, 14, 10, tzinfo=UTC),
                     updated_at=datetime(2025, 12, 14, 10, tzinfo=UTC)))  # 14/12/2025 17:00 local: before H1


def test_stats_exact_counts_xlsx_and_cli(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    _fixture_tickets(runtime)
    period = parse_period("2026-H1")
    assert (period.first.isoformat(), period.last.isoformat()) == ("2025-12-15", "2026-06-14")
    assert parse_period("2026").last.isoformat() == "2026-12-14"
    tz = default_deadlines(runtime.settings.timezone).tz
    now = local(1, 7)
    with runtime.session_factory() as s:
        st = unit_stats(s, UNIT, period, now=now, tz=tz)
        table = province_stats(s, period, now=now, tz=tz)
    assert (st.received, st.taken, st.answered, st.on_time, st.overdue) == (7, 4, 3, 2, 2)
    assert (st.rated, st.mean_rating, st.satisfied) == (2, 3.5, 1)
    assert dict(st.by_category) == {"dat_dai": 2, "giao_thong_xay_dung": 3, "moi_truong": 1, "khac": 1}
    assert dict(st.by_kind) == {"phan_anh_kien_nghi": 3, "khieu_nai_to_cao": 1, "gop_y": 2, "hoi_dap": 1}
    by_unit = {r.unit_id: r for r in table}
    assert by_unit[OTHER].received == 1 and by_unit[OTHER].on_time == 1 and by_unit[HOME].received == 0
    assert sum(r.received for r in table) == 8
    with runtime.session_factory() as s:  # a period still running counts overdue as of now
        early = unit_stats(s, UNIT, period, now=local(1, 5), tz=tz)
    assert early.overdue == 1 and early.received == 7

    path = write_xlsx(tmp_path / "t.xlsx", [st], "tiêu đề")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [tr.STATS_SHEET_SUMMARY, tr.STATS_SHEET_CATEGORY, tr.STATS_SHEET_KIND]
    rows = list(wb[tr.STATS_SHEET_SUMMARY].iter_rows(values_only=True))
    assert rows[1] == tr.STATS_HEADER
    assert rows[2] == ("Sở Xây dựng", 7, 4, 3, 2, 2, 2, 3.5, 1) and len(rows) == 3
    by_category = list(wb[tr.STATS_SHEET_CATEGORY].iter_rows(values_only=True))
    assert by_category[1] == ("Giao thông, xây dựng, đô thị", 3)
    assert ("Góp ý", 2) in list(wb[tr.STATS_SHEET_KIND].iter_rows(values_only=True))

    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    out = tmp_path / "all.xlsx"
    assert cli_main(["report", "stats", "--period", "2026-H1", "--xlsx", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "toàn tỉnh" in printed and tr.STATS_TOTAL in printed
    summary = list(openpyxl.load_workbook(out)[tr.STATS_SHEET_SUMMARY].iter_rows(values_only=True))
    assert summary[-1][0] == tr.STATS_TOTAL and summary[-1][1] == 8 and len(summary) == 2 + len(table) + 1
    assert cli_main(["report", "stats", "--unit", UNIT, "--period", "2026-H1"]) == 0
    assert "Sở Xây dựng" in capsys.readouterr().out
    assert cli_main(["report", "stats", "--period", "2026-Q3"]) == 2


def test_first_reminder_carries_the_workbook_later_ones_do_not(runtime: Runtime, reports_dir: Path) -> None:
    runtime.clock.set(local(1, 6))
    plan(runtime)
    group(runtime, UNIT, UNIT_GROUP)
    group(runtime, HOME, HOME_GROUP)
    dl = default_deadlines(runtime.settings.timezone)
    before = max_outbox_id(runtime)
    runtime.clock.set(local(11, 6))  # 7 working days before Monday 22/6
    tick(runtime.session_factory, runtime.clock, dl)
    rows = payloads(runtime, before, UNIT_GROUP)
    assert len(rows) == 1 and "còn 7 ngày" in rows[0]["text"] and ".xlsx" in rows[0]["text"]
    ((path, name),) = rows[0]["documents"]
    assert name == f"thong-ke-{UNIT}-2026-H1.xlsx" and Path(path).parent == reports_dir / "generated"
    assert list(openpyxl.load_workbook(path)[tr.STATS_SHEET_SUMMARY].iter_rows(values_only=True))[1] == tr.STATS_HEADER
    before = max_outbox_id(runtime)
    runtime.clock.set(local(17, 6))
    tick(runtime.session_factory, runtime.clock, dl)
    (row,) = payloads(runtime, before, UNIT_GROUP)
    assert "còn 3 ngày" in row["text"] and "documents" not in row



def test_workbook_budget_defers_first_reminders_to_the_next_tick(runtime: Runtime,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import scheduler.dispatch

    monkeypatch.setattr(scheduler.dispatch, "WORKBOOKS_PER_TICK", 1)
    runtime.clock.set(local(1, 6))
    plan(runtime)
    group(runtime, UNIT, UNIT_GROUP)
    group(runtime, OTHER, "-601")
    dl = default_deadlines(runtime.settings.timezone)
    runtime.clock.set(local(11, 6))
    got: list[str] = []
    for _ in range(3):
        before = max_outbox_id(runtime)
        tick(runtime.session_factory, runtime.clock, dl)
        got.append("".join(sorted(chat[-1] for chat in (UNIT_GROUP, "-601")
                                  if any("documents" in p for p in payloads(runtime, before, chat)))))
    assert sorted(got[:2]) == ["0", "1"] and got[2] == ""  # one each tick, then nothing: none lost, none twice


# --- end to end: python-telegram-bot against the fake Bot API ---------------------------------------------------

@pytest.fixture
async def bot(settings, clock, analyzer, fake_telegram: FakeTelegramServer):  # type: ignore[no-untyped-def] # noqa: F811
    async with running_bot(settings, clock, analyzer, fake_telegram) as harness:
        yield harness


async def _until(predicate, timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(predicate):
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_e2e_nopbaocao_with_a_document_and_reminder_with_senddocument(
        bot: Harness, fake_telegram: FakeTelegramServer, reports_dir: Path) -> None:  # noqa: F811
    rt = bot.runtime
    bot.clock.set(local(1, 6))
    await asyncio.to_thread(plan, rt)
    bot.link_group(HOME, int(HOME_GROUP))
    enrolled = await bot.said(8100, f"/start {bot.code(CodePurpose.OFFICIAL_INVITE, UNIT)}")
    assert enrolled.text.startswith("Đăng ký thành công")
    # the first reminder (11/6) reaches the official's private chat with the workbook as a document
    bot.clock.set(local(11, 6))
    after = await bot.mark()
    await asyncio.to_thread(tick, rt.session_factory, rt.clock, default_deadlines(rt.settings.timezone))
    rt.wake_outbox()
    reminder = await bot.client.wait_for(8100, lambda s: "còn 7 ngày" in s.text, after=after)
    assert reminder.text
    (record,) = [m for m in fake_telegram.state.sent if m.method == "sendDocument"]
    assert record.chat_id == 8100 and record.seq < reminder.seq  # the file, then the text that names it
    sent_doc = fake_telegram.state.messages[(record.chat_id, record.message_id)]["document"]
    assert sent_doc["file_name"] == f"thong-ke-{UNIT}-2026-H1.xlsx"
    file_id = sent_doc["file_id"]
    wb = openpyxl.load_workbook(io.BytesIO(fake_telegram.state.files[file_id]))
    assert list(wb[tr.STATS_SHEET_SUMMARY].iter_rows(values_only=True))[1] == tr.STATS_HEADER
    # the official sends the report file with the caption /nopbaocao 1
    after = await bot.mark()
    await bot.client.send("document", 8100, file_name="bao-cao-H1.pdf", caption="/nopbaocao 1",
                          content="%PDF-1.4 nội dung báo cáo")
    ok = await bot.client.wait_for(8100, lambda s: "Đã ghi nhận" in s.text, after=after)
    assert "2026-H1" in ok.text and "TRỄ" not in ok.text
    told = await bot.client.wait_for(int(HOME_GROUP), lambda s: "bao-cao-H1.pdf" in s.text, after=after)
    assert "đã nộp" in told.text
    with rt.session_factory() as s:
        sub = s.scalars(select(ReportSubmission)).one()
        path = stored_path(reports_dir, sub)
    await _until(path.exists)  # the fetcher downloaded it through getFile
    assert path.read_bytes() == "%PDF-1.4 nội dung báo cáo".encode()
    assert (await fetch_pending(rt.session_factory, {"telegram": _never}, reports_dir, rt.clock.now())) == 0


async def _never(file_id: str) -> bytes:
    raise AssertionError("already stored: nothing to fetch")



# --- the other channels: the console prints the path, Zalo names the file (it cannot send one here) -------------

async def test_console_prints_the_document_path() -> None:
    from bot.channels.base import ChannelName, Outbound, OutboundDocument
    from bot.channels.console import ConsoleAdapter

    out = io.StringIO()
    await ConsoleAdapter(out, {}).send(Outbound(ChannelName.CONSOLE, "u1", "Nhắc nộp báo cáo",
                                                documents=(OutboundDocument("/tmp/x/tk.xlsx", "tk.xlsx"),)))
    assert "Nhắc nộp báo cáo" in out.getvalue() and "tk.xlsx: /tmp/x/tk.xlsx" in out.getvalue()


async def test_zalo_bot_names_the_document_in_the_text(settings, clock, analyzer,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    from bot.channels.base import ChannelName, Outbound, OutboundDocument
    from bot.tickets.notify import enqueue
    from tests.zalo_harness import running_zalo

    xlsx = tmp_path / "tk.xlsx"
    xlsx.write_bytes(b"PK")
    async with running_zalo(settings, clock, analyzer) as h:
        after = h.bot.last_seq()
        with transaction(h.runtime.session_factory) as s:
            enqueue(s, Outbound(ChannelName.ZALO_BOT, "zchat1", "Nhắc nộp báo cáo",
                                documents=(OutboundDocument(str(xlsx), "thong-ke.xlsx"),)), now=clock.now())
        h.runtime.wake_outbox()
        sent = await h.bot.wait_sent("zchat1", after=after)
        assert "Nhắc nộp báo cáo" in sent.text and "thong-ke.xlsx" in sent.text
        assert "Zalo không gửi được tệp" in sent.text
