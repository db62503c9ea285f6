"""Keeping a copy of every submitted report file: downloaded after the submission committed.

The handler records the platform's file id in the submission's transaction
(no network inside a transaction); the fetcher, run beside the outbox sender by
`serve`, downloads the files not yet on disk through the channel adapter's
`fetch_file(file_id) -> bytes` and writes them atomically to
`<reports dir>/<obligation id>/<submission id>-<file name>`. The path is a
function of the row, so "stored" is "the file exists": a crash before the
rename means a second download, never a half file. Woken after every processed
update (the runtime's outbox listeners), and polling as a fallback.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import sleep_unless, wait_for_wake
from scheduler.models import ReportSubmission

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["reports_dir", "generated_dir", "stored_path", "fetch_pending", "FileFetcher", "Fetch"]

log = logging.getLogger(__name__)
Fetch = Callable[[str], Awaitable[bytes]]
ROOT = Path(__file__).resolve().parents[1]
LOOKBACK = timedelta(days=30)  # older submissions whose download kept failing are left to an operator
POLL_SECONDS = 60.0
COALESCE_SECONDS = 1.0  # after a wake-up, updates of the next second are looked at together
_UNSAFE = re.compile(r"[^\w.\-]+")


def reports_dir() -> Path:
    """Where report files live: PHANANH_REPORTS_DIR, default var/reports in the project."""
    return Path(os.environ.get("PHANANH_REPORTS_DIR") or ROOT / "var" / "reports")


def generated_dir() -> Path:
    """The statistics workbooks the scheduler attaches to reminders."""
    return reports_dir() / "generated"


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._")[:100] or "bao-cao"


def stored_path(root: Path, row: ReportSubmission) -> Path:
    return root / str(row.obligation_id) / f"{row.id}-{_safe(row.file_name or row.file_id or '')}"


@dataclass(frozen=True, slots=True)
class _Pending:
    id: int
    channel: str
    file_id: str
    path: Path


def _pending(factory: sessionmaker[Session], root: Path, channels: set[str], now: datetime) -> list[_Pending]:
    with factory() as session:
        rows = session.scalars(select(ReportSubmission).where(
            ReportSubmission.file_id.is_not(None), ReportSubmission.channel.in_(channels),
            ReportSubmission.submitted_at >= now - LOOKBACK).order_by(ReportSubmission.id))
        out = [_Pending(r.id, r.channel, r.file_id or "", stored_path(root, r)) for r in rows]
    return [p for p in out if not p.path.exists()]


async def fetch_pending(factory: sessionmaker[Session], fetchers: Mapping[str, Fetch], root: Path,
                        now: datetime) -> int:
    """Download every submitted file not yet on disk; returns how many were stored. Failures wait for next time."""
    stored = 0
    for item in await asyncio.to_thread(_pending, factory, root, set(fetchers), now):
        try:
            content = await fetchers[item.channel](item.file_id)
        except Exception as exc:  # noqa: BLE001 - a failed download is retried on the next round
            log.warning("report file download failed submission=%s error=%r", item.id, exc)
            continue
        await asyncio.to_thread(_write, item.path, content)
        log.info("report file stored submission=%s path=%s bytes=%d", item.id, item.path, len(content))
        stored += 1
    return stored


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(content)
    tmp.replace(path)


class FileFetcher:
    """Runs `fetch_pending` when woken (after each processed update) or every POLL_SECONDS."""

    def __init__(self, runtime: Runtime, fetchers: Mapping[str, Fetch], root: Path | None = None) -> None:
        self.runtime, self.fetchers, self.root = runtime, dict(fetchers), root or reports_dir()
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.stored = 0

    def wake(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._event.set)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self.runtime.add_outbox_listener(self.wake)
        try:
            while not stop.is_set():
                self._event.clear()
                try:
                    self.stored += await fetch_pending(self.runtime.session_factory, self.fetchers, self.root,
                                                       self.runtime.clock.now())
                except Exception:  # the database is away: try again on the next wake
                    log.exception("report file fetch round failed")
                await wait_for_wake(self._event, stop, POLL_SECONDS)
                if self._event.is_set():  # a burst of updates: one look for all of them, not one each
                    await sleep_unless(stop, COALESCE_SECONDS)
        finally:
            self.runtime.remove_outbox_listener(self.wake)
