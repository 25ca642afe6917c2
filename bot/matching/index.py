"""The search index: built once per knowledge base, so a question costs only look-ups.

Every word of every service (keywords, name, example questions, description) becomes a
term: its Dutch and English stems. A term's weight in a service is the weight of the best
field it appears in; its rarity across services (idf) decides how much a hit is worth, so
"schulden" counts for more than "zorg". Multi-word keywords ("rood staan") are also kept
whole as phrase terms. Synonyms are normalised here too, so the query side only looks up.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from bot.knowledge.model import KnowledgeBase, Service
from bot.matching.stemming import STEMMERS as FOREIGN_STEMMERS
from bot.matching.text import content_words, stem, stem_en, tokens

FIELD_WEIGHTS = {"keywords": 3.0, "name": 2.5, "examples": 1.2, "description": 0.8}
MAX_PHRASE_WORDS = 4
PHRASE_PART_SHARE = 0.5
MIN_FUZZY_LENGTH = 4
MAX_CACHED_ROOTS = 65536
MIN_ROOT_LENGTH = 4  # a synonym word this long also finds longer words that begin with it
MIN_NUMBER_LENGTH = 3  # a number alone is a term only from 3 digits: "112", "113"


def word_terms(word: str) -> frozenset[str]:
    """The index terms of one folded word: its Dutch and English stems."""
    return frozenset((stem(word), stem_en(word)))


def phrase_term(words: list[str]) -> str:
    return " ".join(stem(w) for w in words)


@dataclass
class SearchIndex:
    """Inverted index from terms to services, with everything the matcher looks up."""

    service_count: int
    postings: dict[str, dict[str, float]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)
    words: dict[str, frozenset[str]] = field(default_factory=dict)
    synonyms: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    longest_synonym: int = 1
    fuzzy_words: list[str] = field(default_factory=list)
    # Synonyms of the residents' own languages by their stems ("tr:borç" -> schulden), so every
    # form of a word finds them ("borçlarım", "borcum"); see bot/matching/stemming.py.
    foreign: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    longest_foreign: int = 1
    foreign_roots: dict[str, set[str]] = field(default_factory=dict)
    _roots: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    # First words of the multi-word foreign synonyms, by stem ("tr:aile") and as written
    # ("tr~aile"): a phrase is only looked for where one of them stands.
    _foreign_firsts: set[str] = field(default_factory=set, repr=False)
    _groups: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def build(cls, kb: KnowledgeBase) -> SearchIndex:
        index = cls(service_count=len(kb.services))
        postings: dict[str, dict[str, float]] = defaultdict(dict)
        places = _place_words(kb)
        for service in kb.services.values():
            for field_name, texts in _fields(service):
                weight = FIELD_WEIGHTS[field_name]
                # A neighbourhood named in a description or an example ("voor Lunetten,
                # Hoograven, ...") is about where, which the district handles. Names and
                # keywords keep it ("Bibliotheek Lunetten"), to tell places of one district apart.
                skip = places if field_name in ("description", "examples") else frozenset()
                # A number in a description or example is a phone number, a year or an age:
                # a resident's "80" or "2016" must not find it. Names and keywords keep theirs
                # ("113", "14 030"), which residents do type.
                numbers = field_name in ("keywords", "name")
                for text in texts:
                    index._add_text(
                        postings, service.id, text, weight, field_name == "keywords", skip, numbers
                    )
        index.postings = dict(postings)
        n = max(index.service_count, 1)
        index.idf = {t: math.log(1 + n / len(p)) for t, p in index.postings.items()}
        index.fuzzy_words = sorted(w for w in index.words if len(w) >= MIN_FUZZY_LENGTH)
        index._add_synonyms(kb)
        return index

    def _add_text(
        self,
        postings,
        service_id: str,
        text: str,
        weight: float,
        whole: bool,
        skip: frozenset[str] = frozenset(),
        numbers: bool = True,
    ) -> None:
        words = [w for w in content_words(text) if w not in skip and (numbers or not w.isdigit())]
        if whole and len(words) > 1:
            # "blauwe plekken" is about bruises; "plekken" on its own is not: the words of a
            # multi-word keyword count for less alone than the whole phrase does.
            weight *= PHRASE_PART_SHARE
        for word in words:
            if word.isdigit() and len(word) < MIN_NUMBER_LENGTH:
                continue  # "14" of "14 030" alone is an age or a house number; the phrase counts
            terms = self.words.get(word) or word_terms(word)
            self.words[word] = terms
            for term in terms:
                self.display.setdefault(term, word)
                if postings[term].get(service_id, 0.0) < weight:
                    postings[term][service_id] = weight
        if whole and 2 <= len(words) <= MAX_PHRASE_WORDS:
            term = phrase_term(words)
            self.display.setdefault(term, text.strip().lower())
            phrase_weight = FIELD_WEIGHTS["keywords"] * 1.5
            postings[term][service_id] = max(postings[term].get(service_id, 0.0), phrase_weight)

    def _add_synonyms(self, kb: KnowledgeBase) -> None:
        """Key (folded words joined by a space) -> the canonical word groups it stands for."""
        merged: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for table in kb.synonyms.values():
            for key, canonical in table.items():
                folded = " ".join(tokens(key))
                if not folded:
                    continue
                for value in canonical:
                    words = tuple(content_words(value))
                    if words and words not in merged[folded]:
                        merged[folded].append(words)
                self.longest_synonym = max(self.longest_synonym, len(folded.split()))
        self.synonyms = {k: tuple(v) for k, v in merged.items()}
        self._add_foreign(kb)

    def _add_foreign(self, kb: KnowledgeBase) -> None:
        merged: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for lang, stemmer in FOREIGN_STEMMERS.items():
            roots = self.foreign_roots.setdefault(lang, set())
            for key, canonical in kb.synonyms.get(lang, {}).items():
                words = tokens(key)
                if not words:
                    continue
                roots.update(w for w in words if len(w) >= MIN_ROOT_LENGTH)
                stemmed = f"{lang}:" + " ".join(stemmer(w) for w in words)
                whole = f"{lang}~" + " ".join(words)
                if len(words) > 1:
                    self._foreign_firsts.update(
                        (f"{lang}:{stemmer(words[0])}", f"{lang}~{words[0]}")
                    )
                for term in (stemmed, whole):
                    for value in canonical:
                        group = tuple(content_words(value))
                        if group and group not in merged[term]:
                            merged[term].append(group)
                self.longest_foreign = max(self.longest_foreign, len(words))
        self.foreign = {k: tuple(v) for k, v in merged.items()}

    def foreign_groups(self, words: list[str]) -> tuple[tuple[str, ...], ...]:
        """The canonical word groups these words (one or a phrase) stand for in any of the
        residents' own languages, whatever form they are written in: by the language's stem,
        or else by the longest word of its synonyms each word begins with ("faturalarımı"
        begins with "fatura"), which catches suffixes a stemmer leaves on."""
        if not self.foreign:
            return ()
        key = tuple(words)
        cached = self._groups.get(key)
        if cached is not None:
            return cached
        if len(self._groups) > MAX_CACHED_ROOTS:
            self._groups.clear()  # any words may arrive: the cache must not grow forever
        found: list[tuple[str, ...]] = []
        for lang, stemmer in FOREIGN_STEMMERS.items():
            groups = self.foreign.get(f"{lang}:" + " ".join(stemmer(w) for w in words))
            if not groups:
                rooted = " ".join(self._root(lang, w) for w in words)
                groups = self.foreign.get(f"{lang}~{rooted}")
            if groups:
                found.extend(groups)
        self._groups[key] = tuple(found)
        return self._groups[key]

    def may_start_foreign_phrase(self, word: str) -> bool:
        """Whether a multi-word synonym of a resident language can begin with this word."""
        return any(
            f"{lang}:{stemmer(word)}" in self._foreign_firsts
            or f"{lang}~{self._root(lang, word)}" in self._foreign_firsts
            for lang, stemmer in FOREIGN_STEMMERS.items()
        )

    def _root(self, lang: str, word: str) -> str:
        key = (lang, word)
        if key not in self._roots:
            if len(self._roots) > MAX_CACHED_ROOTS:
                self._roots.clear()  # any word may arrive: the cache must not grow forever
            roots = self.foreign_roots.get(lang, set())
            self._roots[key] = word if word in roots else next(
                (word[:k] for k in range(len(word) - 1, MIN_ROOT_LENGTH - 1, -1)
                 if word[:k] in roots),
                word,
            )
        return self._roots[key]

    def known(self, term: str) -> bool:
        return term in self.postings


def _place_words(kb: KnowledgeBase) -> frozenset[str]:
    """Single-word place names residents use: lunetten, hoograven, oudwijk, oost, zuid."""
    names = [name for area in kb.areas.values() for name in area.place_names]
    return frozenset(word for name in names if len(words := tokens(name)) == 1 for word in words)


def _fields(service: Service) -> list[tuple[str, list[str]]]:
    keywords = [k for words in service.keywords.values() for k in words]
    examples = [e for items in service.examples.values() for e in items]
    return [
        ("keywords", keywords),
        ("name", [service.name]),
        ("examples", examples),
        ("description", list(service.description.values())),
    ]
