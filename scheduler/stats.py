"""The numbers a unit's report needs, computed from the tickets, and the province-wide table.

A period code ("2026-H1", "2026") means the data window that config/obligations.yaml
gives the unit's report duty (Nghị định 09/2019: 15/12 of the previous year to 14/6,
or to 14/12), so the spreadsheet attached to a reminder and `phananh report stats`
always count the same tickets as the report they serve. A ticket counts for the unit
that leads it now (a transfer moves it) and for the period in which it was received.

Definitions (one place, so the CLI, the XLSX and the tests agree):
- received: tickets created in the window;
- taken: of those, taken by an official or answered;
- answered / on time: answered at all / answered no later than the due time;
- overdue: still open (not answered, refused or closed) and past due at `as_of`
  (the end of the window, or now if the window is still running);
- satisfaction: ratings given (1–5), their mean, and how many were 4 or 5.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Ticket, Unit
from nlp.labels import CATEGORY_NAMES, KIND_NAMES, Category, Kind
from scheduler.obligations import DutyConfig, default_duties
from scheduler.reminders import OPEN_TICKET_STATES

__all__ = ["Period", "UnitStats", "parse_period", "unit_stats", "province_stats", "SATISFIED_FROM", "REPORT_DUTY"]

REPORT_DUTY = "report"  # the duty whose data window defines a period (config/obligations.yaml)
SATISFIED_FROM = 4      # a rating of 4 or 5 counts as satisfied


@dataclass(frozen=True, slots=True)
class Period:
    code: str
    first: date  # inclusive, local dates
    last: date

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in aware datetimes: the window's first local midnight to the day after its last."""
        return (datetime.combine(self.first, time(0), tzinfo=tz),
                datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=tz))


def parse_period(code: str, config: DutyConfig | None = None) -> Period:
    """"2026-H1" or "2026" -> the data window of the report duty for that period."""
    cfg = config or default_duties()
    year_text, _, suffix = code.partition("-")
    year, suffix = int(year_text), suffix or "Y"
    duty = next(d for d in cfg.duties if d.key == REPORT_DUTY)
    for p in duty.periods:
        if p.suffix == suffix and p.data_from and p.data_to:
            fm, fd = (int(x) for x in p.data_from.split("-"))
            tm, td = (int(x) for x in p.data_to.split("-"))
            return Period(code, date(year - 1 if p.from_previous_year else year, fm, fd), date(year, tm, td))
    raise ValueError(f"unknown period {code!r} (known: " + ", ".join(
        f"{year}-{p.suffix}" if p.suffix != "Y" else str(year) for p in duty.periods) + ")")


@dataclass
class UnitStats:
    unit_id: str
    unit_name: str
    received: int = 0
    taken: int = 0
    answered: int = 0
    on_time: int = 0
    overdue: int = 0
    rated: int = 0
    rating_sum: int = 0
    satisfied: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)

    @property
    def mean_rating(self) -> float | None:
        return round(self.rating_sum / self.rated, 2) if self.rated else None

    def add(self, t: Ticket, as_of: datetime) -> None:
        self.received += 1
        self.taken += t.taken_by_id is not None or t.answered_at is not None
        if t.answered_at is not None:
            self.answered += 1
            self.on_time += t.answered_at <= t.due_at
        elif t.state in OPEN_TICKET_STATES and t.due_at < as_of:
            self.overdue += 1
        if t.rating is not None:
            self.rated += 1
            self.rating_sum += t.rating
            self.satisfied += t.rating >= SATISFIED_FROM
        self.by_category[t.category] += 1
        self.by_kind[t.kind] += 1


def category_name(code: str) -> str:
    try:
        return CATEGORY_NAMES[Category(code)]
    except ValueError:
        return code


def kind_name(code: str) -> str:
    try:
        return KIND_NAMES[Kind(code)]
    except ValueError:
        return code


def _tickets(session: Session, period: Period, tz: ZoneInfo, unit_id: str | None) -> list[Ticket]:
    start, end = period.bounds(tz)
    query = select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end).order_by(Ticket.id)
    if unit_id is not None:
        query = query.where(Ticket.lead_unit_id == unit_id)
    return list(session.scalars(query))


def unit_stats(session: Session, unit_id: str, period: Period, *, now: datetime, tz: ZoneInfo) -> UnitStats:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise ValueError(f"unknown unit {unit_id!r}")
    as_of = min(now, period.bounds(tz)[1])
    stats = UnitStats(unit.id, unit.name)
    for t in _tickets(session, period, tz, unit_id):
        stats.add(t, as_of)
    return stats


def province_stats(session: Session, period: Period, *, now: datetime, tz: ZoneInfo) -> list[UnitStats]:
    """One row per active unit (units without tickets show zeros), in config order of ids."""
    as_of = min(now, period.bounds(tz)[1])
    rows = {u.id: UnitStats(u.id, u.name) for u in session.scalars(
        select(Unit).where(Unit.active.is_(True)).order_by(Unit.id))}
    for t in _tickets(session, period, tz, None):
        if t.lead_unit_id not in rows:  # a unit since deactivated still owns its tickets
            unit = session.get(Unit, t.lead_unit_id)
            rows[t.lead_unit_id] = UnitStats(t.lead_unit_id, unit.name if unit else t.lead_unit_id)
        rows[t.lead_unit_id].add(t, as_of)
    return list(rows.values())


def total(rows: list[UnitStats]) -> UnitStats:
    out = UnitStats("", "")
    for r in rows:
        for name in ("received", "taken", "answered", "on_time", "overdue", "rated", "rating_sum", "satisfied"):
            setattr(out, name, getattr(out, name) + getattr(r, name))
        out.by_category.update(r.by_category)
        out.by_kind.update(r.by_kind)
    return out


def default_output(root: Path, period: str, unit_id: str | None) -> Path:
    return root / f"thong-ke-{unit_id or 'toan-tinh'}-{period}.xlsx"
