"""From a resident's words to ranked services, each with the reasons it was chosen.

Two steps, kept apart on purpose:
- `relevance` reads the message once and scores every service on the words alone;
- `rank` orders those candidates for a resident's profile (district, for whom, urgency).
The conversation stores only the candidates (service ids, scores, matched keywords), never
the message, and re-ranks them as the resident answers questions.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from bot.knowledge.model import KnowledgeBase, Service
from bot.matching.index import MAX_PHRASE_WORDS, MIN_FUZZY_LENGTH, SearchIndex, word_terms
from bot.matching.lexicon import is_known_word, warm_up
from bot.matching.profile import Profile, ProfileReader
from bot.matching.route_model import Router, router_for
from bot.matching.text import STOP_WORDS, WEAK_WORDS, stem, tokens

SYNONYM_QUALITY = 0.9
COMPOUND_QUALITY = 0.7
FUZZY_QUALITY = 0.8
FUZZY_SPREAD = 5  # similarity points a second typo guess may lie below the best one
PLACE_QUALITY = 0.25
AUDIENCE_QUALITY = 0.35  # "kind", "moeder": who the help is for, hardly what it is about
MIN_COMPOUND_PART = 4
MAX_CANDIDATES = 20
MAX_CONTENDERS = 5 * MAX_CANDIDATES
MIN_UBIQUITOUS = 20  # below this many services every word may still count
COVERAGE_SHARE = 0.5  # how much it counts that a service explains all of the message
MIN_SCORE = 2.0  # below this the words did not really say anything the knowledge knows
# The learned router's say: its probability for a place times this is added to the keyword
# score (which runs from about 2 to 30). Chosen by 5-fold cross-validation on the development
# sets (bench/learned_cv.py router), never on the held-out set.
ROUTER_WEIGHT = 64.0
ROUTER_PLACES = 10  # the router's best guesses that may add to (or join) the candidates
ROUTER_ALONE = 0.15  # a place no keyword found joins only when the router is this sure of it

DISTRICT_BONUS = 1.3  # a service for the resident's own district beats a city-wide one
UNKNOWN_DISTRICT = 0.7  # a district-only service is right for only some residents
AUDIENCE_MATCH = 1.35
AUDIENCE_MISMATCH = 0.6
URGENT_WANTED = 1.6
URGENT_NOT_WANTED = 0.5
URGENT_UNSAID = 0.55


@dataclass(frozen=True)
class Hit:
    """One reason a service matched: the resident's word and the knowledge word it met."""

    word: str
    keyword: str
    how: str  # exact, phrase, synonym, compound, fuzzy
    at: tuple[int, ...] = ()  # where in the message the word stood (positions, never text)


@dataclass(frozen=True)
class Candidate:
    service_id: str
    score: float
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Ranked:
    service: Service
    score: float
    serves_area: bool
    hits: tuple[Hit, ...]


@dataclass
class _Unit:
    """A piece of the message to match: one word, or a phrase of several."""

    label: str
    positions: frozenset[int]
    expansions: dict[str, tuple[float, str]]  # term -> (quality, how)


