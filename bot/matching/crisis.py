"""Emergency detection: runs first on every free-text message.

Emergencies are recognised as situations, not only as fixed phrases. `knowledge/crisis.yaml`
names concepts (the means: pills, a bridge, a rope; the signs of a body in danger; the people
at home) and a rule fires when the concepts of one of its situations all occur in the message
("@pillen + @veel + @innemen" catches "een hele strip slaappillen doorgeslikt" and its cousins).
Two strengths:
- certain: the emergency reply goes before everything else;
- possible: the words suggest danger but not surely ("ik kan niet meer"); the resident gets an
  answer to their need plus one safety line with the rule's first line (113, 112, ...).

Tolerant where it matters (word forms, compounds, typos in long words, one word in between),
strict where a false alarm would hijack an ordinary question:
- words match whole ("brand" is not "brandweer"), or as the head of a compound
  ("slaappillen" holds "pillen"), or by stem for longer words;
- a typo is only a typo when the typed word is not itself a real word (lexicon: wordfreq's
  Dutch and English, the knowledge's own words, `not_typos`): "gestolen" is not "gestoken";
- a negation inside or right before a phrase undoes it ("ik wil niet dood", "geen
  zelfmoordgedachten");
- a rule's `unless` words ("cursus", "vorig jaar") make one alarming signal harmless; two
  different ones still count;
- `calm` words ("niet dringend") turn a certain emergency into a safety line, never silence it.
Stop words are kept here: "niet meer leven" needs its "niet".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.knowledge.model import CrisisRule, KnowledgeBase
from bot.matching.crisis_model import MODEL_LANGUAGES, CrisisModel, Opinion, model_for
from bot.matching.languages import LanguageGuesser
from bot.matching.lexicon import is_known_word
from bot.matching.profile import writer_group
from bot.matching.stemming import STEMMERS as FOREIGN_STEMMERS
from bot.matching.text import stem, stem_en, tokens

MAX_GAP = 1  # words allowed between the words of a phrase, in total
MIN_STEM_LENGTH = 4  # "been"/"ben", "bang"/"banging": short typed words never meet on a stem
MIN_TYPO_LENGTH = 7  # shorter words have too many real neighbours to guess at typos
MIN_HEAD_LENGTH = 5  # "slaappillen" ends in "pillen": a compound's head says what it is
MIN_MODIFIER_LENGTH = 3  # ... but "beleven" is no kind of "leven"
NEGATIONS = frozenset(
    "niet geen nooit zonder not no never without t dont didnt doesnt isnt wasnt".split()
) | frozenset("nie не".split())  # Polish, Ukrainian; Turkish says "not" inside the verb


@dataclass(frozen=True)
class Trust:
    """How far the model's chance that a message is an emergency counts beside the rules.

    Chosen by 5-fold cross-validation on the development sets (bench/learned_cv.py crisis),
    never on the held-out set. On the first 3,199 messages the rules alone found 67.4 % of
    emergencies with 2.9 % false alarms, the model only adding safety lines (at 0.7, round 2's
    first design) 94.6 %. On all 6,783, each scored by a model that never saw it, the rules
    alone find 59.1 % with 3.3 % false alarms; with these settings 98.4 % with 0.8 %, and a
    safety line on 10.0 % of harmless messages (nearly all of them written to sound alarming).
    On all 11,379 (round 6), 98.6 % with 0.7 %, and a safety line on 8.3 %."""

    safety_line: float = 0.5  # the model alone: answer the need, with one safety line
    # The model alone, and very sure: the emergency reply. 0.98 rather than 0.95 (round 6):
    # the same top-1 and recall, false alarms 0.73 -> 0.65 %.
    sure_alone: float = 0.98
    confirm: float = 0.9  # a possible rule hit the model finds this likely: the emergency reply
    doubt: float = 0.5  # a certain rule hit the model finds less likely: a safety line instead
    # A safety line leads the reply, before the need's answer, when the model finds an
    # emergency at least this likely and the words point at no place clearly (the best place
    # scores below `weak_need`): "vanavond loop ik naar de brug" must not open with a buurtteam.
    # Chosen the same way (bench/learned_cv.py answer): top-1 over all development messages
    # 77.2 -> 81.7 %, emergencies' own line first 62 -> 82 %, look-alikes' own place first
    # 67.6 -> 64.9 % (the line above it, not instead of it). Round 6, 11,379 messages:
    # weak_need 16 -> 24 (a need now also scores the router's chance), emergencies' own line
    # first 89.3 -> 90.2 %, ordinary needs' place first 86.8 -> 86.7 %, the line above a
    # harmless message's answer 0.9 -> 1.1 %. Round 12, 17,599 messages (bench/learned_cv.py
    # answer, its grid): weak_need 24 -> 48, top-1 87.4 -> 87.6 %, top-3, recall, false alarms
    # and safety lines the same; higher was as good or better at every `lead` tried.
    lead: float = 0.7
    weak_need: float = 48.0
    # The rules say that it is an emergency, the model (learned from thousands of labelled
    # ones) says better which kind: at this chance its kind's lines lead, before the rules'
    # first kind, unless that is a rule marked `first` (a body in danger: 112). Chosen the same
    # way: top-1 84.9 -> 85.7 %, the emergency's own line first 1,647 -> 1,694 of 1,970.
    kind: float = 0.8


TRUST = Trust()
_MODEL_LANGUAGES = frozenset({*MODEL_LANGUAGES, None})  # None: not guessed, judged anyway
LEARNED = "(learned)"  # the phrase a hit of the learned safety net reports
_CONCEPT = re.compile(r"@([\w-]+)")
_STEMMERS = {"nl": stem, "en": stem_en, **FOREIGN_STEMMERS}

Words = tuple[str, ...]
Element = tuple[Words, ...]  # alternatives: any one of them satisfies the element
Pattern = tuple[Element, ...]  # every element must occur somewhere in the message


@dataclass(frozen=True)
class CrisisHit:
    """The emergency found: the rules that fired, their services in order, and why.

    `certain` is False for the safety net: the words suggest danger but not surely, so the
    resident's need is answered with one safety line added instead of the emergency reply.
    """

    rule_ids: tuple[str, ...]
    service_ids: tuple[str, ...]
    phrases: tuple[str, ...]
    certain: bool = True
    chance: float | None = None  # the crisis model's opinion, when it gave one

    def leads(self, need: float, trust: Trust = TRUST) -> bool:
        """The safety line goes first, the need's answer after it. `need`: the score of the
        best place the words point at (0 when none)."""
        return (
            not self.certain
            and self.chance is not None
            and self.chance >= trust.lead
            and need < trust.weak_need
        )


@dataclass(frozen=True)
class _Rule:
    rule: CrisisRule
    certain: tuple[tuple[str, Pattern], ...]
    possible: tuple[tuple[str, Pattern], ...]
    unless: tuple[Words, ...]


class CrisisDetector:
    def __init__(
        self,
        kb: KnowledgeBase,
        learned: bool = False,
        languages: LanguageGuesser | None = None,
        trust: Trust = TRUST,
    ):
        # The crisis model (crisis_model.py) gives its second opinion beside the rules; `check`
        # and tests of the rules themselves leave it out. It is fitted (or read from its cache)
        # on first use (`model`), which the front ends make before residents arrive
        # (Engine.load_models). `languages`: the caller's guesser, when it has one; `trust`:
        # how far the model counts.
        self._kb = kb
        self._learned = learned
        self.trust = trust
        concepts = {
            name: tuple(w for ps in langs.values() for p in ps if (w := tuple(tokens(p))))
            for name, langs in kb.crisis_concepts.items()
        }

        def compile_all(patterns) -> tuple[tuple[str, Pattern], ...]:
            # Each pattern once, though it may stand in several languages ("suicide").
            unique = dict.fromkeys(patterns)
            return tuple((p, c) for p in unique if (c := _compile(p, concepts)))

        def phrases(per_language: dict[str, tuple[str, ...]]) -> tuple[Words, ...]:
            return tuple(w for ps in per_language.values() for p in ps if (w := tuple(tokens(p))))

        # The past, a story, a course: silence one signal like every rule's own `unless`.
        distance = phrases(kb.crisis_distance)
        self.rules: list[_Rule] = [
            _Rule(
                rule,
                compile_all([*(p for ps in rule.phrases.values() for p in ps), *rule.situations]),
                compile_all(rule.possible),
                phrases(rule.unless) + distance,
            )
            for rule in kb.crisis
        ]
        self.rule_by_id = {rule.id: rule for rule in kb.crisis}
        self._guesser = (languages or LanguageGuesser(kb)) if learned else None
        self._model: CrisisModel | Literal[False] | None = None  # None: not fitted yet
        self.calm = phrases(kb.crisis_calm)
        self.now = phrases(kb.crisis_now)
        self.frames = phrases(kb.crisis_frames)
        self.real_words = _vocabulary(kb)
        alternatives = {
            words
            for r in self.rules
            for _, pattern in (*r.certain, *r.possible)
            for element in pattern
            for words in element
        }
        self._word_sets = {
            words: frozenset(words) for words in alternatives | set(self.calm) | set(self.now)
        }
        self.phrase_words = frozenset(w for words in self._word_sets for w in words)
        self._alternatives_of: dict[str, list[Words]] = {}
        for words in self._word_sets:
            for word in set(words):
                self._alternatives_of.setdefault(word, []).append(words)
        self._element_sets = {
            element: frozenset(element)
            for r in self.rules
            for _, pattern in (*r.certain, *r.possible)
            for element in pattern
        }
        self._languages = _word_languages(kb)
        self._long_set = frozenset(w for w in self.phrase_words if len(w) >= MIN_TYPO_LENGTH)
        self._long_by_size: dict[int, list[str]] = {}
        for word in sorted(self._long_set):
            self._long_by_size.setdefault(len(word), []).append(word)
        self._head_set = frozenset(w for w in self.phrase_words if len(w) >= MIN_HEAD_LENGTH)
        by_start: dict[str, set[str]] = {}
        for word in self.phrase_words:
            by_start.setdefault(word[:2], set()).add(word)
        self._by_start = {start: frozenset(words) for start, words in by_start.items()}
        self._meets = lru_cache(maxsize=65536)(self._phrase_words_met)
        self._harmless = lru_cache(maxsize=65536)(self._unless_word)

    def detect(self, text: str, language: str | None = None) -> CrisisHit | None:
        """The emergency in a message: certain, possible (safety net), or None.

        With the learned model, rules and model decide together: the model alone adds a
        safety line, or the emergency reply when it is very sure; it confirms a possible
        rule hit into the emergency reply, and its firm "no" turns a certain rule hit into a
        safety line (a course, a story, the past in words the rules did not foresee). It only
        judges Dutch and English, the languages it learned from; "niet dringend" always wins.
        `language`: the message's language when the caller has guessed it already."""
        hit = self._by_rules(text)
        if self._guesser is None:
            return hit
        if (language or self._guesser.guess(text)) not in _MODEL_LANGUAGES:
            return hit
        model = self.model()
        opinion = model.assess(text) if model else None
        return self.combine(hit, opinion, self.calmed(hit, text), self.trust)

    def model(self) -> CrisisModel | None:
        """The learned second opinion: fitted, or read from the cache, on first use. None
        when the rules decide alone or the knowledge has no crisis examples."""
        if not self._learned:
            return None
        if self._model is None:
            self._model = model_for(self._kb) or False
        return self._model or None

    def calmed(self, hit: CrisisHit | None, text: str) -> bool:
        """The rules' hit is only possible because the resident said "niet dringend"."""
        return hit is not None and not hit.certain and self._said_calm(tokens(text))

    def combine(
        self,
        hit: CrisisHit | None,
        opinion: Opinion | None,
        calmed: bool,
        trust: Trust = TRUST,
    ) -> CrisisHit | None:
        """The rules' hit and the model's opinion as one decision (see `detect`). When the
        model is sure enough of the kind of emergency, that kind's lines lead, after those of
        a rule marked `first` (a body in danger: 112)."""
        if opinion is None:
            return hit
        chance = opinion.chance
        if hit is None:
            rule = self.rule_by_id.get(opinion.rule_id)
            if rule is None or chance < trust.safety_line:
                return None
            sure = chance >= trust.sure_alone
            return CrisisHit((rule.id,), rule.services, (LEARNED,), sure, chance)
        hit = replace(hit, chance=chance)
        if chance >= trust.kind and opinion.rule_id != hit.rule_ids[0]:
            hit = self._led_by(hit, opinion.rule_id)
        if hit.certain and chance < trust.doubt:
            return replace(hit, certain=False)
        if not hit.certain and chance >= trust.confirm and not calmed:
            return replace(hit, certain=True)
        return hit

    def _led_by(self, hit: CrisisHit, rule_id: str) -> CrisisHit:
        """The hit with the model's kind of emergency first (added when the rules missed it),
        after the rules marked `first` that fired."""
        if rule_id not in self.rule_by_id:
            return hit
        said = dict(zip(hit.rule_ids, hit.phrases, strict=True))
        order = [rule_id, *(r for r in hit.rule_ids if r != rule_id)]
        order.sort(key=lambda r: not (r in said and self.rule_by_id[r].first))
        services: list[str] = []
        for rule in order:
            services.extend(s for s in self.rule_by_id[rule].services if s not in services)
        return replace(
            hit,
            rule_ids=tuple(order),
            service_ids=tuple(services),
            phrases=tuple(said.get(r, LEARNED) for r in order),
        )

    def _by_rules(self, text: str) -> CrisisHit | None:
        words = tokens(text)
        if not words:
            return None
        writer = writer_group(text)
        met = frozenset().union(*(self._meets(w) for w in set(words)))
        if not met:
            return None

        def same(typed: str, wanted: str) -> bool:
            return wanted in self._meets(typed)

        # Alternatives all of whose words occur: the only ones worth a real search.
        live = {
            alt
            for word in met
            for alt in self._alternatives_of.get(word, ())
            if self._word_sets[alt] <= met
        }

        def found_in(patterns: tuple[tuple[str, Pattern], ...]) -> list[str]:
            """The patterns found, one per distinct stretch of the message: the same words
            reached through a phrase and through a concept are one signal, not two."""
            found: dict[frozenset[int], str] = {}
            for label, pattern in patterns:
                where: set[int] = set()
                for element in pattern:
                    candidates = sorted(self._element_sets[element] & live)
                    spot = next(
                        (p for alt in candidates if (p := _find(words, alt, MAX_GAP, same))),
                        None,
                    )
                    if spot is None:
                        break
                    where |= spot
                else:
                    found.setdefault(frozenset(where), label)
            return [
                label
                for spot, label in found.items()
                if not any(spot < other for other in found)  # inside a longer one: the same
            ]

        happening_now = any(_find(words, n, 0, same, negations=False) for n in self.now)
        # A film, a course, a joke: the whole message is at a distance, however many signals.
        framed = not happening_now and any(
            _find(words, f, 0, self._harmless, negations=False) is not None for f in self.frames
        )
        certain: list[tuple[CrisisRule, str]] = []
        possible: list[tuple[CrisisRule, str]] = []
        for compiled in self.rules:
            rule = compiled.rule
            if rule.audience and writer not in rule.audience:
                continue
            strong = found_in(compiled.certain)
            weak = [] if strong else found_in(compiled.possible)
            signals = strong or weak
            if not signals:
                continue
            # An `unless` word makes one alarming signal harmless ("EHBO cursus bewusteloos");
            # two different ones still make an emergency ("wesp gestoken, kan niet ademen").
            if framed or (
                len(signals) < 2
                and not happening_now
                and any(
                    _find(words, u, 0, self._harmless, negations=False) is not None
                    for u in compiled.unless
                )
            ):
                continue
            (certain if strong else possible).append((rule, signals[0]))
        if certain and self._said_calm(words):
            possible, certain = certain + possible, []  # "niet dringend": a safety line
        chosen = certain or possible
        if not chosen:
            return None
        services: list[str] = []
        for rule, _ in chosen:
            services.extend(s for s in rule.services if s not in services)
        return CrisisHit(
            tuple(rule.id for rule, _ in chosen),
            tuple(services),
            tuple(label for _, label in chosen),
            certain=bool(certain),
        )

    def _said_calm(self, words: list[str]) -> bool:
        """ "niet dringend", "geen spoed": the resident says it is not urgent now."""
        return any(
            _find(words, c, MAX_GAP, lambda t, w: w in self._meets(t), negations=False)
            is not None
            for c in self.calm
        )

    def _phrase_words_met(self, typed: str) -> frozenset[str]:
        """Every phrase word this typed word counts as; worked out once per typed word, from
        look-ups rather than scans, so a message full of new words stays cheap."""
        candidates = {typed} & self.phrase_words
        if len(typed) > MIN_STEM_LENGTH:
            candidates |= self._by_start.get(typed[:2], frozenset())
        size = len(typed)
        # compounds: a long phrase word at the start ("zelfmoordgedachten"), a head at the end
        candidates |= {typed[:k] for k in range(MIN_TYPO_LENGTH, size)} & self._long_set
        candidates |= {
            typed[-k:] for k in range(MIN_HEAD_LENGTH, size - MIN_MODIFIER_LENGTH + 1)
        } & self._head_set
        if size >= MIN_TYPO_LENGTH - 1 and not self._is_real(typed):
            nearby = [w for n in range(size - 2, size + 3) for w in self._long_by_size.get(n, ())]
            candidates |= {
                w
                for w, _, _ in process.extract(
                    typed, nearby, scorer=Levenshtein.distance, score_cutoff=2, limit=None
                )
            }
        return frozenset(w for w in candidates if self._same_word(typed, w))

    def _is_real(self, typed: str) -> bool:
        return typed in self.real_words or is_known_word(typed)

    def _same_word(self, typed: str, wanted: str) -> bool:
        if typed == wanted:
            return True
        if (
            len(typed) > MIN_STEM_LENGTH
            and len(wanted) >= MIN_STEM_LENGTH
            and any(stemmer(typed) == stemmer(wanted) for stemmer in self._stemmers(wanted))
        ):
            return True  # in the word's own language: Dutch "slaap" is not English "slaps"
        if (
            len(wanted) >= MIN_HEAD_LENGTH
            and len(typed) - len(wanted) >= MIN_MODIFIER_LENGTH
            and typed.endswith(wanted)
        ):
            return True  # a compound's head: "slaappillen" is a kind of "pillen"
        if len(wanted) < MIN_TYPO_LENGTH:
            return False
        if len(typed) > len(wanted) and typed.startswith(wanted):
            return True  # a compound: "zelfmoordgedachten" holds "zelfmoord"
        if self._is_real(typed):
            return False
        allowed = 2 if len(wanted) >= 10 else 1
        if abs(len(typed) - len(wanted)) > allowed:
            return False
        return Levenshtein.distance(typed, wanted, score_cutoff=allowed) <= allowed

    def _stemmers(self, word: str):
        languages = self._languages.get(word, ("nl", "en"))
        return [_STEMMERS[lang] for lang in languages if lang in _STEMMERS] or [stem, stem_en]

    @staticmethod
    def _unless_word(typed: str, wanted: str) -> bool:
        """Harmless words match generously: any form ("boeken" for "boek") and compounds
        ("reanimatiecursus", "filmavond"), because a missed `unless` only means a false alarm
        and a matched one must never hide a real emergency: they are chosen with care."""
        if typed == wanted or stem(typed) == stem(wanted):
            return True
        if len(wanted) < 4:
            return False
        # A compound of the harmless word and another real word: not "serieus" for "serie".
        if typed.startswith(wanted):
            other = typed[len(wanted) :]
        elif typed.endswith(wanted):
            other = typed[: -len(wanted)]
        else:
            return False
        if len(other) < 3:
            return False
        return is_known_word(other) or is_known_word(other.strip("s"))


