"""What a message says about the resident: where they live and who the help is for.

Knowing this from the message means the bot need not ask. A place is only taken as certain
when the knowledge base says so; a postcode that only probably lies in a district comes back
as uncertain, and the conversation asks instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from bot.knowledge.model import KnowledgeBase
from bot.matching.lexicon import is_known_word
from bot.matching.text import STOP_WORDS, fold, tokens

_POSTCODE = re.compile(r"\b([1-9]\d{3})\s?([a-z]{2})?\b")
_POSTCODE_CONTEXT = {"postcode", "woon", "wonen", "woonachtig", "live", "living", "zip"}
_AGE = re.compile(
    r"\b(?:ik ben|ben ik|i am|i'm|im)\s+(\d{1,2})\b|\b(\d{1,2})\s*(?:jaar|jr|years?)\b"
)
RESIDENCE_WORDS = frozenset(
    "in woon woont wonen wonend woonachtig uit live lives living from near bij buurt wijk".split()
)
_AREA_ORDER = {"district": 0, "city": 1, "country": 2}
MIN_FUZZY_PLACE = 7
FUZZY_PLACE_CUTOFF = 85
_NOT_POSTCODE_AFTER = {"euro", "eur", "jaar", "km", "meter", "m"}


@dataclass(frozen=True)
class AreaMention:
    """A place found in a message. `certain` is False for a probable postcode."""

    area_id: str
    certain: bool
    words: frozenset[str]  # the folded words that named the place


@dataclass(frozen=True)
class Profile:
    """What the conversation knows about the resident; None means not known (yet)."""

    area: str | None = None
    audience: str | None = None
    urgent: bool | None = None


class ProfileReader:
    """Finds districts, postcodes and audiences in free text, using the knowledge base."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.place_names: dict[str, str] = {}
        for area in kb.areas.values():
            for name in area.place_names:
                folded = " ".join(tokens(name))
                # A district's own name wins over a city-wide alias of the same words.
                if folded and folded not in {"utrecht", "buiten utrecht", "elders in utrecht"}:
                    self.place_names.setdefault(folded, area.id)
        self.longest_place = max((len(n.split()) for n in self.place_names), default=1)
        self.fuzzy_places = [
            name for name, area_id in self.place_names.items()
            if len(name) >= MIN_FUZZY_PLACE and kb.areas[area_id].kind == "district"
        ]
        self.audience_words: dict[str, str] = {}
        for audience in kb.audiences.values():
            for words in audience.words.values():
                for word in words:
                    self.audience_words.setdefault(" ".join(tokens(word)), audience.id)
        self.longest_audience = max((len(w.split()) for w in self.audience_words), default=1)

    def area(self, text: str, answering: bool = False) -> AreaMention | None:
        """The district a message names, by postcode or place name.

        `answering` is True when the bot just asked for the district or postcode, so a bare
        number is a postcode rather than, say, an amount of money.
        """
        words = tokens(text)
        found = self._postcode(text, words, answering)
        if found:
            # "schulden, ik woon in Hoograven 3523": the neighbourhood's name is about where
            # they live too, not about what they need.
            named = self._place_name(words)
            return replace(found, words=found.words | named.words) if named else found
        return self._place_name(words)

    def _place_name(self, words: list[str]) -> AreaMention | None:
        """The longest place name in the words (a neighbourhood, a district, a town)."""
        for size in range(min(self.longest_place, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                gram = " ".join(words[start : start + size])
                area_id = self.place_names.get(gram)
                part = words[start : start + size]
                if area_id is None and len(gram) >= 7 and self._may_be_misspelt(part):
                    area_id = self._fuzzy_place(gram)
                if area_id:
                    # "ik woon in Lunetten": the words around a place name are about the place too.
                    before = [w for w in words[max(0, start - 3) : start] if w in RESIDENCE_WORDS]
                    return AreaMention(
                        area_id, True, frozenset([*before, *words[start : start + size]])
                    )
        return None

    @staticmethod
    def _may_be_misspelt(words: list[str]) -> bool:
        """Only words that are not words may be a misspelt place: "in Wittevrouwen" is the
        word "in" and another neighbourhood, not a typo of "Buiten-Wittevrouwen"."""
        return not any(w in STOP_WORDS or is_known_word(w) for w in words)

    def _fuzzy_place(self, gram: str) -> str | None:
        """A misspelt neighbourhood ("lunneten"). Only district places: "nederlands" is the
        language, not a typo of the country."""
        found = process.extractOne(
            gram, self.fuzzy_places, scorer=fuzz.ratio, score_cutoff=FUZZY_PLACE_CUTOFF
        )
        return self.place_names[found[0]] if found else None

    def _postcode(self, text: str, words: list[str], answering: bool) -> AreaMention | None:
        folded = fold(text)
        for match in _POSTCODE.finditer(folded):
            digits, letters = match.group(1), match.group(2)
            after = folded[match.end() :].split()[:1]
            if letters is None and after and after[0] in _NOT_POSTCODE_AFTER:
                continue
            context = answering or letters is not None or bool(_POSTCODE_CONTEXT & set(words))
            context = context or len(words) <= 2 or self._district_postcode(digits)
            if not context:
                continue
            context_words = {w for w in words if w in RESIDENCE_WORDS | _POSTCODE_CONTEXT}
            return self._area_for_postcode(digits, letters, context_words)
        return None

    def _district_postcode(self, digits: str) -> bool:
        """A number that is certainly a postcode of one of our districts ("3523, is er een
        buurthuis?") is a postcode without "woon" or "postcode" beside it."""
        return any(
            digits in area.postcodes for area in self.kb.areas.values() if area.kind == "district"
        )

    def _area_for_postcode(
        self, digits: str, letters: str | None, context_words: set[str]
    ) -> AreaMention:
        full = f"{digits} {letters.upper()}" if letters else None
        words = frozenset({digits, *([letters] if letters else []), *context_words})
        # The smallest area that knows the postcode wins, even when it only probably lies
        # there: "3581" is probably Oost (ask), though it is certainly in the city.
        for area in sorted(self.kb.areas.values(), key=lambda a: _AREA_ORDER.get(a.kind, 9)):
            if (full and full in area.postcodes) or digits in area.postcodes:
                return AreaMention(area.id, True, words)
            if digits in area.probable_postcodes:
                return AreaMention(area.id, False, words)
        country = next((a.id for a in self.kb.areas.values() if a.kind == "country"), None)
        return AreaMention(country or "nederland", True, words)

    def audience(self, text: str) -> str | None:
        """Who the help is for, if the message says so; a specific group beats 'iedereen'."""
        words = tokens(text)
        found: list[str] = []
        group = writer_group(text)
        if group is not None:
            found.append(group)
        for size in range(min(self.longest_audience, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                audience = self.audience_words.get(" ".join(words[start : start + size]))
                if audience and audience not in found:
                    found.append(audience)
        specific = [a for a in found if a != "iedereen" and a in self.kb.audiences]
        if specific:
            return specific[0]
        return found[0] if found and found[0] in self.kb.audiences else None


def writer_group(text: str) -> str | None:
    """'kinderen' or 'jongeren' when the writer gives an age under 18 ("ik ben 12")."""
    match = _AGE.search(fold(text))
    if not match:
        return None
    age = int(match.group(1) or match.group(2))
    if not 4 <= age <= 17:
        return None
    return "kinderen" if age < 12 else "jongeren"
