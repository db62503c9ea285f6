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
from sklearn.linear_model import LogisticRegression, RidgeClassifier

from nlp.labels import Category, Group, Kind
from nlp.normalize import Normalized

__all__ = ["MessageModel", "Prediction"]

# Decision thresholds, chosen by cross-validation inside train.jsonl (never on
# the test split): urgent for recall >= 0.95 (a missed emergency costs more than
# a false alarm); groups for micro-F1 with each writer's messages held out
# together. Group scores are sigmoid(GROUP_SCALE x the ridge head's decision
# value): same CV, ridge 0.833 at 0.45 (0.824 at 0.5) against 0.821 for the
# logistic heads at their best threshold; MLPs, SVMs, L1, NB-weighted features,
# stacking on the category scores and extra views beat ridge by 0.002 at most.
URGENT_THRESHOLD = 0.3
GROUP_THRESHOLD = 0.45
GROUP_SCALE = 2.0


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
    """TF-IDF (4 views) + logistic heads for category, kind and urgent, ridge heads for groups."""

    def __init__(self, *, c_category: float = 10.0, c_kind: float = 10.0, c_binary: float = 10.0,
                 alpha_groups: float = 1.0) -> None:
        self.c_category = c_category
        self.c_kind = c_kind
        self.c_binary = c_binary
        self.alpha_groups = alpha_groups
        self.vectorizers = (
            # min_df=2: n-grams seen once carry no evidence; dropping them cuts
            # the features fourfold and training time with them (CV: same accuracy).
            ("text", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, token_pattern=r"\S+")),
            ("plain", TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=2, token_pattern=r"\S+")),
            ("plain", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                      max_features=150_000)),
            # The stated ages as life stages (see nlp.normalize.age_stages): for the groups.
            ("ages", TfidfVectorizer(sublinear_tf=True, token_pattern=r"\S+")),
        )

    # -- features -----------------------------------------------------------
    def _views(self, docs: Sequence[Normalized], view: str) -> list[str]:
        return [getattr(d, view) for d in docs]

    def _fit_features(self, docs: Sequence[Normalized]) -> sparse.csr_matrix:
        return sparse.hstack([v.fit_transform(self._views(docs, view)) for view, v in self.vectorizers]).tocsr()

    def features(self, docs: Sequence[Normalized]) -> sparse.csr_matrix:
        """sklearn's own transform: the reference the fast path is tested against."""
        return sparse.hstack([v.transform(self._views(docs, view)) for view, v in self.vectorizers]).tocsr()

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
        # The ages view (the last columns) is for the groups: the other heads see
        # it as zeros, so their weights there stay 0 (with it, their held-out
        # scores moved by a few messages either way).
        text_columns = x.shape[1] - len(self.vectorizers[-1][1].vocabulary_)
        x_text = (x @ sparse.diags((np.arange(x.shape[1]) < text_columns).astype(np.float64))).tocsr()
        self.category_head = LogisticRegression(C=self.c_category, max_iter=2000).fit(
            x_text, [c.value for c in categories])
        self.kind_head = LogisticRegression(C=self.c_kind, max_iter=2000).fit(x_text, [k.value for k in kinds])
        self.urgent_head = LogisticRegression(C=self.c_binary, max_iter=2000, class_weight="balanced").fit(
            x_text, np.asarray(urgent, dtype=int))
        # Ridge (least squares) heads for groups: in writer-held-out CV they beat the
        # logistic ones by ~0.01 micro-F1 (see GROUP_THRESHOLD) and train in seconds.
        self.group_heads: dict[Group, RidgeClassifier] = {}
        for group in Group:
            y = np.asarray([group in gs for gs in groups], dtype=int)
            if 0 < y.sum() < len(y):
                self.group_heads[group] = RidgeClassifier(alpha=self.alpha_groups, class_weight="balanced").fit(x, y)
        self._compile()
        return self

    # -- prediction ---------------------------------------------------------
    def _compile(self) -> None:
        """Stack every head into one weight matrix for the one-message path.

        sklearn's transform and predict_proba cost ~0.2-0.5 ms each in input
        checks and sparse bookkeeping; for one message that dominates. Scoring
        is then: sklearn's own analyzers -> vocabulary lookups -> TF-IDF with
        l2 norm per view -> one product with W. Same numbers, ~5x faster
        (tests/test_nlp_model.py checks it against predict_proba).
        """
        heads = self._heads()
        self._share_weights()
        self._b = np.concatenate([h.intercept_ for h in heads])
        n_cat, n_kind = len(self.category_head.classes_), len(self.kind_head.classes_)
        self._slices = (slice(0, n_cat), slice(n_cat, n_cat + n_kind), n_cat + n_kind)
        self._group_order = tuple(self.group_heads)
        self._offsets = [int(o) for o in np.cumsum([0] + [len(v.vocabulary_) for _, v in self.vectorizers])[:-1]]
        # Only the word n-grams of the text views (the first two) make a readable reason.
        self._word_features = self._offsets[2]
        self._idf = np.concatenate([v.idf_ for _, v in self.vectorizers])
        for _, v in self.vectorizers:
            v.stop_words_ = None  # large and unused after fit (sklearn's own advice)
        self._category_labels = tuple(Category(c) for c in self.category_head.classes_)
        self._kind_labels = tuple(Kind(k) for k in self.kind_head.classes_)

    def _heads(self) -> list[LogisticRegression | RidgeClassifier]:
        return [self.category_head, self.kind_head, self.urgent_head, *self.group_heads.values()]

    def _share_weights(self) -> None:
        """One copy of the weights: W (features x all heads' classes), the heads' coef_ views into it.

        Filled head by head, each head's own array freed as soon as it is copied,
        so loading peaks at W plus one head, not two copies of everything
        (`classify --jsonl` must stay under 300 MB). W is float32: half the
        memory, and a score moves by ~1e-7, far below any threshold's margin.
        """
        heads = self._heads()
        widths = [1 if h.coef_.ndim == 1 else h.coef_.shape[0] for h in heads]  # a binary ridge's coef_ is 1-D
        self._W = np.empty((heads[0].coef_.shape[-1], sum(widths)), dtype=np.float32)
        column = 0
        for head, width in zip(heads, widths):
            flat = head.coef_.ndim == 1
            self._W[:, column:column + width] = head.coef_[:, None] if flat else head.coef_.T
            view = self._W[:, column:column + width].T
            head.coef_ = view[0] if flat else view  # sklearn's own predict reads the same numbers
            column += width

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_analyzers", None)  # bound methods: rebuilt after loading
        state.pop("_W", None)  # the heads carry the weights; W is rebuilt from them on load
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._share_weights()

    def _row(self, doc: Normalized) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, TF-IDF values) of one message, as sklearn would compute them."""
        if not hasattr(self, "_analyzers"):
            self._analyzers = [v.build_analyzer() for _, v in self.vectorizers]
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for (view, vectorizer), analyze, offset in zip(self.vectorizers, self._analyzers, self._offsets):
            vocab = vectorizer.vocabulary_  # sklearn's own: no second copy of the vocabulary
            counts: dict[int, int] = {}
            for gram in analyze(getattr(doc, view)):
                index = vocab.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts, dtype=np.int64, count=len(counts)) + offset
            val = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self._idf[idx]
            indices.append(idx)
            values.append(val / np.sqrt(val @ val))
        if not indices:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return np.concatenate(indices), np.concatenate(values)

    def predict(self, docs: Sequence[Normalized]) -> list[Prediction]:
        return [self.predict_one(doc) for doc in docs]

    def predict_one(self, doc: Normalized) -> Prediction:
        idx, val = self._row(doc)
        scores = val @ self._W[idx] + self._b
        cat_slice, kind_slice, urgent_col = self._slices
        cat = _softmax(scores[cat_slice])
        kind = _softmax(scores[kind_slice])
        urgent = _sigmoid(scores[urgent_col])
        groups = _sigmoid(GROUP_SCALE * scores[urgent_col + 1 :])
        order = np.argsort(-cat)
        k = int(np.argmax(kind))
        return Prediction(
            category_probs=tuple((self._category_labels[j], float(cat[j])) for j in order),
            groups=tuple(g for g, p in zip(self._group_order, groups) if p >= GROUP_THRESHOLD),
            kind=self._kind_labels[k],
            kind_probability=float(kind[k]),
            urgent_probability=float(urgent),
            urgent_features=self._urgent_features(doc, idx, val) if urgent >= URGENT_THRESHOLD else (),
        )

    def _word_names(self, doc: Normalized) -> dict[int, str]:
        """This message's word n-grams by feature index (no table of all feature names is kept)."""
        found: dict[int, str] = {}
        for (view, vectorizer), analyze, offset in zip(self.vectorizers[:2], self._analyzers, self._offsets):
            for gram in analyze(getattr(doc, view)):
                index = vectorizer.vocabulary_.get(gram)
                if index is not None:
                    found[index + offset] = gram
        return found

    def _urgent_features(self, doc: Normalized, idx: np.ndarray, val: np.ndarray,
                         limit: int = 3) -> tuple[str, ...]:
        """The word n-grams of this message that weigh most toward urgent (the reason shown)."""
        weights = val * self._W[idx, self._slices[2]]
        words = self._word_names(doc)
        names: list[str] = []
        for j in np.argsort(-weights):
            if weights[j] <= 0:
                break
            if idx[j] >= self._word_features:
                continue
            name = words[int(idx[j])]
            if len(name) > 3 and not any(name in n or n in name for n in names):
                names.append(name)
            if len(names) == limit:
                break
        return tuple(names)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _sigmoid(z: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))
