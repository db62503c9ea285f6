"""The units' names, short names and the overseer, read once per process instead of once per update.

Units change only through `phananh seed` (config/units.yaml), never through the
bot, and a card or a reply only shows their names, so a per-process copy is
safe: it is reloaded after UNIT_CACHE_SECONDS (a re-seed by another process
shows within a minute in a running bot), and at once when this process
commits a change to a unit (the listeners at the end of this module). It is keyed by the database URL, so two
databases in one process (tests) never share it. Routing and rights never read
this cache: they use the ticket's stored unit ids.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.models import GroupLink, Official, Unit

__all__ = ["UnitDirectory", "unit_directory", "invalidate_units", "cached_unit_chats", "mark_links_changing",
           "invalidate_unit_chats", "UNIT_CACHE_SECONDS", "CHATS_CACHE_SECONDS"]

UNIT_CACHE_SECONDS = 60.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class UnitDirectory:
    names: dict[str, tuple[str, str]]  # unit id -> (name, short name); inactive units too (old tickets)
    overseer: str | None  # the first active unit with role `overseer` (the Front), as scheduler.reminders picks it


_lock = threading.Lock()
_cache: dict[str, tuple[float, UnitDirectory]] = {}


def _load(session: Session) -> UnitDirectory:
    rows = session.execute(select(Unit.id, Unit.name, Unit.short, Unit.roles, Unit.active).order_by(Unit.id)).all()
    overseer = next((r.id for r in rows if r.active and "overseer" in (r.roles or ())), None)
    return UnitDirectory({r.id: (r.name, r.short) for r in rows}, overseer)


def unit_directory(session: Session) -> UnitDirectory:
    """The units of the session's database, from the process cache when fresh."""
    key = session.get_bind().url.render_as_string(hide_password=True)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < UNIT_CACHE_SECONDS:
        return hit[1]
    directory = _load(session)
    with _lock:
        _cache[key] = (now, directory)
    return directory


def invalidate_units() -> None:
    """Forget every cached directory (a unit changed in this process)."""
    with _lock:
        _cache.clear()


# --- who receives a unit's messages ----------------------------------------------------------
# Group links change through /lienket and officials through enrolment, both inside
# a bot process, so they are cached per process too, but with in-process
# invalidation: any ORM flush touching a GroupLink or an Official marks its session,
# that session reads past the cache until it ends, and its commit empties the cache.
# Changes made by ANOTHER process (a second instance, the CLI) show here after at
# most CHATS_CACHE_SECONDS: a card may go to the unit's old chats for that long.
CHATS_CACHE_SECONDS = 5.0
_CHANGED = "unit_chats_changed"
_chats: dict[tuple[str, str], tuple[float, Any]] = {}
_generation = 0


def cached_unit_chats(session: Session, unit_id: str, load: Callable[[Session, str], T]) -> T:
    """`load(session, unit_id)` through the process cache (see above)."""
    if session.info.get(_CHANGED):
        return load(session, unit_id)  # this transaction changed links: see its own writes
    key = (session.get_bind().url.render_as_string(hide_password=True), unit_id)
    now = time.monotonic()
    hit = _chats.get(key)
    if hit is not None and now - hit[0] < CHATS_CACHE_SECONDS:
        return hit[1]  # type: ignore[no-any-return]
    generation = _generation
    value = load(session, unit_id)
    with _lock:
        if generation == _generation:  # no link committed meanwhile: what we read is not older than the cache
            _chats[key] = (now, value)
    return value


def mark_links_changing(session: Session) -> None:
    """This transaction is about to change who receives a unit's messages: read past the cache."""
    session.info[_CHANGED] = True


def invalidate_unit_chats() -> None:
    global _generation
    with _lock:
        _generation += 1
        _chats.clear()


_UNITS_CHANGED = "units_changed"


@event.listens_for(Session, "after_flush")
def _note_link_changes(session: Session, _flush_context: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (GroupLink, Official)) for obj in touched):
        mark_links_changing(session)
    if any(isinstance(obj, Unit) for obj in touched):
        session.info[_UNITS_CHANGED] = True  # a seed in this process: names and the Front reload on commit


@event.listens_for(Session, "after_commit")
def _links_committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        invalidate_unit_chats()
    if session.info.pop(_UNITS_CHANGED, False):
        invalidate_units()


@event.listens_for(Session, "after_rollback")
def _links_rolled_back(session: Session) -> None:
    session.info.pop(_UNITS_CHANGED, None)
    if session.info.pop(_CHANGED, False):
        invalidate_unit_chats()  # a savepoint's rollback may leave the outer change: be safe
