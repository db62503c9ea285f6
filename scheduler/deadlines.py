"""Ticket deadlines from config/deadlines.yaml, counted on the working-day calendar.

Filing, a transfer (the new unit's clock starts) and a reopening all ask
`Deadlines.for_ticket(kind, start)`; the rule table is data, so the province
can change a target without touching code.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from scheduler.calendar import WorkCalendar, default_calendar

__all__ = ["Count", "Span", "Rule", "Office", "Ladder", "Deadlines", "TicketDeadlines", "load_deadlines",
           "default_deadlines", "DEADLINES_PATH"]

DEADLINES_PATH = Path(__file__).resolve().parents[1] / "config" / "deadlines.yaml"
DEFAULT_TZ = "Asia/Ho_Chi_Minh"


class Count(enum.StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


@dataclass(frozen=True, slots=True)
class Span:
    days: int
    count: Count

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Span:
        return cls(int(raw["days"]), Count(raw.get("count", "working")))


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    take: Span
    answer: Span  # the one enforced (law or province, per `apply`)


@dataclass(frozen=True, slots=True)
class Office:
    remind_time: time
    due_time: time
    late_after: timedelta


@dataclass(frozen=True, slots=True)
class Ladder:
    before: tuple[int, ...]
    on_due_day: bool
    overdue_every: int


@dataclass(frozen=True, slots=True)
class TicketDeadlines:
    take_at: datetime
    answer_at: datetime


def _hm(text: str) -> time:
    hour, minute = str(text).split(":")
    return time(int(hour), int(minute))


@dataclass
class Deadlines:
    calendar: WorkCalendar
    rules: dict[str, Rule]
    office: Office
    ladder: Ladder
    tz: ZoneInfo

    def due_date(self, start: date, span: Span) -> date:
        """The last day of `span` counted from the day after `start`."""
        if span.count == Count.WORKING:
            return self.calendar.add_working_days(start, span.days)
        return self.calendar.next_working_day(start + timedelta(days=span.days))

    def at(self, day: date, when: time) -> datetime:
        """A local wall-clock time on `day`, as an aware datetime."""
        return datetime.combine(day, when, tzinfo=self.tz)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def rule(self, kind: str) -> Rule:
        return self.rules.get(kind) or self.rules["phan_anh_kien_nghi"]

    def for_ticket(self, kind: str, start: datetime) -> TicketDeadlines:
        rule, day = self.rule(kind), self.local_date(start)
        return TicketDeadlines(take_at=self.at(self.due_date(day, rule.take), self.office.due_time),
                               answer_at=self.at(self.due_date(day, rule.answer), self.office.due_time))

    def next_office_morning(self, after: datetime, every: int = 1) -> datetime:
        """The reminder time `every` working days after the local day of `after`."""
        return self.at(self.calendar.add_working_days(self.local_date(after), every), self.office.remind_time)


def load_deadlines(path: Path = DEADLINES_PATH, calendar: WorkCalendar | None = None,
                   timezone: str = DEFAULT_TZ) -> Deadlines:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules: dict[str, Rule] = {}
    for kind, spec in (raw.get("rules") or {}).items():
        apply = spec.get("apply", "law")
        if apply not in ("law", "province"):
            raise ValueError(f"deadlines.yaml: {kind}.apply must be law or province, not {apply!r}")
        answer = spec["province_answer"] if apply == "province" else spec["answer"]
        rules[kind] = Rule(kind, Span.parse(spec["take"]), Span.parse(answer))
    if "phan_anh_kien_nghi" not in rules:
        raise ValueError("deadlines.yaml needs a rule for phan_anh_kien_nghi (the default)")
    office_raw, ladder_raw = raw.get("office") or {}, raw.get("reminders") or {}
    office = Office(_hm(office_raw.get("remind_time", "08:00")), _hm(office_raw.get("due_time", "17:00")),
                    timedelta(minutes=int(office_raw.get("late_after_minutes", 60))))
    ladder = Ladder(tuple(sorted({int(k) for k in ladder_raw.get("before_working_days", (3, 1))}, reverse=True)),
                    bool(ladder_raw.get("on_due_day", True)), int(ladder_raw.get("overdue_every_working_days", 1)))
    return Deadlines(calendar or default_calendar(), rules, office, ladder, ZoneInfo(timezone))


@lru_cache(maxsize=4)
def default_deadlines(timezone: str = DEFAULT_TZ) -> Deadlines:
    return load_deadlines(timezone=timezone)
