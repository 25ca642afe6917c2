"""Text classifiers learned from residents' own messages, shared by the crisis safety net and
the router.

Rules and keywords catch the wordings someone thought of; residents describe their situation in
more ways than anyone writes down. A classifier over letter n-grams within words (so typos,
compounds and word forms still meet) and over words and word pairs learns from labelled
messages how a need or an emergency is put into words.

scikit-learn's logistic regression is the standard, well-tested tool for exactly this: fitted
in seconds once per knowledge, before residents are served (and kept in the user's cache
directory, so the next start reads it back quickly), a message then costs a fraction of a
millisecond.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import threading
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bot.matching.text import tokens

Example = tuple[str, str, float]  # (message, label, weight)
_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern

_FORMAT = 5  # raise when TextClassifier changes: older cached pickles are then not read
KEPT_PER_MODEL = 3  # fitted models of one kind in the cache (a knowledge base and its edits)
_FITTED: dict[str, TextClassifier] = {}  # one fitted classifier per set of examples, per process
_LOCK = threading.Lock()


class TextClassifier:
    def __init__(self, examples: Iterable[Example], regularisation: float, balanced: bool):
        # scikit-learn is imported here, not at start-up: a command that reads no message
        # (check, link, a start) never pays for it.
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        texts, labels, weights = [], [], []
        for message, label, weight in examples:
            texts.append(prepare(message))
            labels.append(label)
            weights.append(weight)
        self.pipeline = make_pipeline(
            make_union(
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
                ),
                TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            ),
            LogisticRegression(
                C=regularisation,
                max_iter=300,
                class_weight="balanced" if balanced else None,
                solver="saga",
                # 1e-2 fits in a fifth of 1e-3's time (17 passes, not 69, over 9,571 route
                # examples) with the same cross-validated accuracy (bench/learned_cv.py).
                tol=1e-2,
                random_state=0,  # saga visits the examples in random order: the same every fit
            ),
        )
        with warnings.catch_warnings():
            # Should saga ever reach max_iter first, the model is still one whose thresholds
            # were measured on held-back messages; a warning would only alarm a maintainer.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.pipeline.fit(texts, labels, logisticregression__sample_weight=weights)
        self.labels: list[str] = [str(label) for label in self.pipeline.classes_]
        # scikit-learn's pipeline costs about a millisecond a message, most of it in checks
        # made for whole batches; the same arithmetic on one message's few hundred features
        # costs a tenth of that (a test holds it equal to predict_proba). Kept as plain words
        # and numbers, the fitted model is read back without importing scikit-learn (a second
        # a process).
        union, regression = self.pipeline.steps[0][1], self.pipeline.steps[1][1]
        self._features: list[_Features] = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            self._features.append(_Features(vectorizer, offset))
            offset += len(vectorizer.vocabulary_)
        self._weights = regression.coef_
        self._intercept = regression.intercept_

    def __getstate__(self) -> dict:
        """What the cache keeps: everything but scikit-learn's own objects."""
        return {k: v for k, v in self.__dict__.items() if k != "pipeline"}

    def probabilities(
        self, text: str, needs_words: int = 0, saying_nothing: frozenset[str] = frozenset()
    ) -> dict[str, float]:
        """Label -> probability; empty for a message without words. `needs_words`: also empty
        for a message with fewer different words the classifier learned, or with only words
        `saying_nothing` among them. Without any, only letter groups of unknown words speak
        ("qwxyz blorp") and the chances are the labels' priors dressed up as a judgement; with
        one ("mama", "bericht 5"), or only little ones ("you're"), they are what those words
        happened to stand beside in the examples."""
        return self.probabilities_of(prepare(text), needs_words, saying_nothing)

    def probabilities_of(
        self, prepared: str, needs_words: int = 0, saying_nothing: frozenset[str] = frozenset()
    ) -> dict[str, float]:
        """`probabilities` of a message already through `prepare`, for a caller that looked
        at it first."""
        import numpy as np

        if not prepared:
            return {}
        if needs_words:
            for features in self._features:
                if features.letters:
                    continue
                said = features.words_learned(prepared)
                if len(said) < needs_words or said <= saying_nothing:
                    return {}
        z = self._intercept.copy()
        for features in self._features:
            indices, values = features.of(prepared)
            if len(indices):
                z += self._weights[:, indices] @ values
        if len(z) == 1:  # two labels: one logistic curve
            positive = 1.0 / (1.0 + np.exp(-z[0]))
            row = [1.0 - positive, positive]
        else:
            e = np.exp(z - z.max())
            row = e / e.sum()
        return dict(zip(self.labels, (float(p) for p in row), strict=True))


