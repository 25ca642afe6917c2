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
from bot.matching.learned import Example, TextClassifier, classifier_for, prepare
from bot.matching.text import STOP_WORDS, tokens

NO_EMERGENCY = "none"
MODEL_LANGUAGES = ("nl", "en")  # what the examples are written in
DANGER_BUTTONS = frozenset({"button_in_danger"})  # "Ik ben nu in gevaar" is no everyday word

# The classifier's settings (bench/learned_cv.py fits the same to measure them).
REGULARISATION = 4.0
BALANCED = True
# The model judges only a message with at least this many different words it learned, not all
# of them everyday words (see CrisisModel); otherwise the rules decide alone. One word says too
# little: "mama" stood mostly beside emergencies in the examples and got a 99.6 % chance of a
# child in danger, "bericht 5" 67 % of suicide, and "you're" is two little words. An emergency
# in one word ("zelfmoord", "suicide") is the rules' to catch. Stop words count towards the
# number: in "wat heeft het nog voor zin" or "i just want it to stop" they carry the despair.
# Chosen by cross-validation (bench/learned_cv.py crisis): no development emergency the rules
# miss is left to the rules by 2 (54 of 16,557 messages are), 3 would leave "slaat hem".
MIN_WORDS = 2


@dataclass(frozen=True)
class Opinion:
    """How likely the model finds it that a message is an emergency, and which kind."""

    chance: float
    rule_id: str


class CrisisModel:
    """The model judges only a message that says something besides `everyday` words (the stop
    words, and the knowledge's words for people, whom and where, `everyday_words`), not one of
    the bot's own button `labels` typed. The examples use family words mostly in emergencies
    ("mijn vader slaat me"), so the model heard a child in danger in "my dad" (95 %) and
    suicide in the typed answer "Voor mezelf" (81 %) and "Weet ik niet" (77 %); learning those
    few phrases as harmless did not outweigh hundreds of emergencies (still 59-95 %)."""

    def __init__(
        self,
        classifier: TextClassifier,
        min_words: int = MIN_WORDS,
        everyday: frozenset[str] = STOP_WORDS,
        labels: frozenset[str] = frozenset(),
    ):
        self.classifier = classifier
        self.min_words = min_words
        self.everyday = everyday
        self.labels = labels

    @classmethod
    def of(cls, kb: KnowledgeBase, classifier: TextClassifier) -> CrisisModel:
        """The model as the bot uses it, with this knowledge's everyday words and labels."""
        return cls(classifier, everyday=everyday_words(kb), labels=button_labels(kb))

    def assess(self, text: str) -> Opinion | None:
        """None for a message with too few words the model learned (MIN_WORDS), only everyday
        ones, or a button's label: gibberish, "mama" or "Voor mezelf" is no evidence of an
        emergency whatever the examples made of its words."""
        prepared = prepare(text)
        if prepared in self.labels:
            return None
        probabilities = self.classifier.probabilities_of(prepared, self.min_words, self.everyday)
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
    return CrisisModel.of(kb, classifier_for("crisis-model", examples, REGULARISATION, BALANCED))


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


def everyday_words(kb: KnowledgeBase) -> frozenset[str]:
    """The stop words, and the knowledge's words for people (crisis.yaml's `people`), for whom
    the help is for and where the resident lives ("mijn man", "baby", "Lunetten"): on their
    own they say nothing about danger (see CrisisModel)."""
    phrases: list[str] = []
    for concept in kb.crisis_people:
        for lang in MODEL_LANGUAGES:
            phrases += kb.crisis_concepts.get(concept, {}).get(lang, ())
    for audience in kb.audiences.values():
        for lang in MODEL_LANGUAGES:
            phrases += [audience.name.get(lang, ""), *audience.words.get(lang, ())]
    for area in kb.areas.values():
        phrases += [*(area.name.get(lang, "") for lang in MODEL_LANGUAGES), *area.neighbourhoods]
    return STOP_WORDS | {word for phrase in phrases for word in tokens(phrase)}


def button_labels(kb: KnowledgeBase) -> frozenset[str]:
    """The labels of the bot's own buttons, as a resident may type them instead of tapping:
    the answers to its questions (who, where, how urgent), its themes, "Weet ik niet". Only
    the whole label counts: "niet" or "meer" alone still say something in a message."""
    labels: list[str] = []
    for lang in MODEL_LANGUAGES:
        labels += [
            text for key, text in kb.texts.get(lang, {}).items()
            if key.startswith("button_") and key not in DANGER_BUTTONS and "{" not in text
        ]
        labels += [a.name.get(lang, "") for a in kb.audiences.values()]
        labels += [a.name.get(lang, "") for a in kb.areas.values()]
        labels += [t.name.get(lang, "") for t in kb.themes.values()]
    return frozenset(p for label in labels if (p := prepare(label)))
