"""Reporting duties and programme milestones: planned per unit and period, submitted through the bot.

`plan_year` turns config/obligations.yaml into Obligation rows (unique per
duty, period and unit) and their reminder ladders in bulk, so a year for
1,000 units is a few statements. `submit` records who submitted what and
when, stops that unit's reminders and tells the receiving unit — one
transaction, like every state change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.db import InsertIgnoring, transaction
from bot.models import Official, Unit
from bot.tickets.cards import format_date, format_time, unit_name, unit_short
from bot.tickets.notify import notify_unit
from handlers import texts_reports as tr
from scheduler.deadlines import Deadlines
from scheduler.models import Obligation, ObligationStatus, RecipientKind, Reminder, ReportSubmission, SubjectKind
from scheduler.reminders import CHUNK, PlannedReminder, Step, cancel_subject, insert_reminders

__all__ = ["Duty", "DutyPeriod", "load_duties", "plan_year", "submit", "duty_digest", "open_duties",
           "OBLIGATIONS_PATH"]

OBLIGATIONS_PATH = Path(__file__).resolve().parents[1] / "config" / "obligations.yaml"


@dataclass(frozen=True, slots=True)
class DutyPeriod:
    suffix: str
    due: str
    data_from: str | None
    data_to: str | None
    from_previous_year: bool


@dataclass(frozen=True, slots=True)
class Duty:
    key: str
    title: str
    periods: tuple[DutyPeriod, ...]
    who: dict[str, Any]
    to: str


@dataclass(frozen=True, slots=True)
class DutyConfig:
    duties: tuple[Duty, ...]
    before: tuple[int, ...]
    on_due_day: bool
    overdue_every: int
    digest_before: int
    digest_after: int


def load_duties(path: Path = OBLIGATIONS_PATH) -> DutyConfig:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    rem = raw.get("reminders") or {}
    duties = tuple(Duty(key, spec["title"], tuple(
        DutyPeriod(str(p["period"]), str(p["due"]), p.get("data_from"), p.get("data_to"),
                   bool(p.get("data_from_previous_year", False))) for p in spec["periods"]),
        dict(spec.get("who") or {}), str(spec["to"])) for key, spec in (raw.get("duties") or {}).items())
    return DutyConfig(duties, tuple(sorted({int(d) for d in rem.get("before_working_days", (7, 3, 1))}, reverse=True)),
                      bool(rem.get("on_due_day", True)), int(rem.get("overdue_every_working_days", 1)),
                      int(rem.get("digest_before_working_days", 3)), int(rem.get("digest_after_working_days", 1)))


@lru_cache(maxsize=1)
def default_duties() -> DutyConfig:
    return load_duties()


def _md(year: int, text: str) -> date:
    month, day = (int(x) for x in text.split("-"))
    return date(year, month, day)


def _matches(unit: Unit, who: dict[str, Any]) -> bool:
    roles = set(unit.roles or ())
    if roles & set(who.get("exclude_roles", ())):
        return False
    return bool(who.get("all") or roles & set(who.get("roles", ())) or unit.kind in who.get("kinds", ())
                or unit.id in who.get("ids", ()))


def _recipient(units: list[Unit], to: str) -> str:
    for unit in units:
        if to in (unit.roles or ()):
            return unit.id
    return to


_INSERT_OBLIGATIONS = InsertIgnoring(Obligation.__table__, index_elements=["duty", "period", "unit_id"])


def _insert_obligations(session: Session, rows: list[dict[str, Any]]) -> None:
    connection = session.connection()
    for start in range(0, len(rows), CHUNK):
        connection.execute(_INSERT_OBLIGATIONS.on(connection), rows[start:start + CHUNK])


def plan_year(factory: sessionmaker[Session], clock: Clock, dl: Deadlines, year: int,
              config: DutyConfig | None = None) -> int:
    """Every duty of `year` for every unit that owes it, with reminders; idempotent. Returns obligations seen."""
    cfg, now = config or default_duties(), clock.now()
    with transaction(factory) as session:
        units = list(session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)))
        rows: list[dict[str, Any]] = []
        for duty in cfg.duties:
            to = _recipient(units, duty.to)
            for p in duty.periods:
                due = dl.at(dl.calendar.next_working_day(_md(year, p.due)), dl.office.due_time)
                start = _md(year - 1 if p.from_previous_year else year, p.data_from) if p.data_from else None
                end = _md(year, p.data_to) if p.data_to else None
                period = f"{year}-{p.suffix}" if p.suffix != "Y" else str(year)
                rows += [{"duty": duty.key, "period": period, "unit_id": u.id, "to_unit_id": to, "title": duty.title,
                          "data_from": start, "data_to": end, "due_at": due, "status": ObligationStatus.OPEN.value,
                          "submitted_at": None, "late": False, "created_at": now}
                         for u in units if _matches(u, duty.who)]
        _insert_obligations(session, rows)
        years = {str(year)} | {f"{year}-{p.suffix}" for d in cfg.duties for p in d.periods}
        obligations = list(session.scalars(select(Obligation).where(Obligation.period.in_(years),
                                                                    Obligation.status == ObligationStatus.OPEN)))
        planned: list[PlannedReminder] = []
        digests: dict[tuple[str, str], Obligation] = {}
        for o in obligations:
            planned += _ladder(o, dl, cfg, now)
            digests.setdefault((o.duty, o.period), o)
        for (duty, period), o in digests.items():
            due_day = dl.local_date(o.due_at)
            for step, day in (("before", dl.calendar.add_working_days(due_day, -cfg.digest_before)),
                              ("after", dl.calendar.add_working_days(due_day, cfg.digest_after))):
                at = dl.at(day, dl.office.remind_time)
                planned.append(PlannedReminder(SubjectKind.DIGEST, f"duty:{duty}:{period}", RecipientKind.UNIT,
                                               o.to_unit_id, step, o.to_unit_id, o.due_at, at))
        insert_reminders(session, planned, now)
        return len(obligations)


def _ladder(o: Obligation, dl: Deadlines, cfg: DutyConfig, now: datetime) -> list[PlannedReminder]:
    due_day, sid = dl.local_date(o.due_at), str(o.id)

    def one(step: str, day: date, repeat: int = 0) -> PlannedReminder:
        return PlannedReminder(SubjectKind.OBLIGATION, sid, RecipientKind.UNIT, o.unit_id, step, o.unit_id,
                               o.due_at, dl.at(day, dl.office.remind_time), repeat)

    out = [one(Step.before(k), dl.calendar.add_working_days(due_day, -k)) for k in cfg.before]
    if cfg.on_due_day:
        out.append(one(Step.DUE, due_day))
    out.append(one(Step.OVERDUE, dl.calendar.add_working_days(due_day, 1), cfg.overdue_every))
    return out


def open_duties(session: Session, unit_id: str) -> list[Obligation]:
    return list(session.scalars(select(Obligation).where(
        Obligation.unit_id == unit_id, Obligation.status == ObligationStatus.OPEN).order_by(Obligation.due_at)))


def submit(session: Session, obligation: Obligation, *, official: Official | None, channel: str, now: datetime,
           file_id: str | None = None, file_name: str | None = None, doc_number: str | None = None) -> ReportSubmission:
    """Record a submission, stop the unit's reminders for it, tell the receiving unit."""
    late = now > obligation.due_at
    row = ReportSubmission(obligation_id=obligation.id, unit_id=obligation.unit_id,
                           official_id=official.id if official else None, channel=channel, file_id=file_id,
                           file_name=file_name, doc_number=doc_number, late=late, submitted_at=now)
    session.add(row)
    if obligation.status == ObligationStatus.OPEN:
        obligation.status, obligation.submitted_at, obligation.late = ObligationStatus.SUBMITTED, now, late
    cancel_subject(session, SubjectKind.OBLIGATION, str(obligation.id))
    what = tr.SUBMIT_WHAT_FILE.format(name=file_name or file_id) if file_id else tr.SUBMIT_WHAT_DOC.format(doc=doc_number)
    notify_unit(session, obligation.to_unit_id, tr.SUBMIT_NOTICE.format(
        unit=unit_name(session, obligation.unit_id), title=obligation.title, period=obligation.period,
        at=format_time(now), late=tr.SUBMIT_NOTICE_LATE if late else "", what=what), now=now)
    return row


