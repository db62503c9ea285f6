"""`phananh calendar add/check`, `phananh schedule preview`, `phananh report stats`, `phananh bench scheduler`."""
from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime, time, timedelta

from handlers import texts_reports as tr

__all__ = ["register", "register_bench"]


def cmd_calendar_add(args: argparse.Namespace) -> int:
    from scheduler.calendar import default_calendar

    print(default_calendar().add_working_days(date.fromisoformat(args.date), args.n).isoformat())
    return 0


def cmd_calendar_check(args: argparse.Namespace) -> int:
    from scheduler.calendar import OffReason, default_calendar

    cal, day = default_calendar(), date.fromisoformat(args.date)
    weekday = tr.WEEKDAYS[day.weekday()]
    off = cal.day_off(day)
    if off is None:
        if day.weekday() >= 5:
            print(tr.CAL_MAKEUP.format(date=day.strftime("%d/%m/%Y"), weekday=weekday, name=cal.extra_work.get(day, "")))
        else:
            print(tr.CAL_WORKING.format(date=day.strftime("%d/%m/%Y"), weekday=weekday))
        return 0
    why = tr.CAL_WEEKEND if off.reason == OffReason.WEEKEND else tr.holiday_name(off.name)
    print(tr.CAL_OFF.format(date=day.strftime("%d/%m/%Y"), weekday=weekday, why=why))
    return 1


def cmd_schedule_preview(args: argparse.Namespace) -> int:
    """Plan (idempotently) the years in range, then print the reminder rows in range; nothing is sent."""
    from sqlalchemy import select

    from bot.clock import SystemClock
    from bot.config import Settings
    from bot.db import make_engine, make_session_factory
    from scheduler.deadlines import default_deadlines
    from scheduler.digests import plan_digests
    from scheduler.models import Reminder
    from scheduler.obligations import plan_year

    settings = Settings.from_env()
    dl = default_deadlines(settings.timezone)
    start = datetime.combine(date.fromisoformat(args.date_from), time(0), tzinfo=dl.tz)
    end = datetime.combine(date.fromisoformat(args.date_to), time(0), tzinfo=dl.tz) + timedelta(days=1)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        for year in range(start.year, end.year + 1):
            plan_year(factory, SystemClock(), dl, year)
        plan_digests(factory, SystemClock(), dl)
        with factory() as session:
            query = select(Reminder).where(Reminder.remind_at >= start, Reminder.remind_at < end) \
                .order_by(Reminder.remind_at, Reminder.id)
            if args.unit:
                query = query.where(Reminder.unit_id == args.unit)
            for r in session.scalars(query):
                item = {"due": r.due_at.astimezone(dl.tz).isoformat(), "remind_at": r.remind_at.astimezone(dl.tz).isoformat(),
                        "kind": f"{r.subject_kind.value}:{r.step.split(':')[0]}", "unit": r.unit_id,
                        "recipient": f"{r.recipient_kind.value}:{r.recipient}", "subject": r.subject_id,
                        "status": r.status.value}
                print(json.dumps(item, ensure_ascii=False) if args.jsonl else
                      f"{item['remind_at']}  {item['kind']:<28} {item['recipient']:<32} due {item['due']}")
    finally:
        engine.dispose()
    return 0


def cmd_report_stats(args: argparse.Namespace) -> int:
    """Print a unit's (or the province's) ticket statistics for a period; with --xlsx also write the workbook."""
    from pathlib import Path

    from bot.clock import SystemClock
    from bot.config import Settings
    from bot.db import make_engine, make_session_factory
    from scheduler.deadlines import default_deadlines
    from scheduler.stats import parse_period
    from scheduler.stats_xlsx import stats_for, summary_rows, title_for, write_xlsx

    try:
        period = parse_period(args.period)
    except (ValueError, StopIteration) as exc:
        print(tr.STATS_BAD_PERIOD.format(error=exc))
        return 2
    settings = Settings.from_env()
    tz = default_deadlines(settings.timezone).tz
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            try:
                rows = stats_for(session, period, args.unit, now=SystemClock().now(), tz=tz)
            except ValueError:
                print(tr.STATS_BAD_UNIT.format(unit=args.unit))
                return 2
    finally:
        engine.dispose()
    title = title_for(rows, period, args.unit)
    print(title)
    table = [[("" if v is None else str(v)) for v in row] for row in summary_rows(rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(row)))
    if args.xlsx:
        print(tr.STATS_WRITTEN.format(path=write_xlsx(Path(args.xlsx), rows, title)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = sub.add_parser("report", help="reporting: ticket statistics for a unit or the province")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    stats = report_sub.add_parser("stats", help="received/taken/answered/on time/overdue/ratings for a period")
    stats.add_argument("--unit", help="a unit id; without it: the province-wide table, one row per unit")
    stats.add_argument("--period", required=True, help="2026-H1 (15/12/2025–14/6/2026) or 2026 (annual)")
    stats.add_argument("--xlsx", help="also write the table to this XLSX file")
    stats.set_defaults(func=cmd_report_stats)

    cal = sub.add_parser("calendar", help="Viet Nam working days (holidays + config/holidays.yaml)")
    cal_sub = cal.add_subparsers(dest="calendar_command", required=True)
    add = cal_sub.add_parser("add", help="print the date N working days after DATE")
    add.add_argument("date", help="YYYY-MM-DD")
    add.add_argument("n", type=int)
    add.set_defaults(func=cmd_calendar_add)
    check = cal_sub.add_parser("check", help="is DATE a working day, and why not (exit 1 when not)")
    check.add_argument("date", help="YYYY-MM-DD")
    check.set_defaults(func=cmd_calendar_check)

    sched = sub.add_parser("schedule", help="the scheduler's planned reminders")
    sched_sub = sched.add_subparsers(dest="schedule_command", required=True)
    prev = sched_sub.add_parser("preview", help="print planned deadlines and reminders (sends nothing)")
    prev.add_argument("--from", dest="date_from", required=True)
    prev.add_argument("--to", dest="date_to", required=True)
    prev.add_argument("--unit")
    prev.add_argument("--jsonl", action="store_true")
    prev.set_defaults(func=cmd_schedule_preview)


def register_bench(bench_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = bench_sub.add_parser("scheduler", help="plan a year for N units, tick through 10,000 due reminders")
    bench.add_argument("--units", type=int, default=1000)
    bench.add_argument("--due", type=int, default=10_000)
    bench.add_argument("--database-url", help="default: a temporary SQLite file")
    bench.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from scheduler.bench import run_bench

    report = run_bench(units=args.units, due=args.due, url=args.database_url)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


_ = UTC  # (times printed in local time; UTC kept for callers that import it from here)
