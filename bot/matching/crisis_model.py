"""A learned safety net under the crisis rules.

The rules in knowledge/crisis.yaml catch the situations someone thought of; residents describe
emergencies in more ways than anyone writes down. This model learns from the messages in
knowledge/crisis_examples.yaml (written from public descriptions, never from the held-out set)
how emergencies are put into words: letter n-grams within words (so typos, compounds and word
forms still meet) and words and word pairs. When the rules find nothing but the model is
confident enough that a message is an emergency, the resident gets their answer with one
safety line and an "Ik ben nu in gevaar" button: never the emergency reply on a guess alone.

scikit-learn's logistic regression is the standard, well-tested tool for exactly this: fitted
once per process in one to two seconds, a message costs a fraction of a millisecond.
"""

from __future__ import annotations

import hashlib
import threading
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

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
    key = hashlib.sha256(repr(sorted(examples.items())).encode()).hexdigest()
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = CrisisModel(examples)
        return _MODELS[key]


def _prepare(text: str) -> str:
    return " ".join(tokens(text))