def duty_digest(session: Session, reminder: Reminder, now: datetime) -> str | None:
    """Home Affairs' view of one duty and period: who submitted, who has not, who was late."""
    _, duty, period = reminder.subject_id.split(":", 2)
    rows = list(session.scalars(select(Obligation).where(Obligation.duty == duty, Obligation.period == period)
                                .order_by(Obligation.unit_id)))
    if not rows:
        return None
    done = [o for o in rows if o.status == ObligationStatus.SUBMITTED]
    missing = [o for o in rows if o.status == ObligationStatus.OPEN]
    late = [o for o in done if o.late]
    when = tr.DIGEST_DUTY_AFTER if now > rows[0].due_at else tr.DIGEST_DUTY_BEFORE
    parts = [tr.DIGEST_DUTY_HEAD.format(title=rows[0].title, period=period, due=format_date(rows[0].due_at), when=when)
             + tr.DIGEST_DUTY_COUNTS.format(done=len(done), late=len(late), missing=len(missing))]
    for head, items in ((tr.DIGEST_DUTY_MISSING, missing), (tr.DIGEST_DUTY_LATE, late)):
        if items:
            names = [unit_short(session, o.unit_id) for o in items]
            parts.append(head + " " + ", ".join(names[:40]) + (f" {tr.DIGEST_MORE.format(n=len(names) - 40)}"
                                                                 if len(names) > 40 else ""))
    return "\n".join(parts)
