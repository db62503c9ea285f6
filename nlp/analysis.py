"""The result of reading one message: plain frozen dataclasses, no behaviour.

`Analysis` is what `nlp.analyze(text)` returns and what the bot stores with a
ticket; `to_json()` is the shape of `phananh classify --jsonl` (a contract).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nlp.labels import Category, Group, Kind

__all__ = ["Place", "Location", "Analysis"]


@dataclass(frozen=True, slots=True)
class Place:
    """A commune or ward of today's province (after 1/7/2025)."""

    code: str  # the Statistics Office code, e.g. "32152"
    name: str  # the official name, e.g. "Xã Đầm Dơi"


@dataclass(frozen=True, slots=True)
class Location:
    """Where the message is about.

    `place` is set when the text narrows it to one unit; otherwise
    `candidates` lists the units an old name now covers, and the citizen is
    asked to pick. `mention` is the words that named it.
    """

    place: Place | None
    candidates: tuple[Place, ...] = ()
    mention: str = ""

    @property
    def resolved(self) -> bool:
        return self.place is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.place.code if self.place else None,
            "name": self.place.name if self.place else None,
            "candidates": [{"code": p.code, "name": p.name} for p in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class Analysis:
    """Labels for one message, with the routing they lead to."""

    category: Category
    probability: float  # the classifier's probability for `category`
    top: tuple[tuple[Category, float], ...]  # the three most likely categories
    groups: tuple[Group, ...]
    kind: Kind
    urgent: bool
    urgent_reason: tuple[str, ...]  # the words that made it urgent
    location: Location | None
    confidence: float  # 0..1; below the routing threshold a human triages
    needs_triage: bool
    lead_unit: str  # unit id from config/units.yaml
    coordinating_units: tuple[str, ...]
    overseer: str
    notes: tuple[str, ...] = field(default=())  # e.g. "empty", "foreign_language"

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "confidence": round(self.confidence, 4),
            "top": [{"category": c.value, "probability": round(p, 4)} for c, p in self.top],
            "groups": [g.value for g in self.groups],
            "kind": self.kind.value,
            "urgent": self.urgent,
            "urgent_reason": list(self.urgent_reason),
            "location": self.location.to_json() if self.location else None,
            "lead_unit": self.lead_unit,
            "coordinating_units": list(self.coordinating_units),
            "overseer": self.overseer,
            "needs_triage": self.needs_triage,
        }
