"""`phananh bench scheduler`: planning a year for N units, a tick with 10,000 due rows, an idle tick."""
from __future__ import annotations

import os
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from bot.clock import FixedClock
from bot.db import make_engine, make_session_factory, transaction
from bot.migrate import upgrade
from bot.models import GroupLink, Unit
from scheduler.deadlines import default_deadlines
from scheduler.digests import render_digest
from scheduler.dispatch import tick
from scheduler.models import Reminder, ReminderStatus
from scheduler.obligations import plan_year
from scheduler.report_attach import WORKBOOKS_PER_TICK

__all__ = ["run_bench"]

PLAN_AT = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
TICK_AT = datetime(2026, 6, 22, 2, 0, tzinfo=UTC)


def run_bench(*, units: int, due: int, url: str | None = None) -> dict[str, Any]:
    tmp = tempfile.TemporaryDirectory(prefix="phananh-bench-")
    own_dir = "PHANANH_REPORTS_DIR" not in os.environ
    if own_dir:  # the workbooks attached to first reminders go away with the bench
        os.environ["PHANANH_REPORTS_DIR"] = str(Path(tmp.name) / "reports")
    url = url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    dl = default_deadlines()
    try:
        with transaction(factory) as s:
            for n in range(units):
                s.add(Unit(id=f"bench_{n:05d}", name=f"Đơn vị {n}", short=f"ĐV {n}", kind="ubnd_xa", level="xa",
                           commune=None, roles=[], active=True))
            s.add(Unit(id="bench_noi_vu", name="Sở Nội vụ", short="SNV", kind="so_nganh", level="tinh",
                       commune=None, roles=["home_affairs"], active=True))
            s.flush()
            for n in range(units):
                s.add(GroupLink(channel="telegram", chat_id=f"-{n + 1}", unit_id=f"bench_{n:05d}", active=True,
                                linked_at=PLAN_AT))
        t0 = time.perf_counter()
        obligations = plan_year(factory, FixedClock(PLAN_AT), dl, 2026)
        planning = time.perf_counter() - t0
        with transaction(factory) as s:  # make exactly `due` pending rows due now (one per subject)
            ids = list(s.scalars(select(Reminder.id).where(Reminder.step.in_(("before_1", "due"))).limit(due)))
            s.execute(update(Reminder).where(Reminder.id.in_(ids[:30000])).values(remind_at=TICK_AT))
            rows = s.scalar(select(func.count()).select_from(Reminder)) or 0
        clock = FixedClock(TICK_AT)
        t0 = time.perf_counter()
        result = tick(factory, clock, dl, digests=render_digest)
        busy = time.perf_counter() - t0
        # first reminders of report duties wait for their workbook (WORKBOOKS_PER_TICK a tick): drain them
        t0, drain_ticks = time.perf_counter(), 0
        while drain_ticks < 1000 and tick(factory, clock, dl, digests=render_digest).sent:
            drain_ticks += 1
        drain = time.perf_counter() - t0
        idle_times = []
        for _ in range(20):
            t0 = time.perf_counter()
            tick(factory, clock, dl, digests=render_digest)
            idle_times.append(time.perf_counter() - t0)
        with factory() as s:
            left = s.scalar(select(func.count()).select_from(Reminder).where(
                Reminder.status == ReminderStatus.PENDING, Reminder.remind_at <= TICK_AT)) or 0
    finally:
        engine.dispose()
        tmp.cleanup()
        if own_dir:
            del os.environ["PHANANH_REPORTS_DIR"]
    return {"units": units, "obligations": obligations, "reminder_rows": rows, "planning_s": round(planning, 3),
            "tick_due": len(ids), "tick_sent": result.sent, "tick_outbox_rows": result.outbox_rows,
            "tick_s": round(busy, 3), "drain_ticks": drain_ticks, "drain_s": round(drain, 3),
            "workbooks_per_tick": WORKBOOKS_PER_TICK, "idle_tick_ms_median": round(sorted(idle_times)[len(idle_times) // 2] * 1000, 2),
            "left_due_after_tick": left,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "targets": {"planning_s": 5, "tick_s": 5, "idle_tick_ms": 10}}
