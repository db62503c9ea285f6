"""Routing as data: labels + place -> the unit that leads, those that coordinate.

The rules live in config/routing.yaml (an administrator reads and edits it);
this module only loads them, checks every unit id against config/units.yaml,
and applies one precedence order (see the YAML's header):
override -> commune People's Committee -> provincial unit -> triage.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from nlp.labels import Category, Group, Kind

__all__ = ["Route", "Router", "RoutingConfigError", "config_dir", "default_router", "load_units"]


class RoutingConfigError(ValueError):
    """config/routing.yaml or config/units.yaml is inconsistent."""


def config_dir() -> Path:
    """The administrator's YAML folder: $PHANANH_CONFIG_DIR or the repo's config/."""
    return Path(os.environ.get("PHANANH_CONFIG_DIR") or Path(__file__).resolve().parents[1] / "config")


def load_units(path: Path | None = None) -> list[dict[str, Any]]:
    """The units of config/units.yaml as plain dicts (validated for ids)."""
    path = path or config_dir() / "units.yaml"
    units = yaml.safe_load(path.read_text(encoding="utf-8"))["units"]
    ids = [u["id"] for u in units]
    if len(ids) != len(set(ids)):
        raise RoutingConfigError(f"duplicate unit id in {path}")
    return units


@dataclass(frozen=True, slots=True)
class Route:
    """Who acts on a ticket. `reason` says which rule chose the lead (for the audit)."""

    lead_unit: str
    coordinating_units: tuple[str, ...]
    overseer: str
    reason: str


@dataclass(frozen=True, slots=True)
class _CategoryRule:
    provincial: str
    local: bool
    coordinating: tuple[str, ...]


class Router:
    """Applies config/routing.yaml. Build with `Router.from_config()`."""

    def __init__(
        self,
        *,
        overseer: str,
        triage_unit: str,
        confidence_threshold: float,
        categories: Mapping[Category, _CategoryRule],
        groups: Mapping[Group, tuple[str, ...]],
        kinds: Mapping[Kind, tuple[str, ...]],
        urgent_notify: tuple[str, ...],
        overrides: Mapping[tuple[str, Category], str],
        commune_units: Mapping[str, str],
    ) -> None:
        self.overseer = overseer
        self.triage_unit = triage_unit
        self.confidence_threshold = confidence_threshold
        self.categories = dict(categories)
        self.groups = dict(groups)
        self.kinds = dict(kinds)
        self.urgent_notify = urgent_notify
        self.overrides = dict(overrides)
        self.commune_units = dict(commune_units)

    @classmethod
    def from_config(cls, routing_path: Path | None = None, units_path: Path | None = None) -> Router:
        routing_path = routing_path or config_dir() / "routing.yaml"
        raw = yaml.safe_load(routing_path.read_text(encoding="utf-8"))
        units = load_units(units_path)
        known = {u["id"] for u in units}
        commune_units = {str(u["commune"]): u["id"] for u in units if u.get("commune")}

        def check(ids: Iterable[str], where: str) -> tuple[str, ...]:
            ids = tuple(ids or ())
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise RoutingConfigError(f"{routing_path}: {where}: unknown unit(s) {unknown}")
            return ids

        missing = {c.value for c in Category} - set(raw["categories"])
        if missing:
            raise RoutingConfigError(f"{routing_path}: categories without a rule: {sorted(missing)}")
        categories = {
            Category(code): _CategoryRule(
                provincial=check([rule["provincial"]], code)[0],
                local=bool(rule.get("local", False)),
                coordinating=check(rule.get("coordinating", ()), code),
            )
            for code, rule in raw["categories"].items()
        }
        overrides = {
            (str(o["commune"]), Category(o["category"])): check([o["lead"]], "overrides")[0]
            for o in raw.get("overrides") or ()
        }
        return cls(
            overseer=check([raw["overseer"]], "overseer")[0],
            triage_unit=check([raw["triage_unit"]], "triage_unit")[0],
            confidence_threshold=float(raw.get("confidence_threshold", 0.35)),
            categories=categories,
            groups={Group(g): check(ids, g) for g, ids in (raw.get("groups") or {}).items()},
            kinds={Kind(k): check(v.get("coordinating", ()), k) for k, v in (raw.get("kinds") or {}).items()},
            urgent_notify=check(raw.get("urgent_notify", ()), "urgent_notify"),
            overrides=overrides,
            commune_units=commune_units,
        )

    def needs_triage(self, confidence: float) -> bool:
        return confidence < self.confidence_threshold

    def route(
        self,
        *,
        category: Category,
        groups: Iterable[Group] = (),
        kind: Kind = Kind.PHAN_ANH_KIEN_NGHI,
        commune: str | None = None,
        confidence: float = 1.0,
    ) -> Route:
        """The lead, coordinating units and overseer for these labels.

        `commune` is a resolved commune/ward code (None when unknown or
        ambiguous). Low confidence routes to triage but keeps the coordinating
        organisations, so affected groups are still informed.
        """
        lead, reason = self._lead(category, commune, confidence)
        coordinating: list[str] = list(self.categories[category].coordinating)
        for group in groups:
            coordinating.extend(self.groups.get(group, ()))
        coordinating.extend(self.kinds.get(kind, ()))
        seen = {lead}
        unique = [u for u in coordinating if not (u in seen or seen.add(u))]
        return Route(lead_unit=lead, coordinating_units=tuple(unique), overseer=self.overseer, reason=reason)

    def _lead(self, category: Category, commune: str | None, confidence: float) -> tuple[str, str]:
        if self.needs_triage(confidence):
            return self.triage_unit, "triage"
        if commune and (commune, category) in self.overrides:
            return self.overrides[(commune, category)], "override"
        rule = self.categories[category]
        if rule.local and commune and commune in self.commune_units:
            return self.commune_units[commune], "commune"
        return rule.provincial, "provincial"


@lru_cache(maxsize=1)
def default_router() -> Router:
    """The router of the configured folder, loaded once per process."""
    return Router.from_config()
