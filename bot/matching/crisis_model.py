"""A learned safety net under the crisis rules.

The rules in knowledge/crisis.yaml catch the situations someone thought of; residents describe
emergencies in more ways than anyone writes down. This model learns from the messages in
knowledge/crisis_examples.yaml (written from public descriptions, never from the held-out set)
how emergencies are put into words: letter n-grams within words (so typos, compounds and word
forms still meet) and words and word pairs. When the rules find nothing but the model is
confident enough that a message is an emergency, the resident gets their answer with one
safety line and an "Ik ben nu in gevaar" button: never the emergency reply on a guess alone.

scikit-learn's logistic regression is the standard, well-tested tool for exactly this: fitted
in one to two seconds when a message first needs it (and kept in the user's cache directory, so
the next start reads it in milliseconds), a message costs a fraction of a millisecond.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
import warnings
from pathlib import Path

from bot.knowledge.model import KnowledgeBase
from bot.matching.text import tokens

NO_EMERGENCY = "none"
# Chosen on the development sets by 5-fold cross-validation: the rules alone find 72 % of their
# emergencies, rules and model together 95.7 %, with a safety line on 1.6 % of ordinary needs
# (6.8 % of all harmless messages, most of them look-alikes written to sound alarming).
THRESHOLD = 0.7

_MODELS: dict[str, CrisisModel] = {}  # one fitted model per set of examples, per process
_LOCK = threading.Lock()


class CrisisModel:
    def __init__(self, examples: dict[str, list[str]]):
        # scikit-learn is imported here, not at start-up: a command that reads no message
        # (check, link, a start) never pays for it.
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        texts, labels = [], []
        for label, messages in examples.items():
            for message in messages:
                texts.append(_prepare(message))
                labels.append(label)
        self.pipeline = make_pipeline(
            make_union(
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
                ),
                TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            ),
            LogisticRegression(C=4, max_iter=300, class_weight="balanced", solver="saga", tol=1e-3),
        )
        with warnings.catch_warnings():
            # saga stops at max_iter a little before full convergence: enough for a threshold
            # measured on held-back messages, and it keeps the fit near a second.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.pipeline.fit(texts, labels)
        self.labels = list(self.pipeline.classes_)

    def assess(self, text: str) -> tuple[str, float] | None:
        """(the crisis rule it most looks like, the chance it is an emergency), when that
        chance reaches the threshold; None otherwise."""
        prepared = _prepare(text)
        if not prepared:
            return None
        probabilities = dict(
            zip(self.labels, self.pipeline.predict_proba([prepared])[0], strict=True)
        )
        emergency = 1.0 - probabilities.get(NO_EMERGENCY, 0.0)
        if emergency < THRESHOLD:
            return None
        rule = max((r for r in probabilities if r != NO_EMERGENCY), key=probabilities.__getitem__)
        return rule, emergency


def model_for(kb: KnowledgeBase) -> CrisisModel | None:
    """The model for this knowledge's examples, fitted once and shared; None without examples.

    The services' own example questions are no emergencies: they teach it ordinary needs too."""
    examples = {label: list(messages) for label, messages in kb.crisis_examples.items()}
    if not any(label != NO_EMERGENCY for label in examples):
        return None
    ordinary = examples.setdefault(NO_EMERGENCY, [])
    for service in kb.services.values():
        if service.urgent:
            continue
        ordinary.extend(e for items in service.examples.values() for e in items)
    from importlib.metadata import version

    key = hashlib.sha256(
        repr((version("scikit-learn"), THRESHOLD, sorted(examples.items()))).encode()
    ).hexdigest()[:32]
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = _cached(key) or _fitted(key, examples)
        return _MODELS[key]


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "routewijzer"


def _cached(key: str) -> CrisisModel | None:
    """A model fitted before on exactly these examples, by this user (the directory is the
    bot user's own, 0700): reading it takes milliseconds instead of a second or two."""
    path = _cache_dir() / f"crisis-model-{key}.pickle"
    try:
        if path.stat().st_uid != os.getuid():
            return None
        with path.open("rb") as file:
            model = pickle.load(file)
        return model if isinstance(model, CrisisModel) else None
    except (OSError, pickle.UnpicklingError, AttributeError, EOFError, ImportError):
        return None


def _fitted(key: str, examples: dict[str, list[str]]) -> CrisisModel:
    model = CrisisModel(examples)
    directory = _cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = directory / f".crisis-model-{key}.{os.getpid()}"
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            pickle.dump(model, f)
        partial.replace(directory / f"crisis-model-{key}.pickle")
    except OSError:
        pass  # no cache (read-only home): fitted again next start, nothing worse
    return model


def _prepare(text: str) -> str:
    return " ".join(tokens(text))
