"""Vietnamese NLP for citizens' messages: text in, labels out.

No database, no platform. `analyze(text)` returns an `Analysis` with the codes
of the taxonomy (nlp.labels), a place of today's Cà Mau (nlp.places) and the
routing that follows from config/routing.yaml (nlp.routing).

The pipeline (scikit-learn, underthesea) is imported on first use, so code
that only needs the labels or the router stays light.
"""
from __future__ import annotations

from typing import Any

from nlp.analysis import Analysis, Location, Place
from nlp.labels import Category, Group, Kind
from nlp.routing import Route, Router, default_router

__all__ = [
    "Analysis", "Analyzer", "Category", "Group", "Kind", "Location", "Place",
    "Route", "Router", "analyze", "default_analyzer", "default_router",
]

_LAZY = {"Analyzer", "analyze", "default_analyzer"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from nlp import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")
