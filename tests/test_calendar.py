"""Working days: weekends, the law's holidays (lunar ones too), announced swaps, make-up Saturdays."""
from __future__ import annotations

from datetime import date

import pytest

from scheduler.calendar import OffReason, WorkCalendar, load_calendar


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar()


def test_tet_2027_is_off_and_counting_skips_it(cal: WorkCalendar) -> None:
    # Tết Đinh Mùi: 1 Tết = Saturday 6/2/2027; the days around it are off.
    for d in (date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10)):
        off = cal.day_off(d)
        assert off is not None and off.reason == OffReason.HOLIDAY, d
    assert cal.add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert cal.is_working_day(date(2027, 2, 11))


def test_national_day_with_adjacent_day(cal: WorkCalendar) -> None:
    assert not cal.is_working_day(date(2026, 9, 1)) and not cal.is_working_day(date(2026, 9, 2))
    assert not cal.is_working_day(date(2027, 9, 2)) and not cal.is_working_day(date(2027, 9, 3))
    # 2026: 31/8 is swapped off too (made up on Saturday 22/8), so Friday 28/8 + 1 -> Thursday 3/9
    assert cal.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)


def test_holiday_on_sunday_moves_to_monday(cal: WorkCalendar) -> None:
    # Giỗ Tổ 2026 = Sunday 26/4 -> Monday 27/4 is off.
    assert cal.day_off(date(2026, 4, 26)).reason == OffReason.HOLIDAY  # type: ignore[union-attr]
    off = cal.day_off(date(2026, 4, 27))
    assert off is not None and "observed" in off.name
    assert cal.is_working_day(date(2026, 4, 28))


def test_make_up_saturday_is_a_working_day(cal: WorkCalendar) -> None:
    assert cal.is_working_day(date(2025, 4, 26)) and cal.is_working_day(date(2026, 8, 22))
    assert cal.day_off(date(2025, 4, 19)).reason == OffReason.WEEKEND  # type: ignore[union-attr]
    # Friday 21/8/2026 + 1 working day = the make-up Saturday
    assert cal.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)


def test_cultural_day_from_2026_only(cal: WorkCalendar) -> None:
    assert cal.is_working_day(date(2025, 11, 24))
    assert not cal.is_working_day(date(2026, 11, 24))


def test_config_announcements_win() -> None:
    cal = WorkCalendar(extra_off={date(2027, 2, 11): "Nghỉ Tết (hoán đổi)"}, extra_work={date(2027, 2, 20): "Làm bù"})
    off = cal.day_off(date(2027, 2, 11))
    assert off is not None and off.reason == OffReason.ANNOUNCED
    assert cal.is_working_day(date(2027, 2, 20))  # a Saturday made a working day
    assert cal.add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 12)
    with pytest.raises(ValueError):
        WorkCalendar(extra_off={date(2027, 1, 4): "x"}, extra_work={date(2027, 1, 4): "y"})


def test_arithmetic_both_ways(cal: WorkCalendar) -> None:
    monday = date(2026, 3, 2)
    assert cal.add_working_days(monday, 0) == monday
    assert cal.add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 9)  # Saturday -> next Monday
    assert cal.add_working_days(monday, 5) == date(2026, 3, 9)
    assert cal.add_working_days(date(2026, 3, 9), -5) == monday
    assert cal.working_days_between(monday, date(2026, 3, 16)) == 10
    assert cal.working_days_between(date(2026, 3, 16), monday) == -10
