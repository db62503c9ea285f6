"""Viet Nam's working days: weekends, public holidays, and what the government announces.

The law (Tết and Giỗ Tổ on the lunar calendar, observed days, swaps already
decided) comes from the pinned `holidays` package; `config/holidays.yaml` adds
the yearly announcements and always wins. Every deadline in the scheduler is
counted with `WorkCalendar`, so one calendar answers for tickets and reports.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import holidays
import yaml

__all__ = ["WorkCalendar", "DayOff", "OffReason", "load_calendar", "HOLIDAYS_PATH"]

HOLIDAYS_PATH = Path(__file__).resolve().parents[1] / "config" / "holidays.yaml"
MAX_SCAN_DAYS = 400  # a run of days off longer than this is a configuration error


class OffReason(enum.StrEnum):
    WEEKEND = "weekend"
    HOLIDAY = "holiday"      # the law, through the `holidays` package
    ANNOUNCED = "announced"  # config/holidays.yaml days_off


@dataclass(frozen=True, slots=True)
class DayOff:
    reason: OffReason
    name: str  # the package's (English) or the config's (Vietnamese) name; "" for a weekend


@dataclass
class WorkCalendar:
    """Working-day arithmetic; `extra_off` / `extra_work` are the yearly announcements."""

    extra_off: dict[date, str] = field(default_factory=dict)
    extra_work: dict[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        both = set(self.extra_off) & set(self.extra_work)
        if both:
            raise ValueError(f"dates both off and working in holidays config: {sorted(both)}")
        self._law = holidays.VN()  # expands years lazily on lookup
        self._memo: dict[date, DayOff | None] = {}

    def day_off(self, day: date) -> DayOff | None:
        """Why `day` is not a working day, or None when it is one."""
        if day in self._memo:
            return self._memo[day]
        result: DayOff | None
        if day in self.extra_work:
            result = None
        elif day in self.extra_off:
            result = DayOff(OffReason.ANNOUNCED, self.extra_off[day])
        elif day in self._law:
            result = DayOff(OffReason.HOLIDAY, str(self._law.get(day)))
        elif day.weekday() >= 5 and day not in getattr(self._law, "weekend_workdays", ()):
            result = DayOff(OffReason.WEEKEND, "")
        else:
            result = None
        self._memo[day] = result
        return result

    def is_working_day(self, day: date) -> bool:
        return self.day_off(day) is None

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year: check config/holidays.yaml")

    def add_working_days(self, start: date, n: int) -> date:
        """The date `n` working days after `start` (`start` not counted); negative `n` goes back.

        n == 0 gives `start` when it is a working day, else the next one.
        """
        if n == 0:
            return self.next_working_day(start)
        step = 1 if n > 0 else -1
        day, left, scanned = start, abs(n), 0
        while left:
            day += timedelta(days=step)
            scanned += 1
            if scanned > abs(n) + MAX_SCAN_DAYS:
                raise ValueError("working-day arithmetic ran away: check config/holidays.yaml")
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when `end` is before `start`."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for k in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=k)))


def _dates(items: list[dict] | None) -> dict[date, str]:
    out: dict[date, str] = {}
    for item in items or ():
        day = item["date"] if isinstance(item["date"], date) else date.fromisoformat(str(item["date"]))
        out[day] = str(item.get("name", ""))
    return out


def load_calendar(path: Path = HOLIDAYS_PATH) -> WorkCalendar:
    raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    return WorkCalendar(extra_off=_dates(raw.get("days_off")), extra_work=_dates(raw.get("working_days")))


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """The calendar of config/holidays.yaml, loaded once per process."""
    return load_calendar()