class _Features:
    """One vectorizer's tf-idf features of one message, as scikit-learn computes them (its
    n-grams, sublinear tf, idf, l2 norm), for the few features a message has."""

    def __init__(self, vectorizer, offset: int):
        self.letters = vectorizer.analyzer == "char_wb"  # else words
        self.sizes = range(vectorizer.ngram_range[0], vectorizer.ngram_range[1] + 1)
        self.vocabulary: dict[str, int] = {g: int(i) for g, i in vectorizer.vocabulary_.items()}
        self.idf = vectorizer.idf_
        self.offset = offset

    def grams(self, prepared: str) -> list[str]:
        """scikit-learn's char_wb or word n-grams of an already lower-cased message."""
        grams: list[str] = []
        prepared = prepared.lower()
        if self.letters:
            for word in prepared.split():
                padded = f" {word} "
                for n in self.sizes:
                    grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
                    if len(padded) <= n:
                        break  # a short word counts once, as itself
            return grams
        words = _WORD.findall(prepared)
        for n in self.sizes:
            grams.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
        return grams

    def words_learned(self, prepared: str) -> set[str]:
        """The message's words that are features themselves (of a word vectorizer)."""
        return {w for w in _WORD.findall(prepared.lower()) if w in self.vocabulary}

    def of(self, prepared: str):
        import numpy as np

        counts = Counter(
            i for gram in self.grams(prepared) if (i := self.vocabulary.get(gram)) is not None
        )
        indices = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=float, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[indices]
        norm = float(np.sqrt(values @ values))
        return indices + self.offset, (values / norm if norm else values)


def classifier_for(
    name: str, examples: list[Example], regularisation: float = 4.0, balanced: bool = False
) -> TextClassifier:
    """The classifier for exactly these examples: fitted once per process, and read from the
    user's cache when fitted before."""
    from importlib.metadata import version

    settings = (name, _FORMAT, version("scikit-learn"), regularisation, balanced)
    key = hashlib.sha256(repr((settings, sorted(examples))).encode()).hexdigest()[:32]
    with _LOCK:
        if key not in _FITTED:
            _FITTED[key] = _cached(name, key) or _fitted(
                name, key, TextClassifier(examples, regularisation, balanced)
            )
        return _FITTED[key]


def prepare(text: str) -> str:
    return " ".join(tokens(text))


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "routewijzer"


def _cached(name: str, key: str) -> TextClassifier | None:
    """A classifier fitted before on exactly these examples, by this user (the directory is
    the bot user's own, 0700)."""
    path = _cache_dir() / f"{name}-{key}.pickle"
    try:
        if path.stat().st_uid != os.getuid():
            return None
        with path.open("rb") as file:
            model = pickle.load(file)
        return model if isinstance(model, TextClassifier) else None
    except (OSError, pickle.UnpicklingError, AttributeError, EOFError, ImportError):
        return None


def _fitted(name: str, key: str, model: TextClassifier) -> TextClassifier:
    directory = _cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = directory / f".{name}-{key}.{os.getpid()}"
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            pickle.dump(model, f)
        partial.replace(directory / f"{name}-{key}.pickle")
        # Only the newest few of each kind are kept: every edit of the examples or services
        # would otherwise leave tens of megabytes behind.
        current = f"{name}-{key}.pickle"
        others = [p for p in directory.glob(f"{name}-*.pickle") if p.name != current]
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for older in others[KEPT_PER_MODEL - 1 :]:
            older.unlink(missing_ok=True)
    except OSError:
        pass  # no cache (read-only home): fitted again next start, nothing worse
    return model
