"""A message read once: everything the questions, the ranking and the replies need from it.

Before, a new need arriving while a question was open was tokenised six times and scored twice;
now the engine reads it here once and passes the reading around. The reading holds the
resident's words only for the turn it is made in: nothing of it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.matching.crisis import CrisisDetector, CrisisHit
from bot.matching.matcher import MIN_SCORE, Candidate, Matcher
from bot.matching.profile import AreaMention
from bot.matching.text import STOP_WORDS, fold, tokens

# How residents say "now", "it can wait", yes, no and "I don't know", in the bot's languages.
_NOW = frozenset(
    "nu vandaag spoed dringend snel direct meteen acuut urgent asap now today emergency "
    "immediately".split()
)
_LATER = (
    "kan wachten",
    "geen haast",
    "later",
    "morgen",
    "volgende week",
    "wachten",
    "can wait",
    "no rush",
    "tomorrow",
    "next week",
    "not today",
)
_NEGATIONS = frozenset("niet geen not no never nooit t".split())
_YES = frozenset(
    "ja jawel jazeker jaja klopt yes yep yeah y j ok oke okay prima zeker "
    "inderdaad correct sure".split()
)
_NO = frozenset("nee neen no nope n nah niet".split())
_DONT_KNOW = (
    "weet ik niet",
    "weet niet",
    "geen idee",
    "maakt niet uit",
    "overslaan",
    "dont know",
    "don t know",
    "no idea",
    "not sure",
    "doesn t matter",
    "skip",
)
_GREETINGS = frozenset(
    "hoi hallo hey hi hello hee goedemorgen goedemiddag goedenavond "
    "dag morning yo salaam merhaba".split()
)
_THANKS = frozenset(
    "dank bedankt thanks thank thx merci dankjewel dankuwel top super fijn mooi cheers".split()
)
_HELP = frozenset("hulp help vraag vragen info informatie iets".split())

# The same in Turkish, Arabic, Polish and Ukrainian, folded as tokens() folds them (ı -> i,
# ł -> l, accents and Arabic tashkeel gone). Kept apart so each language can be checked alone.
_NOW |= frozenset(
    "simdi acil hemen bugun الان الآن عاجل حالا اليوم دابا teraz pilne pilnie natychmiast "
    "dzisiaj dzis зараз терміново негайно сьогодні".split()
)
_LATER += (
    "bekleyebilir", "acele yok", "acil degil", "يمكن ان ينتظر", "ليس عاجلا", "مش مستعجل",
    "moze poczekac", "nie pilne", "nie spieszy sie", "може почекати", "не терміново",
)
_NEGATIONS |= frozenset("degil yok لا ليس مش ما nie не ні".split())
_YES |= frozenset("evet tamam olur نعم ايوه اه ايه واخا tak jasne dobrze так добре ага".split())
_NO |= frozenset("hayir yok لا nie ні".split())
_DONT_KNOW += (
    "bilmiyorum", "fikrim yok", "farketmez", "fark etmez", "لا اعرف", "ما بعرف", "معرفتش",
    "ماعرفتش", "nie wiem", "wszystko jedno", "не знаю", "без різниці",
)
_GREETINGS |= frozenset(
    "selam merhaba mrb gunaydin مرحبا السلام اهلا سلام czesc dzien dobry witam hej привіт "
    "вітаю добрий день".split()
)
_THANKS |= frozenset(
    "tesekkurler tesekkur sagol sagolun شكرا مشكور dziekuje dzieki дякую спасибі".split()
)
_HELP |= frozenset("yardim مساعده pomoc pomocy допомога допомогу".split())


@dataclass
class Reading:
    """What one message says. `candidates` are the places its words point at (score kept)."""

    text: str
    words: list[str]
    crisis: CrisisHit | None = None
    place: AreaMention | None = None
    audience: str | None = None
    urgency: bool | None = None  # True "nu/dringend", False "niet dringend/kan wachten"
    yes_no: bool | None = None
    dont_know: bool = False
    small_talk: str | None = None  # greeting | thanks | help, when that is all it says
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def folded(self) -> str:
        return " ".join(self.words)

    @property
    def has_need(self) -> bool:
        return bool(self.candidates)


class Reader:
    def __init__(self, matcher: Matcher, crisis: CrisisDetector):
        self.matcher = matcher
        self.crisis = crisis

    def read(
        self, text: str, answering_area: bool = False, language: str | None = None
    ) -> Reading:
        """`language`: the message's language, when the engine has guessed it already."""
        words = tokens(text)
        reading = Reading(text, words)
        if not words:
            return reading
        profiles = self.matcher.profiles
        reading.crisis = self.crisis.detect(text, language)
        reading.place = profiles.area(text, answering=answering_area)
        reading.audience = profiles.audience(text)
        reading.urgency = _urgency(words)
        reading.dont_know = any(_contains(words, p) for p in _DONT_KNOW)
        if not reading.dont_know:
            reading.yes_no = _yes_no(words)
        place_words = reading.place.words if reading.place else frozenset()
        reading.candidates = [
            c for c in self.matcher.relevance(text, place_words) if c.score >= MIN_SCORE
        ]
        if not reading.candidates:
            reading.small_talk = _small_talk(words)
        return reading


def _contains(words: list[str], phrase: str) -> bool:
    wanted = phrase.split()
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def _urgency(words: list[str]) -> bool | None:
    """'niet dringend' is not urgent: a negation before the word turns it around."""
    if any(_contains(words, p) for p in _LATER):
        return False
    for i, word in enumerate(words):
        if word in _NOW:
            return not any(w in _NEGATIONS for w in words[max(0, i - 2) : i])
    return None


def _yes_no(words: list[str]) -> bool | None:
    first = set(words[:3])
    if first & _YES and not first & _NO:
        return True
    if first & _NO and not first & _YES:
        return False
    return None


def _small_talk(words: list[str]) -> str | None:
    """A greeting, thanks or a bare 'hulp': nothing to look up, a short question is the answer."""
    meaningful = [w for w in words if w not in STOP_WORDS or w in _GREETINGS | _THANKS | _HELP]
    if len(meaningful) > 4:
        return None
    kinds = set()
    for word in meaningful:
        if word in _THANKS:
            kinds.add("thanks")
        elif word in _GREETINGS:
            kinds.add("greeting")
        elif word in _HELP:
            kinds.add("help")
        elif word not in STOP_WORDS:
            return None
    for kind in ("thanks", "help", "greeting"):
        if kind in kinds:
            return kind
    return None


def label_matches(text: str, label: str) -> bool:
    """A button's label typed as text ("weet ik niet", "Oost", "nu of vandaag")."""
    typed, wanted = " ".join(tokens(text)), " ".join(tokens(fold(label)))
    return bool(typed) and typed == wanted
