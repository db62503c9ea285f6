"""Measuring the analyzer on a labelled file: `phananh evaluate`.

Plain Python over the predictions, so the report says exactly what each
number means: category accuracy and macro-F1, per-class F1, the confusion
matrix, kind accuracy, urgent recall/precision, groups micro-F1 and location
accuracy over the messages that name a place.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from nlp.analysis import Analysis
from nlp.corpus import Example
from nlp.labels import Category

__all__ = ["Report", "evaluate", "f1"]


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


@dataclass
class Report:
    n: int
    category_accuracy: float
    category_macro_f1: float
    per_class_f1: dict[str, float]
    confusion: dict[str, Counter[str]]
    kind_accuracy: float
    urgent_recall: float
    urgent_precision: float
    groups_micro_f1: float
    location_accuracy: float
    location_n: int
    triaged: int
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, gold, predicted, text

    def targets(self) -> dict[str, tuple[float, float]]:
        """(measured, target) for each target of the NLP issue."""
        return {
            "category accuracy": (self.category_accuracy, 0.90),
            "category macro-F1": (self.category_macro_f1, 0.88),
            "urgent recall": (self.urgent_recall, 0.95),
            "urgent precision": (self.urgent_precision, 0.80),
            "groups micro-F1": (self.groups_micro_f1, 0.85),
            "kind accuracy": (self.kind_accuracy, 0.90),
            "location accuracy": (self.location_accuracy, 0.95),
        }


def _location_correct(example: Example, analysis: Analysis) -> bool:
    loc = analysis.location
    if example.location_code:
        return bool(loc and loc.place and loc.place.code == example.location_code)
    predicted = tuple(sorted(p.code for p in loc.candidates)) if loc and not loc.place else ()
    return predicted == example.location_candidates


def evaluate(examples: Sequence[Example], analyses: Sequence[Analysis]) -> Report:
    n = len(examples)
    confusion: dict[str, Counter[str]] = {c.value: Counter() for c in Category}
    cat_ok = kind_ok = 0
    u_tp = u_fp = u_fn = 0
    g_tp = g_fp = g_fn = 0
    loc_ok = loc_n = 0
    errors = []
    for ex, an in zip(examples, analyses, strict=True):
        confusion[ex.category.value][an.category.value] += 1
        if an.category == ex.category:
            cat_ok += 1
        else:
            errors.append((ex.id, ex.category.value, an.category.value, ex.text[:120]))
        kind_ok += an.kind == ex.kind
        u_tp += an.urgent and ex.urgent
        u_fp += an.urgent and not ex.urgent
        u_fn += ex.urgent and not an.urgent
        gold, pred = set(ex.groups), set(an.groups)
        g_tp += len(gold & pred)
        g_fp += len(pred - gold)
        g_fn += len(gold - pred)
        if ex.has_location:
            loc_n += 1
            loc_ok += _location_correct(ex, an)
    per_class = {}
    for c in Category:
        tp = confusion[c.value][c.value]
        fp = sum(confusion[o.value][c.value] for o in Category if o != c)
        fn = sum(confusion[c.value].values()) - tp
        if tp + fp + fn:
            per_class[c.value] = f1(tp, fp, fn)
    return Report(
        n=n,
        category_accuracy=cat_ok / n if n else 0.0,
        category_macro_f1=sum(per_class.values()) / len(per_class) if per_class else 0.0,
        per_class_f1=per_class,
        confusion=confusion,
        kind_accuracy=kind_ok / n if n else 0.0,
        urgent_recall=u_tp / (u_tp + u_fn) if u_tp + u_fn else 0.0,
        urgent_precision=u_tp / (u_tp + u_fp) if u_tp + u_fp else 0.0,
        groups_micro_f1=f1(g_tp, g_fp, g_fn),
        location_accuracy=loc_ok / loc_n if loc_n else 0.0,
        location_n=loc_n,
        triaged=sum(a.needs_triage for a in analyses),
        errors=errors,
    )
