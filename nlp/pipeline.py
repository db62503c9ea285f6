"""`analyze(text)`: normalisation, the trained model, places and routing together.

The model file is built from the shipped corpus by `phananh train` (or here,
on first use, when it is missing or older than the corpus): never downloaded,
never committed. It lives in var/ (or $PHANANH_MODEL_PATH).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import joblib

from nlp.analysis import Analysis
from nlp.corpus import Example, load_examples, training_files
from nlp.labels import Category, Kind
from nlp.model import URGENT_THRESHOLD, MessageModel, Prediction
from nlp.normalize import Normalized, normalize
from nlp.places import Gazetteer, default_gazetteer
from nlp.routing import Router, default_router

__all__ = ["Analyzer", "analyze", "default_analyzer", "model_path", "train_model", "MAX_ANALYZED_CHARS"]

log = logging.getLogger(__name__)

# Longer messages are analysed on their first part only: the topic is stated
# early, and a bound keeps p99 latency flat. The full text is still stored.
MAX_ANALYZED_CHARS = 4000
MODEL_FORMAT = 4  # 2: one copy of the weights, no feature-name table; 3: ridge group heads; 4: the ages view

# A Vietnamese syllable written without diacritics: onset, vowels, coda.
# English words ("want", "report", "problem") do not fit it.
_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"(uye|uya|oai|oay|uay|uoi|uou|ieu|yeu|ươi|[aeiouy]{1,3})"
    r"(ng|nh|ch|[cmnpt])?$"
)


def model_path() -> Path:
    default = Path(__file__).resolve().parents[1] / "var" / "nlp-model.joblib"
    return Path(os.environ.get("PHANANH_MODEL_PATH") or default)


def corpus_digest(paths: Sequence[Path]) -> str:
    """A fingerprint of the training data: a changed corpus makes the model stale."""
    h = hashlib.sha256(str(MODEL_FORMAT).encode())
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """What is written to disk: the model and where it came from."""

    model: MessageModel
    digest: str
    examples: int
    seconds: float


def train_model(paths: Sequence[Path] | None = None) -> TrainedModel:
    """Fit a MessageModel on `paths` (default: the shipped training split)."""
    paths = list(paths or training_files())
    examples = load_examples(paths)
    started = time.perf_counter()
    model = fit_examples(examples)
    return TrainedModel(model, corpus_digest(paths), len(examples), time.perf_counter() - started)


def fit_examples(examples: Sequence[Example]) -> MessageModel:
    docs = [normalize(e.text[:MAX_ANALYZED_CHARS]) for e in examples]
    return MessageModel().fit(
        docs,
        [e.category for e in examples],
        [e.kind for e in examples],
        [e.groups for e in examples],
        [e.urgent for e in examples],
    )


def save(trained: TrainedModel, path: Path) -> None:
    """Write atomically, so a concurrent reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as fh:
        joblib.dump(trained, fh)
    os.replace(fh.name, path)


def load_or_train(path: Path | None = None) -> TrainedModel:
    """The saved model if it matches the corpus; otherwise train and save one."""
    path = path or model_path()
    digest = corpus_digest(training_files())
    if path.exists():
        trained: TrainedModel = joblib.load(path)
        if trained.digest == digest:
            return trained
        log.info("nlp.model.stale path=%s", path)
    log.info("nlp.model.training path=%s", path)
    trained = train_model()
    save(trained, path)
    log.info("nlp.model.trained examples=%d seconds=%.1f", trained.examples, trained.seconds)
    return trained


def looks_foreign(doc: Normalized) -> bool:
    """True for text in another language: no Vietnamese letters and few Vietnamese syllables."""
    if doc.vietnamese_letters:
        return False
    words = [w for w in doc.plain.split() if w.isalpha()]
    if len(words) < 3:
        return False
    fitting = sum(bool(_SYLLABLE.match(w)) for w in words)
    return fitting / len(words) < 0.6


class Analyzer:
    """Reads messages: `analyze(text) -> Analysis`. Build with `Analyzer.load()`."""

    def __init__(self, model: MessageModel, gazetteer: Gazetteer, router: Router) -> None:
        self.model = model
        self.gazetteer = gazetteer
        self.router = router

    @classmethod
    def load(cls, path: Path | None = None) -> Analyzer:
        return cls(load_or_train(path).model, default_gazetteer(), default_router())

    def __call__(self, text: str) -> Analysis:
        return self.analyze(text)

    def analyze(self, text: str) -> Analysis:
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Sequence[str]) -> list[Analysis]:
        clipped = [t[:MAX_ANALYZED_CHARS] for t in texts]
        docs = [normalize(t) for t in clipped]
        predictions = self.model.predict(docs)
        return [self._combine(t, d, p, full) for t, d, p, full in zip(clipped, docs, predictions, texts)]

    def _combine(self, text: str, doc: Normalized, pred: Prediction, full: str) -> Analysis:
        notes = self._notes(doc, full)
        location = self.gazetteer.find(text, normalized=doc)
        category, probability = pred.category_probs[0]
        readable = doc.letters > 0
        confidence = probability if readable else 0.0
        if not readable:
            category = Category.KHAC
        urgent = pred.urgent_probability >= URGENT_THRESHOLD and readable
        commune = location.place.code if location and location.place else None
        route = self.router.route(category=category, groups=pred.groups, kind=pred.kind,
                                  commune=commune, confidence=confidence)
        return Analysis(
            category=category,
            probability=probability,
            top=pred.category_probs[:3],
            groups=pred.groups,
            kind=pred.kind if readable else Kind.PHAN_ANH_KIEN_NGHI,
            urgent=urgent,
            urgent_reason=pred.urgent_features if urgent else (),
            location=location,
            confidence=confidence,
            needs_triage=self.router.needs_triage(confidence),
            lead_unit=route.lead_unit,
            coordinating_units=route.coordinating_units,
            overseer=route.overseer,
            notes=notes,
        )

    @staticmethod
    def _notes(doc: Normalized, full: str) -> tuple[str, ...]:
        """What kind of input this was, for the handlers' answers: empty, emoji-only, foreign."""
        notes: list[str] = []
        if not full.strip():
            notes.append("empty")
        elif not doc.letters:
            notes.append("no_text")
        elif looks_foreign(doc):
            notes.append("foreign_language")
        if len(full) > MAX_ANALYZED_CHARS:
            notes.append("truncated")
        return tuple(notes)


@lru_cache(maxsize=1)
def default_analyzer() -> Analyzer:
    """The process-wide analyzer (model loaded, or trained, once)."""
    return Analyzer.load()


def analyze(text: str) -> Analysis:
    """Labels and routing for one message (see nlp.analysis.Analysis)."""
    return default_analyzer().analyze(text)
