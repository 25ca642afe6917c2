"""The learned router: which service a message looks like, from messages residents wrote.

Keywords and synonyms find a service when the resident uses a word the knowledge knows;
residents mostly describe a situation instead ("de brieven stapelen zich op", "my mum keeps
forgetting to eat"). A classifier (learned.py) trained on knowledge/route_examples.yaml
(development messages labelled with the places that answer them, never the held-out set) and on
every service's own examples adds its judgement to the keyword score in the matcher.
"""

from __future__ import annotations

from collections import Counter

from bot.knowledge.model import KnowledgeBase
from bot.matching.learned import Example, TextClassifier, classifier_for

# The classifier's settings (bench/learned_cv.py fits the same to measure them).
REGULARISATION = 20.0
BALANCED = False
# How far the router's chances are evened out for places many labels accept (see Router).
# Chosen by 5-fold cross-validation on the development sets (bench/learned_cv.py router).
EVENING = 0.5


class Router:
    """The classifier's chances, evened out for how often a place was a label.

    The front door (a buurtteam) is a right answer to so many messages that the classifier
    learns to guess it whenever it is unsure, and so it came first where a specific place was
    meant. Dividing each chance by the square root of its place's share of the examples
    (`EVENING`) takes part of that head start away; balancing the classes completely cost more
    places in the top 3 than it won first places."""

    def __init__(self, classifier: TextClassifier, examples: list[Example],
                 evening: float = EVENING):
        self.classifier = classifier
        shares: Counter[str] = Counter()
        for _, service_id, weight in examples:
            shares[service_id] += weight
        whole = sum(shares.values())
        self._factor = {s: (whole / share) ** evening for s, share in shares.items()}

    def chances(self, text: str) -> dict[str, float]:
        """Service id -> chance that the message is about it; empty for a message without
        words."""
        evened = {
            service_id: p * self._factor.get(service_id, 1.0)
            for service_id, p in self.classifier.probabilities(text).items()
        }
        whole = sum(evened.values())
        return {s: p / whole for s, p in evened.items()} if whole else {}


def router_for(kb: KnowledgeBase) -> Router | None:
    """The router for this knowledge, fitted once and shared; None without route examples."""
    examples = route_examples(kb)
    if len({service_id for _, service_id, _ in examples}) < 2:
        return None
    return Router(classifier_for("router", examples, REGULARISATION, BALANCED), examples)


def route_examples(kb: KnowledgeBase) -> list[Example]:
    """What the router learns from: the places residents' messages were written about, with
    their own examples beside them; a place nobody has written about yet is found by its
    keywords alone. A message that fits several places counts fully for each of them: the
    router is asked which place is a right answer, and each of them is (counted in part, a
    place that shares its messages with the front door lost to it more often)."""
    labelled: list[tuple[str, str]] = [
        (message, service_id)
        for service_id, messages in kb.route_examples.items()
        if service_id in kb.services
        for message in messages
    ]
    for service_id in {service_id for _, service_id in labelled}:
        examples = kb.services[service_id].examples.values()
        labelled += [(e, service_id) for items in examples for e in items]
    return [(message, service_id, 1.0) for message, service_id in sorted(set(labelled))]
