"""The ticket reminder ladder: before, on and after the due day; stops on answer, restarts on transfer;
after a day of downtime everything due is sent once, marked late, nothing doubled."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.db import transaction
from bot.models import Ticket
from bot.tickets.handling import answer_ticket, transfer_ticket
from scheduler.deadlines import default_deadlines
from scheduler.dispatch import tick
from scheduler.models import Reminder, ReminderStatus
from tests.core_helpers import citizen, group, max_outbox_id, official, outbox, tickets

ROAD = "Đường vào ấp 3 xã Đầm Dơi bị sạt lở nặng, xe không qua được, đề nghị sửa gấp"


def local(day: int, month: int = 3, hour: int = 8, minute: int = 0) -> datetime:
    """A Cà Mau wall-clock time in March 2026 as UTC."""
    return datetime(2026, month, day, hour - 7, minute, tzinfo=UTC)


class World:
    """One filed ticket, its lead unit's group, the Front's group and the citizen."""

    def __init__(self, rt) -> None:  # type: ignore[no-untyped-def]
        self.rt = rt
        self.dan = citizen(rt)
        self.dan.say(ROAD)
        self.ticket: Ticket = tickets(rt)[-1]
        group(rt, self.ticket.lead_unit_id, "-100")
        group(rt, "mttq_tinh", "-900")
        self.dl = default_deadlines(rt.settings.timezone)

    def tick_at(self, at: datetime) -> dict[str, list[str]]:
        """Move the clock, tick, and return the new outbox texts per chat."""
        self.rt.clock.set(at)
        before = max_outbox_id(self.rt)
        tick(self.rt.session_factory, self.rt.clock, self.dl)
        out: dict[str, list[str]] = {}
        for row in outbox(self.rt, after=before):
            out.setdefault(row["chat_id"], []).append(row["text"])
        return out


def test_ladder_before_due_and_overdue_then_stops_on_answer(runtime) -> None:  # type: ignore[no-untyped-def]
    w = World(runtime)
    code = w.ticket.code
    assert w.dl.local_date(w.ticket.due_at).isoformat() == "2026-03-16"
    assert w.tick_at(local(4)) == {}  # nothing due yet
    sent = w.tick_at(local(5))
    assert list(sent) == ["-100"] and "chưa được nhận" in sent["-100"][0] and code in sent["-100"][0]
    assert w.tick_at(local(5, hour=9)) == {}  # sent once
    sent = w.tick_at(local(11))
    assert list(sent) == ["-100"] and "còn 3 ngày làm việc" in sent["-100"][0]
    assert "còn 1 ngày" in w.tick_at(local(13))["-100"][0]
    assert "Hôm nay" in w.tick_at(local(16))["-100"][0]
    sent = w.tick_at(local(17))
    assert "QUÁ HẠN" in sent["-100"][0] and len(sent["-100"]) == 1
    assert "quá hạn" in sent["-900"][0] and code in sent["-900"][0]  # the Front is told
    assert "quá hạn" in sent[w.dan.chat_id][0]  # the citizen is told, once, who is responsible
    assert "LATE_PREFIX" not in sent["-100"][0] and "Nhắc muộn" not in sent["-100"][0]
    sent = w.tick_at(local(18))
    assert list(sent) == ["-100"] and "2 ngày làm việc" in sent["-100"][0]  # daily, unit only
    assert w.tick_at(local(18, hour=15)) == {}
    # the official answers: nothing more, ever
    cb = official(runtime, w.ticket.lead_unit_id, "7001")
    with transaction(runtime.session_factory) as s:
        answer_ticket(s, runtime.deps, w.ticket.id, official=cb_official(s, cb), version=w.ticket.version,
                      answer="Đã sửa xong.")
    assert w.tick_at(local(19)) == {} and w.tick_at(local(20)) == {}
    with runtime.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.status == ReminderStatus.PENDING)) == 0


def cb_official(session, person):  # type: ignore[no-untyped-def]
    from bot.models import Official
    return session.scalar(select(Official).where(Official.platform_id == person.sender_id))


def test_transfer_restarts_the_clock_for_the_new_unit(runtime) -> None:  # type: ignore[no-untyped-def]
    w = World(runtime)
    old = w.ticket.lead_unit_id
    new = "so_xay_dung" if old != "so_xay_dung" else "so_nong_nghiep_moi_truong"
    group(runtime, new, "-200")
    cb = official(runtime, old, "7001")
    runtime.clock.set(local(4, hour=10))
    with transaction(runtime.session_factory) as s:
        t = transfer_ticket(s, runtime.deps, w.ticket.id, official=cb_official(s, cb), version=w.ticket.version,
                            to_unit=new, reason="Không thuộc thẩm quyền")
        due = t.due_at
    assert w.dl.local_date(due).isoformat() == "2026-03-18"  # 10 working days from 4/3
    sent = w.tick_at(local(9))  # the new unit's take deadline (3 working days after 4/3)
    assert list(sent) == ["-200"] and "chưa được nhận" in sent["-200"][0]
    assert w.tick_at(local(11)) == {}  # the old unit's "3 days before 16/3" is gone
    assert "còn 3 ngày" in w.tick_at(local(13))["-200"][0]
    assert "Hôm nay" in w.tick_at(local(18))["-200"][0]
    sent = w.tick_at(local(19))
    assert set(sent) == {"-200", "-900", w.dan.chat_id}


def test_a_day_of_downtime_sends_each_thing_once_marked_late(runtime) -> None:  # type: ignore[no-untyped-def]
    w = World(runtime)
    # the bot was down from filing until the day after the due date, 10:00
    sent = w.tick_at(local(17, hour=10))
    assert len(sent["-100"]) == 1 and "QUÁ HẠN" in sent["-100"][0] and "Nhắc muộn" in sent["-100"][0]
    assert len(sent["-900"]) == 1 and len(sent[w.dan.chat_id]) == 1
    assert w.tick_at(local(17, hour=11)) == {}  # nothing doubled
    with runtime.session_factory() as s:
        statuses = {r.step.split(":")[0]: r.status for r in s.scalars(select(Reminder))}
        assert statuses["take"] == statuses["before_3"] == statuses["due"] == ReminderStatus.SKIPPED
        assert statuses["overdue"] == ReminderStatus.PENDING  # re-armed for tomorrow morning
        overdue = s.scalar(select(Reminder).where(Reminder.step.like("overdue:%")))
        assert overdue.late and overdue.sent_count == 1 and overdue.remind_at == local(18)
    sent = w.tick_at(local(18))
    assert list(sent) == ["-100"] and "Nhắc muộn" not in sent["-100"][0]


def test_front_digest_has_a_button_per_ticket_that_opens_it(runtime) -> None:  # type: ignore[no-untyped-def]
    """The Front's morning digest lists the new ticket with a button; pressed in the Front's group it
    shows the ticket (no citizen identity); pressed where the ticket is not theirs, it is refused."""
    from bot.channels.base import ChatKind
    from handlers import texts_official as to
    from scheduler.digests import plan_digests, render_digest
    from tests.core_helpers import Person

    w = World(runtime)
    plan_digests(runtime.session_factory, runtime.clock, w.dl)
    runtime.clock.set(local(3))  # the next office morning after the filing
    before = max_outbox_id(runtime)
    tick(runtime.session_factory, runtime.clock, w.dl, digests=render_digest)
    (digest,) = [r for r in outbox(runtime, after=before) if r["chat_id"] == "-900" and "Tổng hợp" in r["text"]]
    assert w.ticket.code in digest["text"] and "Mới: 1" in digest["text"]
    front = Person(runtime, "4242", "-900", kind=ChatKind.GROUP)
    shown = front.press(front.button(w.ticket.code, [digest]))
    assert w.ticket.code in shown[0]["text"] and "Giám sát" in shown[0]["text"] and "Diễn biến" in shown[0]["text"]
    assert w.dan.name not in shown[0]["text"]  # the Front oversees; the citizen's name stays with the lead
    other = Person(runtime, "4343", "-300", kind=ChatKind.GROUP)
    group(runtime, "so_y_te", "-300")
    assert other.press(front.button(w.ticket.code, [digest]))[0]["text"] == to.NOT_FOUND.format(ref=w.ticket.code)
    stranger = Person(runtime, "4444", "4444")  # a private chat, not an official
    assert stranger.press(front.button(w.ticket.code, [digest]))[0]["text"] == to.REFUSE_NOT_ENROLLED