class Matcher:
    def __init__(
        self, kb: KnowledgeBase, index: SearchIndex | None = None, learned: bool = False
    ):
        # `learned`: the router (route_model.py) adds its judgement to the keywords; `check`
        # and the tests of the keywords themselves leave it out. It is fitted (or read from
        # its cache) on first use (`router`), which the front ends make before residents
        # arrive (Engine.load_models).
        self.kb = kb
        self.learned = learned
        self._router: Router | Literal[False] | None = None  # None: not fitted yet
        self.index = index or SearchIndex.build(kb)
        self.profiles = ProfileReader(kb)
        self._fuzzy = lru_cache(maxsize=16384)(self._fuzzy_terms)
        self._compound = lru_cache(maxsize=16384)(self._compound_terms)
        self.ubiquitous = max(MIN_UBIQUITOUS, len(kb.services) // 2)
        self._name_words = {
            s.id: frozenset(w for w in tokens(s.name) if w not in STOP_WORDS)
            for s in kb.services.values()
        }
        warm_up()

    # ------------------------------------------------------------------ relevance

    def relevance(self, text: str, place_words: frozenset[str] = frozenset()) -> list[Candidate]:
        """Every service the words point at, best first, before any profile is applied."""
        words = tokens(text)
        content = [(i, w) for i, w in enumerate(words) if w not in STOP_WORDS and len(w) > 1]
        if not content:
            return []
        units = self._units(words, content, place_words)
        scores: dict[str, float] = defaultdict(float)
        bests: list[dict[str, tuple[float, str, str]]] = []
        for unit in units:
            best: dict[str, tuple[float, str, str]] = {}
            for term, (quality, how) in unit.expansions.items():
                posting = self.index.postings.get(term)
                if not posting or len(posting) > self.ubiquitous:
                    continue  # a word half of all services use tells them apart from nothing
                base = self.index.idf[term] * quality
                for service_id, weight in posting.items():
                    value = base * weight
                    found = best.get(service_id)
                    if found is None or value > found[0]:
                        best[service_id] = (value, term, how)
            for service_id, (value, _, _) in best.items():
                scores[service_id] += value
            bests.append(best)
        need = {i for i, w in content if w not in place_words and w not in WEAK_WORDS}
        results = []
        for service_id in self._contenders(scores):
            covered: set[int] = set()
            found_hits: list[Hit] = []
            for unit, best in zip(units, bests, strict=True):
                if service_id in best:
                    _, term, how = best[service_id]
                    covered |= unit.positions
                    display = self.index.display.get(term, term)
                    found_hits.append(Hit(unit.label, display, how, tuple(sorted(unit.positions))))
            coverage = len(covered & need) / len(need) if need else 0.0
            score = scores[service_id] * (1 - COVERAGE_SHARE + COVERAGE_SHARE * coverage)
            found_hits.sort(key=lambda h: h.how != "phrase")
            results.append(Candidate(service_id, round(score, 3), tuple(found_hits[:6])))
        if self.learned:
            results = self._with_router(text, results)
        results.sort(key=lambda c: (-c.score, c.service_id))
        return results[:MAX_CANDIDATES]

    def router(self) -> Router | None:
        """The learned router: fitted, or read from the cache, on first use. None when this
        matcher goes by the keywords alone or the knowledge has no route examples."""
        if not self.learned:
            return None
        if self._router is None:
            self._router = router_for(self.kb) or False
        return self._router or None

    def _with_router(self, text: str, candidates: list[Candidate]) -> list[Candidate]:
        """The keyword scores plus the router's judgement. A place only the router found
        joins without hits: the "why" line then names the need, never a word."""
        router = self.router()
        if router is None:
            return candidates
        return with_chances(candidates, router.chances(text))

    @staticmethod
    def _contenders(scores: dict[str, float]) -> list[str]:
        """The services that can still make the top after coverage is applied. Coverage keeps
        at least (1 - COVERAGE_SHARE) of a raw score, so a service whose raw score is below
        that share of the N-th best raw score can never overtake the N best: skipping it is
        exact, and keeps a question cheap at thousands of services. Only when hundreds tie
        (a word in every other service) are the best raw scores taken as they stand."""
        if len(scores) <= MAX_CANDIDATES:
            return list(scores)
        nth_best = heapq.nlargest(MAX_CANDIDATES, scores.values())[-1]
        floor = (1 - COVERAGE_SHARE) * nth_best
        contenders = [service_id for service_id, raw in scores.items() if raw >= floor]
        if len(contenders) > MAX_CONTENDERS:  # hundreds of near-equal services: the best raw
            contenders = heapq.nlargest(MAX_CONTENDERS, contenders, key=scores.__getitem__)
        return contenders

    def _units(self, words, content, place_words) -> list[_Unit]:
        units: list[_Unit] = []
        for i, word in content:
            if word in WEAK_WORDS:
                continue  # only inside phrases
            quality = 1.0
            if word in place_words:
                quality = PLACE_QUALITY
            elif word in self.profiles.audience_words:
                quality = AUDIENCE_QUALITY
            expansions: dict[str, tuple[float, str]] = {}
            exact = [t for t in word_terms(word) if self.index.known(t)]
            for term in exact:
                expansions[term] = (quality, "exact")
            for group in (
                self.index.synonyms.get(word, ())
                + self.index.synonyms.get(stem(word), ())
                + self.index.foreign_groups([word])
            ):
                self._add_group(expansions, group, quality * SYNONYM_QUALITY, "synonym")
            if not exact and word not in place_words:
                # A real word is meant as written: it may be a compound of known parts, never a
                # typo of another keyword ("roken" is not "broken", "gestorven" not "gestolen").
                guesses = () if is_known_word(word) else self._fuzzy(word)
                for term, q, how in (*self._compound(word), *guesses):
                    if term not in expansions:
                        expansions[term] = (quality * q, how)
            units.append(_Unit(word, frozenset({i}), expansions))
        units.extend(self._phrase_units(words, content))
        return units

    def _phrase_units(self, words, content) -> list[_Unit]:
        """Multi-word keywords ("rood staan") and multi-word synonyms ("krap bij kas")."""
        units: list[_Unit] = []
        stems = [(i, stem(w)) for i, w in content]
        for size in range(2, MAX_PHRASE_WORDS + 1):
            for start in range(len(stems) - size + 1):
                part = stems[start : start + size]
                term = " ".join(s for _, s in part)
                if self.index.known(term):
                    label = " ".join(words[i] for i, _ in part)
                    units.append(
                        _Unit(label, frozenset(i for i, _ in part), {term: (1.0, "phrase")})
                    )
        for size in range(2, self.index.longest_synonym + 1):
            for start in range(len(words) - size + 1):
                gram = " ".join(words[start : start + size])
                groups = self.index.synonyms.get(gram)
                if groups:
                    expansions: dict[str, tuple[float, str]] = {}
                    for group in groups:
                        self._add_group(expansions, group, SYNONYM_QUALITY, "synonym")
                    units.append(_Unit(gram, frozenset(range(start, start + size)), expansions))
        units.extend(self._foreign_phrase_units(words))
        return units

    def _foreign_phrase_units(self, words) -> list[_Unit]:
        """Multi-word synonyms of the residents' own languages, in any word form ("aile
        doktorum" is "aile doktoru")."""
        units: list[_Unit] = []
        starts = [i for i, w in enumerate(words) if self.index.may_start_foreign_phrase(w)]
        for size in range(2, self.index.longest_foreign + 1):
            for start in (i for i in starts if i + size <= len(words)):
                groups = self.index.foreign_groups(words[start : start + size])
                if groups:
                    expansions: dict[str, tuple[float, str]] = {}
                    for group in groups:
                        self._add_group(expansions, group, SYNONYM_QUALITY, "synonym")
                    gram = " ".join(words[start : start + size])
                    units.append(_Unit(gram, frozenset(range(start, start + size)), expansions))
        return units

    def _add_group(self, expansions, group: tuple[str, ...], quality: float, how: str) -> None:
        if len(group) > 1:
            term = " ".join(stem(w) for w in group)
            if self.index.known(term):
                expansions.setdefault(term, (quality, how))
        for word in group:
            for term in word_terms(word):
                if self.index.known(term) and term not in expansions:
                    expansions[term] = (quality / (len(group) ** 0.5), how)

    def _fuzzy_terms(self, word: str) -> tuple[tuple[str, float, str], ...]:
        """Typos: knowledge words close to this one ("shulden" -> "schulden")."""
        if len(word) < MIN_FUZZY_LENGTH or word.isdigit():
            return ()
        cutoff = 88 if len(word) <= 5 else 80
        found = process.extract(
            word, self.index.fuzzy_words, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
        )
        out = []
        # Only the closest guesses: "huisats" is "huisarts" (93), not the rarer "huisbaas" (80).
        best = max((similarity for _, similarity, _ in found), default=0)
        found = [f for f in found if f[1] >= best - FUZZY_SPREAD]
        for candidate, similarity, _ in found:
            for term in self.index.words[candidate]:
                if self.index.known(term):
                    out.append((term, FUZZY_QUALITY * similarity / 100, "fuzzy"))
        return tuple(out)

    def _compound_terms(self, word: str) -> tuple[tuple[str, float, str], ...]:
        """Dutch compounds: "schuldhulpverlening" -> schuld + hulpverlening."""
        if len(word) < 7:
            return ()
        best: tuple[tuple[str, float, str], ...] = ()
        for cut in range(len(word) - 3, 2, -1):
            left, right = word[:cut], word[cut:]
            left_terms = self._part_terms(left)
            if not left_terms:
                continue
            right_terms = self._part_terms(right)
            parts = [(t, COMPOUND_QUALITY, "compound") for t in left_terms + right_terms]
            if right_terms:
                return tuple(parts)
            # Only the left part is a knowledge word: it still counts when the right part is a
            # real word too ("schuldenberg"), never when it is a scrap ("optillen" is no "op").
            if not best and len(left) >= 5 and is_known_word(right):
                best = tuple((t, COMPOUND_QUALITY * 0.8, "compound") for t in left_terms)
        return best

    def _part_terms(self, part: str) -> list[str]:
        """Index terms for one part of a compound; short parts and little words ("over" in
        "overdag") say nothing on their own."""
        options = [part]
        for link in ("s", "en", "e"):
            if part.endswith(link) and len(part) - len(link) >= MIN_COMPOUND_PART:
                options.append(part[: -len(link)])
        for option in options:
            if len(option) < MIN_COMPOUND_PART or option in STOP_WORDS or option in WEAK_WORDS:
                continue
            terms = [t for t in word_terms(option) if self.index.known(t)]
            if terms:
                return terms
        return []

    # ------------------------------------------------------------------ ranking

    def rank(self, candidates: list[Candidate], profile: Profile) -> list[Ranked]:
        """Order candidates for this resident; a service outside their area never wins."""
        ranked = []
        for candidate in candidates:
            service = self.kb.services.get(candidate.service_id)
            if service is None:
                continue  # knowledge reloaded since the candidates were stored
            named = any(h.keyword in self._name_words[service.id] for h in candidate.hits)
            score = candidate.score * self._profile_factor(service, profile, named)
            serves = self.kb.serves(service, profile.area)
            ranked.append(Ranked(service, round(score, 3), serves, candidate.hits))
        ranked.sort(key=lambda r: (not r.serves_area, -r.score, r.service.id))
        return ranked

    def _profile_factor(self, service: Service, profile: Profile, named: bool = False) -> float:
        factor = 1.0
        district_only = all(
            self.kb.areas[a].kind == "district" for a in service.areas if a in self.kb.areas
        )
        if profile.area is None:
            factor *= UNKNOWN_DISTRICT if district_only else 1.0
        elif profile.area in service.areas and district_only:
            factor *= DISTRICT_BONUS
        if profile.audience and profile.audience != "iedereen":
            if profile.audience in service.audience:
                factor *= AUDIENCE_MATCH
            elif "iedereen" not in service.audience:
                factor *= AUDIENCE_MISMATCH
        if profile.urgent is True and service.urgent:
            factor *= URGENT_WANTED
        elif profile.urgent is False and service.urgent:
            factor *= URGENT_NOT_WANTED
        elif profile.urgent is None and service.urgent and not named:
            # Emergencies are caught by the crisis layer before matching; a message it found
            # harmless ("cursus hartaanval", "mijn telefoon is dood") gets an emergency line as
            # an option, not as the answer, unless the resident names it ("113", "Veilig Thuis").
            factor *= URGENT_UNSAID
        return factor

    def match(self, text: str, profile: Profile | None = None) -> list[Ranked]:
        """Relevance and ranking in one go, with the place and audience read from the text."""
        profile, place_words = self.read_profile(text, profile or Profile())
        ranked = self.rank(self.relevance(text, place_words), profile)
        return [r for r in ranked if r.score >= MIN_SCORE]

    def read_profile(self, text: str, profile: Profile) -> tuple[Profile, frozenset[str]]:
        """The profile completed with the place and audience the text names, and the words
        that named the place."""
        mention = self.profiles.area(text)
        if profile.area is None and mention and mention.certain:
            profile = Profile(mention.area_id, profile.audience, profile.urgent)
        if profile.audience is None:
            profile = Profile(profile.area, self.profiles.audience(text), profile.urgent)
        return profile, (mention.words if mention else frozenset())


def need_of(candidates: list[Candidate]) -> float:
    """How clearly the words point at a place: the best candidate's score (relevance order,
    before any profile), 0 when none reaches MIN_SCORE. CrisisHit.leads weighs it."""
    return candidates[0].score if candidates and candidates[0].score >= MIN_SCORE else 0.0


def with_chances(
    candidates: list[Candidate], chances: dict[str, float], weight: float = ROUTER_WEIGHT
) -> list[Candidate]:
    """The keyword candidates plus the router's chances for its best guesses."""
    guesses = heapq.nlargest(ROUTER_PLACES, chances.items(), key=lambda item: item[1])
    scores = {c.service_id: c for c in candidates}
    for service_id, chance in guesses:
        found = scores.get(service_id)
        if found is None and chance < ROUTER_ALONE:
            continue  # "mijn trompet is ontstemd": no place, rather than a faint guess
        score = (found.score if found else 0.0) + weight * chance
        scores[service_id] = Candidate(service_id, round(score, 3), found.hits if found else ())
    return list(scores.values())
