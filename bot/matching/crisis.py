"""Emergency detection: runs first on every free-text message.

Tolerant where it matters (typos in long words, one word in between: "mijn man slaat me
echt"), strict where a false alarm would hijack an ordinary question:
- phrases match whole words ("brand" is not "brandweer");
- short words match exactly or by their stem, never by similarity ("slaat" is not "staat");
- a typo is only a typo when the typed word is not itself a real word the bot knows
  ("gestolen" is not a typo of "gestoken"): the knowledge base's own vocabulary plus the
  crisis file's `not_typos` list;
- a rule's `unless` words ("cursus", "vorig jaar") make one alarming phrase harmless; two
  different alarming phrases in one message still count.
Stop words are kept here: "niet meer leven" needs its "niet".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from bot.knowledge.model import CrisisRule, KnowledgeBase
from bot.matching.profile import writer_group
from bot.matching.text import stem, tokens

MAX_GAP = 1  # words allowed between the words of a phrase, in total
MIN_STEM_LENGTH = 5  # "been" and "ben" share a stem; only longer words may meet on theirs
MIN_TYPO_LENGTH = 7  # shorter words have too many real neighbours to guess at typos


@dataclass(frozen=True)
class CrisisHit:
    """The emergency found: the rules that fired, their services in order, and why."""

    rule_ids: tuple[str, ...]
    service_ids: tuple[str, ...]
    phrases: tuple[str, ...]


class CrisisDetector:
    def __init__(self, kb: KnowledgeBase):
        self.rules: list[tuple[CrisisRule, list[Phrase], list[tuple[str, ...]]]] = []
        for rule in kb.crisis:
            # Each phrase once, though it may stand in several languages ("suicide").
            phrases = list(dict.fromkeys(_parts(p) for ps in rule.phrases.values() for p in ps))
            unless = [tuple(tokens(p)) for ps in rule.unless.values() for p in ps]
            self.rules.append((rule, [p for p in phrases if p], [u for u in unless if u]))
        self.real_words = _vocabulary(kb)
        self.phrase_words = frozenset(
            w for _, phrases, _ in self.rules for p in phrases for part in p for w in part
        )
        self._long_words = [w for w in self.phrase_words if len(w) >= MIN_TYPO_LENGTH]
        self._meets = lru_cache(maxsize=65536)(self._phrase_words_met)
        self._harmless = lru_cache(maxsize=65536)(self._unless_word)

    def detect(self, text: str) -> CrisisHit | None:
        words = tokens(text)
        if not words:
            return None
        writer = writer_group(text)
        met = frozenset().union(*(self._meets(w) for w in set(words)))
        if not met:
            return None

        def same(typed: str, wanted: str) -> bool:
            return wanted in self._meets(typed)

        rule_ids: list[str] = []
        services: list[str] = []
        phrases: list[str] = []
        for rule, rule_phrases, unless in self.rules:
            if rule.audience and writer not in rule.audience:
                continue
            found = [
                p for p in rule_phrases
                if all(w in met for part in p for w in part)  # cheap test before the real one
                and all(self._find(words, part, MAX_GAP, same) for part in p)
            ]
            if not found:
                continue
            # An `unless` word makes one alarming phrase harmless ("EHBO cursus bewusteloos");
            # two different ones still make an emergency ("wesp gestoken, kan niet ademen").
            if len(found) < 2 and any(self._find(words, u, 0, self._harmless) for u in unless):
                continue
            rule_ids.append(rule.id)
            phrases.append(" + ".join(" ".join(part) for part in found[0]))
            services.extend(s for s in rule.services if s not in services)
        if not rule_ids:
            return None
        return CrisisHit(tuple(rule_ids), tuple(services), tuple(phrases))

    def _phrase_words_met(self, typed: str) -> frozenset[str]:
        """Every phrase word this typed word counts as; worked out once per typed word."""
        candidates = {typed} & self.phrase_words
        if len(typed) >= MIN_STEM_LENGTH:
            candidates |= {w for w in self.phrase_words if w[:2] == typed[:2]}
        candidates |= {w for w in self._long_words if abs(len(w) - len(typed)) <= 2}
        candidates |= {w for w in self._long_words if typed.startswith(w)}
        return frozenset(w for w in candidates if self._same_word(typed, w))

    def _same_word(self, typed: str, wanted: str) -> bool:
        if typed == wanted:
            return True
        if min(len(typed), len(wanted)) >= MIN_STEM_LENGTH and stem(typed) == stem(wanted):
            return True
        if len(wanted) < MIN_TYPO_LENGTH:
            return False
        if len(typed) > len(wanted) and typed.startswith(wanted):
            return True  # a compound: "zelfmoordgedachten" holds "zelfmoord"
        if typed in self.real_words:
            return False
        allowed = 2 if len(wanted) >= 10 else 1
        if abs(len(typed) - len(wanted)) > allowed:
            return False
        return Levenshtein.distance(typed, wanted, score_cutoff=allowed) <= allowed

    @staticmethod
    def _unless_word(typed: str, wanted: str) -> bool:
        """Harmless words match generously: any form ("boeken" for "boek") and compounds
        ("reanimatiecursus", "filmavond"), because a missed `unless` only means a false alarm
        and a matched one must never hide a real emergency: they are chosen with care."""
        if typed == wanted or stem(typed) == stem(wanted):
            return True
        return len(wanted) >= 4 and (typed.startswith(wanted) or typed.endswith(wanted))

    @staticmethod
    def _find(words: list[str], phrase: tuple[str, ...], max_gap: int, same) -> bool:
        """Whether the phrase's words occur in order, with at most `max_gap` words between."""

        def search(pos: int, part: int, gap_left: int) -> bool:
            if part == len(phrase):
                return True
            limit = len(words) if part == 0 else min(len(words), pos + gap_left + 1)
            for i in range(pos, limit):
                if same(words[i], phrase[part]):
                    used = 0 if part == 0 else i - pos
                    if search(i + 1, part + 1, gap_left - used):
                        return True
            return False

        return search(0, 0, max_gap)


Phrase = tuple[tuple[str, ...], ...]


def _parts(phrase: str) -> Phrase:
    """'koorts + weekend': every part must occur, in any order; a plain phrase has one part."""
    return tuple(part for part in (tuple(tokens(p)) for p in phrase.split(" + ")) if part)


def _vocabulary(kb: KnowledgeBase) -> frozenset[str]:
    """Real words the bot knows: a message word among them is meant as written."""
    texts: list[str] = [*kb.crisis_not_typos]
    for service in kb.services.values():
        texts.append(service.name)
        texts.extend(service.description.values())
        for group in (service.keywords, service.examples):
            for items in group.values():
                texts.extend(items)
    for table in kb.synonyms.values():
        for key, values in table.items():
            texts.append(key)
            texts.extend(values)
    crisis_words = {w for rule in kb.crisis for ps in rule.phrases.values() for p in ps
                    for w in tokens(p.replace("+", " "))}
    return frozenset(w for text in texts for w in tokens(text)) - crisis_words
