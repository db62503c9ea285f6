"""Vietnamese NLP for citizens' messages: text in, labels out.

No database, no platform. `analyze(text)` returns an `Analysis` with the codes
of the taxonomy (nlp.labels), a place of today's Cà Mau (nlp.places) and the
routing that follows from config/routing.yaml (nlp.routing).
"""
from nlp.analysis import Analysis, Location, Place
from nlp.labels import Category, Group, Kind
from nlp.pipeline import Analyzer, analyze, default_analyzer
from nlp.routing import Route, Router, default_router

__all__ = [
    "Analysis", "Analyzer", "Category", "Group", "Kind", "Location", "Place",
    "Route", "Router", "analyze", "default_analyzer", "default_router",
]
