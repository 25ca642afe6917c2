"""Emergency detection: runs first on every free-text message.

Tolerant where it matters (typos, a word or two in between: "mijn man slaat me echt"),
strict where a false alarm would hijack an ordinary question: phrases must match whole
words ("brand" is not "brandweer"), and a rule's `unless` words ("cursus", "open dag")
turn it off. Stop words are kept here: "niet meer leven" needs its "niet".
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from bot.knowledge.model import CrisisRule, KnowledgeBase
from bot.matching.text import stem, tokens

MAX_GAP = 2  # words allowed between the words of a phrase


@dataclass(frozen=True)
class CrisisHit:
    """The emergency found: the rules that fired, their services in order, and why."""

    rule_ids: tuple[str, ...]
    service_ids: tuple[str, ...]
    phrases: tuple[str, ...]


def _same_word(typed: str, wanted: str) -> bool:
    if typed == wanted or stem(typed) == stem(wanted):
        return True
    if len(wanted) >= 6 and len(typed) > len(wanted) and typed.startswith(wanted):
        return True  # "zelfmoordgedachten" contains "zelfmoord"
    if len(wanted) < 5 or abs(len(typed) - len(wanted)) > 2:
        return False
    allowed = 2 if len(wanted) >= 9 else 1
    return Levenshtein.distance(typed, wanted, score_cutoff=allowed) <= allowed


def _find(words: list[str], phrase: tuple[str, ...], max_gap: int) -> bool:
    """Whether the phrase's words occur in order, with at most `max_gap` words between."""

    def search(pos: int, part: int, gap_left: int) -> bool:
        if part == len(phrase):
            return True
        limit = len(words) if part == 0 else min(len(words), pos + gap_left + 1)
        for i in range(pos, limit):
            if _same_word(words[i], phrase[part]):
                used = 0 if part == 0 else i - pos
                if search(i + 1, part + 1, gap_left - used):
                    return True
        return False

    return search(0, 0, max_gap)


class CrisisDetector:
    def __init__(self, kb: KnowledgeBase):
        self.rules: list[tuple[CrisisRule, list[tuple[str, ...]], list[tuple[str, ...]]]] = []
        for rule in kb.crisis:
            phrases = [tuple(tokens(p)) for ps in rule.phrases.values() for p in ps]
            unless = [tuple(tokens(p)) for ps in rule.unless.values() for p in ps]
            self.rules.append((rule, [p for p in phrases if p], [u for u in unless if u]))

    def detect(self, text: str, audience: str | None = None) -> CrisisHit | None:
        words = tokens(text)
        if not words:
            return None
        rule_ids: list[str] = []
        services: list[str] = []
        phrases: list[str] = []
        for rule, rule_phrases, unless in self.rules:
            if rule.audience and audience not in rule.audience:
                continue
            hit = next((p for p in rule_phrases if _find(words, p, MAX_GAP)), None)
            if hit is None or any(_find(words, u, 0) for u in unless):
                continue
            rule_ids.append(rule.id)
            phrases.append(" ".join(hit))
            services.extend(s for s in rule.services if s not in services)
        if not rule_ids:
            return None
        return CrisisHit(tuple(rule_ids), tuple(services), tuple(phrases))
