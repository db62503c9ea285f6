"""Each ticket-deadline rule of config/deadlines.yaml, in local time, on the working-day calendar."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scheduler.deadlines import Count, Deadlines, Span, load_deadlines

FILED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Cà Mau


@pytest.fixture(scope="module")
def dl() -> Deadlines:
    return load_deadlines()



def test_petition_ten_working_days(dl: Deadlines) -> None:
    due = dl.for_ticket("phan_anh_kien_nghi", FILED)
    assert dl.local_date(due.answer_at) == date(2026, 3, 16)
    assert due.answer_at.astimezone(dl.tz).hour == 17
    assert dl.local_date(due.take_at) == date(2026, 3, 5)  # 3 working days to take it


def test_complaint_thirty_calendar_days_moved_off_a_weekend(dl: Deadlines) -> None:
    # 2/3 + 30 days = Wednesday 1/4: a working day, kept
    assert dl.local_date(dl.for_ticket("khieu_nai", FILED).answer_at) == date(2026, 4, 1)
    # 25/3 + 30 days = Friday 24/4 kept; 27/3 + 30 = Sunday 26/4 (Giỗ Tổ) -> 27/4 observed -> Tuesday 28/4
    start = datetime(2026, 3, 27, 2, 0, tzinfo=UTC)
    assert dl.local_date(dl.for_ticket("khieu_nai", start).answer_at) == date(2026, 4, 28)
    assert dl.local_date(dl.for_ticket("khieu_nai", FILED).take_at) == date(2026, 3, 12)


def test_denunciation_seven_working_days_precheck(dl: Deadlines) -> None:
    due = dl.for_ticket("to_cao", datetime(2026, 4, 24, 2, 0, tzinfo=UTC))  # Friday before 27/4, 30/4, 1/5
    # working days after 24/4: 28, 29/4, 4, 5, 6, 7, 8/5 -> the 7th is 8/5
    assert dl.local_date(due.take_at) == date(2026, 5, 8)
    assert dl.local_date(due.answer_at) == date(2026, 5, 25)  # 24/5 is a Sunday


def test_merged_kind_and_unknown_kind(dl: Deadlines) -> None:
    assert dl.rule("khieu_nai_to_cao").answer == Span(30, Count.CALENDAR)
    assert dl.rule("khieu_nai_to_cao").take == Span(7, Count.WORKING)
    assert dl.rule("no_such_kind") == dl.rule("phan_anh_kien_nghi")


def test_filed_in_the_evening_counts_from_the_local_day(dl: Deadlines) -> None:
    late = datetime(2026, 3, 5, 16, 30, tzinfo=UTC)  # Thursday 23:30 local (still Thursday)
    assert dl.local_date(dl.for_ticket("phan_anh_kien_nghi", late).answer_at) == date(2026, 3, 19)
    next_day = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)  # Friday 00:30 local
    assert dl.local_date(dl.for_ticket("phan_anh_kien_nghi", next_day).answer_at) == date(2026, 3, 20)
    saturday = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)  # received on a day off: counted from Monday on
    assert dl.local_date(dl.for_ticket("phan_anh_kien_nghi", saturday).answer_at) == date(2026, 3, 20)


def test_province_rule_applies_when_chosen(tmp_path: Path) -> None:
    text = Path("config/deadlines.yaml").read_text(encoding="utf-8").replace(
        "province_answer: {days: 7, count: working}\n    apply: law", "province_answer: {days: 7, count: working}\n    apply: province")
    path = tmp_path / "deadlines.yaml"
    path.write_text(text, encoding="utf-8")
    dl = load_deadlines(path)
    assert dl.rule("phan_anh_kien_nghi").answer == Span(7, Count.WORKING)
    assert dl.local_date(dl.for_ticket("phan_anh_kien_nghi", FILED).answer_at) == date(2026, 3, 11)
    path.write_text(text.replace("apply: province", "apply: maybe", 1), encoding="utf-8")
    with pytest.raises(ValueError):
        load_deadlines(path)
