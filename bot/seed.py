"""`phananh seed`: config/units.yaml -> the units table, idempotently.

A unit removed from the YAML is made inactive, never deleted: tickets keep the
unit id they were routed to (FixMyStreet's soft states).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Unit

__all__ = ["SeedResult", "seed_units", "load_unit_rows"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SeedResult:
    added: int
    updated: int
    deactivated: int


def load_unit_rows(path: Path | None = None) -> list[dict[str, Any]]:
    """The units of the administrator's YAML (nlp.routing validates ids)."""
    from nlp.routing import load_units

    return load_units(path)


def seed_units(session: Session, rows: list[dict[str, Any]]) -> SeedResult:
    existing = {u.id: u for u in session.scalars(select(Unit))}
    added = updated = 0
    for row in rows:
        values = {
            "name": row["name"],
            "short": row.get("short") or row["name"],
            "kind": row.get("kind", ""),
            "level": row.get("level", ""),
            "commune": str(row["commune"]) if row.get("commune") else None,
            "roles": list(row.get("roles") or []),
            "active": True,
        }
        unit = existing.pop(row["id"], None)
        if unit is None:
            session.add(Unit(id=row["id"], **values))
            added += 1
        elif any(getattr(unit, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(unit, k, v)
            updated += 1
    deactivated = 0
    for unit in existing.values():
        if unit.active:
            unit.active = False
            deactivated += 1
    log.info("units seeded added=%d updated=%d deactivated=%d", added, updated, deactivated)
    return SeedResult(added, updated, deactivated)
