"""The statistics as a spreadsheet (openpyxl): a summary sheet, then counts by category and by kind.

Kept apart from the computation so the CLI table and the XLSX show the same
rows (`summary_rows`), and so the scheduler can write the file for a reminder
without the CLI.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from handlers import texts_reports as tr
from scheduler.stats import Period, UnitStats, category_name, kind_name, province_stats, total, unit_stats

__all__ = ["summary_rows", "write_xlsx", "title_for", "stats_for"]

Row = tuple[str | int | float | None, ...]


def _row(s: UnitStats, name: str | None = None) -> Row:
    return (name or s.unit_name, s.received, s.taken, s.answered, s.on_time, s.overdue, s.rated, s.mean_rating,
            s.satisfied)


def summary_rows(rows: list[UnitStats]) -> list[Row]:
    """The header, one row per unit and, for several units, the province's total."""
    out: list[Row] = [tr.STATS_HEADER, *(_row(s) for s in rows)]
    if len(rows) > 1:
        out.append(_row(total(rows), tr.STATS_TOTAL))
    return out


def _counts(counter: Counter[str], name: Callable[[str], str]) -> list[Row]:
    return [(name(code), n) for code, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


def write_xlsx(path: Path, rows: list[UnitStats], title: str) -> Path:
    """Write the workbook atomically (a reader never sees half a file); returns `path`."""
    wb = Workbook()
    ws = wb.active
    ws.title = tr.STATS_SHEET_SUMMARY
    ws.append((title,))
    ws["A1"].font = Font(bold=True)
    for row in summary_rows(rows):
        ws.append(row)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 60
    whole = total(rows)
    for sheet, header, counter, name in ((tr.STATS_SHEET_CATEGORY, tr.STATS_CATEGORY_HEADER, whole.by_category,
                                          category_name),
                                         (tr.STATS_SHEET_KIND, tr.STATS_KIND_HEADER, whole.by_kind, kind_name)):
        sub = wb.create_sheet(sheet)
        sub.append(header)
        for cell in sub[1]:
            cell.font = Font(bold=True)
        for row in _counts(counter, name):
            sub.append(row)
        sub.column_dimensions["A"].width = 45
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def title_for(rows: list[UnitStats], period: Period, unit_id: str | None) -> str:
    first, last = period.first.strftime("%d/%m/%Y"), period.last.strftime("%d/%m/%Y")
    if unit_id is not None:
        return tr.STATS_TITLE_UNIT.format(unit=rows[0].unit_name, period=period.code, first=first, last=last)
    return tr.STATS_TITLE_PROVINCE.format(period=period.code, first=first, last=last)


def stats_for(session: Session, period: Period, unit_id: str | None, *, now: datetime,
              tz: ZoneInfo) -> list[UnitStats]:
    """One unit's row, or the province's table (unit_id None)."""
    if unit_id is not None:
        return [unit_stats(session, unit_id, period, now=now, tz=tz)]
    return province_stats(session, period, now=now, tz=tz)
