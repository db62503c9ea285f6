"""The statistics workbook attached to the FIRST reminder of a reporting duty.

A unit's report duty gets that unit's numbers for the period; Home Affairs'
consolidated duty gets the province-wide table. The workbook is written when
the reminder is dispatched (so it holds the numbers of that day) into
var/reports/generated/, and the reminder's outbox rows carry it as an
OutboundDocument. Writing a workbook costs ~20 ms, so a tick writes at most
WORKBOOKS_PER_TICK of them; the other first reminders wait for the next tick
(they stay pending, nothing is lost or sent without its file).
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.base import OutboundDocument
from bot.tickets.notify import notify_unit
from handlers import texts_reports as tr
from scheduler.models import Obligation, Reminder, SubjectKind
from scheduler.reminders import CHUNK
from scheduler.report_files import generated_dir
from scheduler.stats import REPORT_DUTY, parse_period
from scheduler.stats_xlsx import stats_for, title_for, write_xlsx

__all__ = ["WITH_STATS", "WORKBOOKS_PER_TICK", "never_sent", "workbook_for", "notify_with_document"]

CONSOLIDATED_DUTY = "consolidated"
WITH_STATS = {REPORT_DUTY: "unit", CONSOLIDATED_DUTY: "province"}  # duty key -> whose numbers
WORKBOOKS_PER_TICK = 50


def never_sent(session: Session, subject_ids: set[str]) -> set[str]:
    """The obligations (ids as text) none of whose reminders has been sent yet."""
    listed, sent = sorted(subject_ids), set()
    for start in range(0, len(listed), CHUNK):
        sent |= set(session.scalars(select(Reminder.subject_id).where(
            Reminder.subject_kind == SubjectKind.OBLIGATION, Reminder.subject_id.in_(listed[start:start + CHUNK]),
            Reminder.sent_count > 0)))
    return subject_ids - sent


def workbook_for(session: Session, o: Obligation, *, now: datetime, tz: ZoneInfo) -> OutboundDocument | None:
    """Write the duty's statistics workbook; None for duties without numbers (programme milestones)."""
    scope = WITH_STATS.get(o.duty)
    if scope is None:
        return None
    try:
        period = parse_period(o.period)
    except ValueError:
        return None
    unit_id = o.unit_id if scope == "unit" else None
    rows = stats_for(session, period, unit_id, now=now, tz=tz)
    name = f"thong-ke-{unit_id or 'toan-tinh'}-{o.period}.xlsx"
    path = write_xlsx(generated_dir() / f"{o.id}-{name}", rows, title_for(rows, period, unit_id))
    return OutboundDocument(str(path), name)


def notify_with_document(session: Session, unit_id: str, text: str, document: OutboundDocument, *,
                         now: datetime) -> int:
    """notify_unit with the workbook: every chat of the unit gets the file and the reminder."""
    text = f"{text}\n{tr.DUTY_STATS_NOTE.format(file=document.name)}"
    return notify_unit(session, unit_id, text, now=now, documents=(document,))