def _find(
    words: list[str], phrase: Words, max_gap: int, same, negations: bool = True
) -> frozenset[int] | None:
    """Where the phrase's words occur in order, with at most `max_gap` words between: the
    positions of the words met, or None.

    With `negations`, a negation right before the phrase or in a gap undoes it: "ik wil niet
    dood" is not "wil dood", "geen zelfmoordgedachten" is not "zelfmoordgedachten".
    """

    def search(pos: int, part: int, gap_left: int) -> tuple[int, ...] | None:
        if part == len(phrase):
            return ()
        limit = len(words) if part == 0 else min(len(words), pos + gap_left + 1)
        for i in range(pos, limit):
            if part > 0 and negations and words[i] in NEGATIONS and phrase[part] != words[i]:
                return None  # a "niet" in the gap
            if not same(words[i], phrase[part]):
                continue
            if part == 0 and negations and _negated_before(words, i):
                continue
            if part == len(phrase) - 1 and negations and _negated_after(words, i):
                continue  # "mijn man slaat me niet"
            used = 0 if part == 0 else i - pos
            rest = search(i + 1, part + 1, gap_left - used)
            if rest is not None:
                return (i, *rest)
        return None

    found = search(0, 0, max_gap)
    return None if found is None else frozenset(found)


# Words that may stand between a negation and what it denies: "niet aan zelfmoord", "isn't
# being abused", "nooit echt gedacht aan".
_BRIDGES = frozenset(
    "aan over van om echt zo being been getting wordt word worden ooit ever".split()
)


