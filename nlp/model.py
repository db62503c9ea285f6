"""The trained part: four linear heads over one sparse representation.

Why this model (measured, see README "NLP"): word n-grams on the toned text,
word n-grams and character n-grams on the diacritic-free text catch both
"đường hư" and "duong hu" and survive typos; linear models train in seconds
on 2 cores, load in well under a second and predict in about a millisecond.

`MessageModel` follows scikit-learn's fit/predict: `fit(texts, labels...)`,
`predict(normalized)`. It knows nothing of places or routing.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlp.labels import Category, Group, Kind
from nlp.normalize import Normalized

__all__ = ["MessageModel", "Prediction"]

# Decision thresholds, fixed here (not tuned on the test split): urgent is
# tuned for recall (the cost of a missed emergency is a life), groups for F1.
URGENT_THRESHOLD = 0.35
GROUP_THRESHOLD = 0.4


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the model alone says of one message."""

    category_probs: tuple[tuple[Category, float], ...]  # all categories, most likely first
    groups: tuple[Group, ...]
    kind: Kind
    kind_probability: float
    urgent_probability: float
    urgent_features: tuple[str, ...]  # n-grams that pushed toward urgent, strongest first


class MessageModel:
    """TF-IDF (3 views) + logistic regression heads for category, kind, groups, urgent."""

    def __init__(self, *, c_category: float = 20.0, c_kind: float = 10.0, c_binary: float = 10.0) -> None:
        self.c_category = c_category
        self.c_kind = c_kind
        self.c_binary = c_binary
        self.vectorizers = (
            ("text", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, token_pattern=r"\S+")),
            ("plain", TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=1, token_pattern=r"\S+")),
            ("plain", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                      max_features=150_000)),
        )

    # -- features -----------------------------------------------------------
    def _views(self, docs: Sequence[Normalized], view: str) -> list[str]:
        return [getattr(d, view) for d in docs]

    def _fit_features(self, docs: Sequence[Normalized]) -> sparse.csr_matrix:
        return sparse.hstack([v.fit_transform(self._views(docs, view)) for view, v in self.vectorizers]).tocsr()

    def features(self, docs: Sequence[Normalized]) -> sparse.csr_matrix:
        return sparse.hstack([v.transform(self._views(docs, view)) for view, v in self.vectorizers]).tocsr()

    def feature_names(self) -> np.ndarray:
        return np.concatenate([v.get_feature_names_out() for _, v in self.vectorizers])

    # -- training -----------------------------------------------------------
    def fit(
        self,
        docs: Sequence[Normalized],
        categories: Sequence[Category],
        kinds: Sequence[Kind],
        groups: Sequence[Sequence[Group]],
        urgent: Sequence[bool],
    ) -> MessageModel:
        x = self._fit_features(docs)
        self.category_head = LogisticRegression(C=self.c_category, max_iter=2000).fit(x, [c.value for c in categories])
        self.kind_head = LogisticRegression(C=self.c_kind, max_iter=2000).fit(x, [k.value for k in kinds])
        self.urgent_head = LogisticRegression(C=self.c_binary, max_iter=2000, class_weight="balanced").fit(
            x, np.asarray(urgent, dtype=int))
        self.group_heads: dict[Group, LogisticRegression] = {}
        for group in Group:
            y = np.asarray([group in gs for gs in groups], dtype=int)
            if 0 < y.sum() < len(y):
                self.group_heads[group] = LogisticRegression(
                    C=self.c_binary, max_iter=2000, class_weight="balanced").fit(x, y)
        self._names = self.feature_names()
        # Only word n-grams make a readable reason; character n-grams come last.
        self._word_features = sum(len(v.vocabulary_) for _, v in self.vectorizers if v.analyzer == "word")
        return self

    # -- prediction ---------------------------------------------------------
    def predict(self, docs: Sequence[Normalized]) -> list[Prediction]:
        x = self.features(docs)
        cat = self.category_head.predict_proba(x)
        kind = self.kind_head.predict_proba(x)
        urgent = self.urgent_head.predict_proba(x)[:, 1]
        group_probs = {g: h.predict_proba(x)[:, 1] for g, h in self.group_heads.items()}
        cat_labels = [Category(c) for c in self.category_head.classes_]
        kind_labels = [Kind(k) for k in self.kind_head.classes_]
        out = []
        for i in range(x.shape[0]):
            order = np.argsort(-cat[i])
            k = int(np.argmax(kind[i]))
            out.append(Prediction(
                category_probs=tuple((cat_labels[j], float(cat[i, j])) for j in order),
                groups=tuple(g for g, p in group_probs.items() if p[i] >= GROUP_THRESHOLD),
                kind=kind_labels[k],
                kind_probability=float(kind[i, k]),
                urgent_probability=float(urgent[i]),
                urgent_features=self._urgent_features(x[i]) if urgent[i] >= URGENT_THRESHOLD else (),
            ))
        return out

    def _urgent_features(self, row: sparse.csr_matrix, limit: int = 3) -> tuple[str, ...]:
        """The n-grams of this message that weigh most toward urgent (the reason shown)."""
        weights = row.data * self.urgent_head.coef_[0, row.indices]
        words = row.indices < self._word_features
        best = [row.indices[j] for j in np.argsort(-weights) if weights[j] > 0 and words[j]][: limit * 4]
        names: list[str] = []
        for index in best:
            name = str(self._names[index]).strip()
            if len(name) > 3 and not any(name in n or n in name for n in names):
                names.append(name)
            if len(names) == limit:
                break
        return tuple(names)
