"""The learned second opinion beside the crisis rules.

The rules in knowledge/crisis.yaml catch the situations someone thought of; residents describe
emergencies in more ways than anyone writes down, and write harmless messages that contain the
rules' words. A classifier (learned.py) trained on knowledge/crisis_examples.yaml (emergencies and
look-alikes written from public descriptions, never from the held-out set) weighs every message
the rules see, and the detector combines both opinions (`CrisisDetector.combine`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.model import KnowledgeBase
from bot.matching.learned import Example, TextClassifier, classifier_for

NO_EMERGENCY = "none"

# The classifier's settings (bench/learned_cv.py fits the same to measure them).
REGULARISATION = 4.0
BALANCED = True
# The model judges only a message with at least this many different words it learned, not all
# of them stop words; otherwise the rules decide alone. One word says too little: "mama" stood
# mostly beside emergencies in the examples and got a 99.6 % chance of a child in danger,
# "bericht 5" 67 % of suicide, and "you're" is two little words. An emergency in one word
# ("zelfmoord", "suicide") is the rules' to catch. Stop words count towards the number: in
# "wat heeft het nog voor zin" or "i just want it to stop" they carry the despair. Chosen by
# cross-validation (bench/learned_cv.py crisis): no development emergency the rules miss is
# left to the rules by 2 (54 of 16,557 messages are), 3 would leave "slaat hem".
MIN_WORDS = 2


@dataclass(frozen=True)
class Opinion:
    """How likely the model finds it that a message is an emergency, and which kind."""

    chance: float
    rule_id: str


class CrisisModel:
    def __init__(self, classifier: TextClassifier, min_words: int = MIN_WORDS):
        self.classifier = classifier
        self.min_words = min_words

    def assess(self, text: str) -> Opinion | None:
        """None for a message with too few words the model learned (MIN_WORDS): gibberish,
        or a single word, is no evidence of an emergency whatever the examples made of it."""
        probabilities = self.classifier.probabilities(text, needs_words=self.min_words)
        rules = [r for r in probabilities if r != NO_EMERGENCY]
        if not rules:
            return None
        rule = max(rules, key=probabilities.__getitem__)
        return Opinion(1.0 - probabilities.get(NO_EMERGENCY, 0.0), rule)


def model_for(kb: KnowledgeBase) -> CrisisModel | None:
    """The model for this knowledge's examples, fitted once and shared; None without examples."""
    examples = crisis_examples(kb)
    if not any(label != NO_EMERGENCY for _, label, _ in examples):
        return None
    return CrisisModel(classifier_for("crisis-model", examples, REGULARISATION, BALANCED))


def crisis_examples(kb: KnowledgeBase) -> list[Example]:
    """What the model learns from. The services' own example questions are no emergencies:
    they teach it ordinary needs too."""
    examples = [
        (message, label, 1.0)
        for label, messages in kb.crisis_examples.items()
        for message in messages
    ]
    for service in kb.services.values():
        if not service.urgent:
            examples += [
                (e, NO_EMERGENCY, 1.0) for items in service.examples.values() for e in items
            ]
    return examples