def _negated_before(words: list[str], first: int) -> bool:
    """A negation right before a phrase, or two before with a bridge word between, denies it."""
    if first > 0 and words[first - 1] in NEGATIONS:
        return True
    return first > 1 and words[first - 1] in _BRIDGES and words[first - 2] in NEGATIONS


# After "hij slaat me niet", a denial ends the thought; "... niet meer bewegen" goes on.
_DENIAL_ENDS = frozenset("ofzo hoor echt maar want of en trouwens gelukkig hoor".split())


def _negated_after(words: list[str], last: int) -> bool:
    """A Dutch "niet" right after a phrase, closing the thought, denies it ("hij slaat me
    niet ofzo"); "kan zijn arm niet meer bewegen" is no denial."""
    after = words[last + 1 : last + 3]
    return bool(after) and after[0] == "niet" and (len(after) < 2 or after[1] in _DENIAL_ENDS)


def _compile(pattern: str, concepts: dict[str, tuple[Words, ...]]) -> Pattern:
    """'@pillen + veel + @innemen' -> elements; '@a|@b' is either; a plain phrase is one element.

    Unknown concepts are refused by the loader, so here they simply match nothing."""
    elements: list[Element] = []
    for part in pattern.split(" + "):
        alternatives: list[Words] = []
        for option in part.split("|"):
            option = option.strip()
            name = _CONCEPT.fullmatch(option)
            if name:
                alternatives.extend(concepts.get(name.group(1), ()))
            elif words := tuple(tokens(option)):
                alternatives.append(words)
        if not alternatives:
            return ()
        elements.append(tuple(dict.fromkeys(alternatives)))
    return tuple(elements)


def _word_languages(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """The languages each crisis word is written in, so it is stemmed by its own rules."""
    found: dict[str, set[str]] = {}
    sources = [rule.phrases for rule in kb.crisis] + list(kb.crisis_concepts.values())
    for per_language in sources:
        for lang, phrases in per_language.items():
            for phrase in phrases:
                for word in tokens(phrase.replace("+", " ")):
                    found.setdefault(word, set()).add(lang)
    return {word: tuple(sorted(langs)) for word, langs in found.items()}


def _vocabulary(kb: KnowledgeBase) -> frozenset[str]:
    """Real words the bot knows beyond the lexicon: a message word among them is meant as
    written. Words of the crisis rules themselves are left out (they are what we look for)."""
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
    crisis_words = {
        w
        for rule in kb.crisis
        for ps in rule.phrases.values()
        for p in ps
        for w in tokens(p.replace("+", " "))
    }
    crisis_words |= {
        w
        for langs in kb.crisis_concepts.values()
        for ps in langs.values()
        for p in ps
        for w in tokens(p)
    }
    return frozenset(w for text in texts for w in tokens(text)) - crisis_words
