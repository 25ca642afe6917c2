"""Which of the bot's languages a message is written in, or that it is in none of them.

Used only to choose the language the bot answers in; matching understands every language at
once. Three steps, cheapest first:
1. the script: Arabic letters are Arabic (unless Persian or Urdu letters and words say
   otherwise), Cyrillic is Ukrainian, Ge'ez, Devanagari, Chinese and other scripts are a
   language the bot does not speak;
2. Latin-script Moroccan darija ("bghit", "3afak"): digits for Arabic sounds and its own
   everyday words, which no general detector knows;
3. lingua (restricted to the six languages) for the rest, checked against wordfreq: a long
   message of which hardly a word is a known word of the language lingua picked is in another
   language (Somali, Papiamento), not a strange Turkish.
Dutch names of Dutch things ("huisarts", "gemeente", "toeslag", "Wmo", place and service
names) are left out first: residents write them in every language, so they say nothing about
which. A short or unclear message gives None: the conversation keeps its language.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.knowledge.model import KnowledgeBase
from bot.matching.lexicon import is_known_word
from bot.matching.text import fold

SERVED = ("nl", "en", "tr", "ar", "pl", "uk")
OTHER = "other"
MIN_WORDS = 2  # one word ("ok", "huisarts", "3524") never changes the language
LONG_MESSAGE = 5  # from this many words a message is long enough to call "none of ours"
MIN_KNOWN_SHARE = 0.4  # of the words of a long message, in the language lingua picked
OTHER_SHARE = 0.25  # below this in every Latin-script language of ours: another language
MIN_CONFIDENCE = 0.6

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
_URL_OR_NUMBER = re.compile(r"\S*[/@]\S*|\S*\d\S*\d\S*")
_WORD = re.compile(r"[^\W\d_]+")
# Letters of Persian and Urdu that Arabic does not use (Iraqi and Moroccan Arabic borrow گ and
# ڤ, so those are not on it), and their most common little words.
_PERSIAN_URDU_LETTERS = re.compile(r"[پژٹڈڑںےۀ]")
_PERSIAN_URDU_WORDS = frozenset(
    fold(w)
    for w in "است هست هستم برای را این خیلی می‌خواهم میخواهم نمی کمک ہے میں کے کی اور".split()
)
# Latin-script darija: Arabic sounds written as digits inside a word (3 = ع, 7 = ح, 9 = ق,
# 2 = ء), and its everyday words.
_DARIJA_DIGIT = re.compile(r"[a-z][2379][a-z]|\b[379][a-z]{2,}|[a-z]{2,}[379]\b")
_DARIJA_WORDS = frozenset(
    """bghit bghina baghi wach wash kifach kifash dyal dial dyali dialna 3afak afak chi chwiya
    bzaf bezzaf rani rah ana nta nti ndir ndiro wlidi wldi bnti drari khoya khti mmi bba lflous
    flous lkhdma khdma mzyan mezyan safi wakha daba lyoum ghadi kayn kayna makaynch mabghitch
    3ndi 3andi 3andna m3a f7al hna fin fen 3lach 3lah chkon ch7al kanhtaj nhtaj mrid mrida
    tbib tbiba sbitar mrati khassni khassha khasso mnin bach walakin bzzaf ghir wakha diali
    ma3rftch kanbghi kan3ref n3ref lmghrib lmaghrib""".split()
)
# Dutch names of Dutch things, written the same way in a Turkish, Arabic or Polish message.
DUTCH_NAMES = frozenset(
    """huisarts huisartsen huisartsenpost spoedpost gemeente toeslag toeslagen zorgtoeslag
    huurtoeslag kinderopvangtoeslag kinderbijslag wmo bijstand uitkering uwv ww digid
    belastingdienst belasting inburgering inburgeren buurtteam buurtteams deurwaarder aanmaning
    incasso voedselbank mantelzorg mantelzorger mantelzorgers woningcorporatie huurcommissie
    schuldhulp schuldhulpverlening schuldsanering wijkbureau consultatiebureau jeugdzorg ggz cjg
    thuiszorg taalcafe taalcafé taalles taalmaatje bibliotheek brief formulier huur huurbaas
    svb cak jeugdfonds sportfonds upas u-pas pas middelbare basisschool mbo hbo wijkteam
    wijkcentrum buurthuis buurtcentrum inloop spreekuur veilig thuis kindertelefoon
    zorgverzekering eigen risico zorgverzekeraar ziekenhuis apotheek wijkverpleging
    vrijwilligerswerk vrijwilliger dagbesteding indicatie jeugdarts doktersassistente""".split()
)


class LanguageGuesser:
    """Guesses a message's language; built once per knowledge base (its names are ignored)."""

    def __init__(self, kb: KnowledgeBase):
        # Names of places and neighbourhoods, but not their ordinary words ("Lunetten Wil Wel",
        # "Hart van Hoograven"): "wil" and "van" still say a message is Dutch.
        names = {w for s in kb.services.values() for w in _words(s.name)}
        names |= {w for a in kb.areas.values() for n in a.place_names for w in _words(n)}
        names = {w for w in names if not is_known_word(w)}
        self.ignored = frozenset(fold(w) for w in DUTCH_NAMES) | names

    def guess(self, text: str) -> str | None:
        """'nl', 'en', 'tr', 'ar', 'pl', 'uk', OTHER, or None when the message does not say."""
        letters = [ch for ch in text if ch.isalpha()]
        if not letters:
            return None
        arabic = sum(1 for ch in letters if _ARABIC.match(ch))
        cyrillic = sum(1 for ch in letters if _CYRILLIC.match(ch))
        latin = sum(1 for ch in letters if _LATIN.match(ch))
        other = len(letters) - arabic - cyrillic - latin
        if other > max(arabic, cyrillic, latin):
            return OTHER if other >= 4 else None
        if arabic > latin and arabic >= cyrillic:
            return self._arabic_script(text)
        if cyrillic > latin:
            return "uk"
        return self._latin(text)

    @staticmethod
    def _arabic_script(text: str) -> str:
        words = {fold(w) for w in _WORD.findall(text)}
        persian = len(_PERSIAN_URDU_LETTERS.findall(text)) + 2 * len(words & _PERSIAN_URDU_WORDS)
        return OTHER if persian >= 3 else "ar"

    def _latin(self, text: str) -> str | None:
        plain = _URL_OR_NUMBER.sub(" ", text)
        lowered = text.lower()
        darija = len(_DARIJA_DIGIT.findall(lowered)) + sum(
            1 for w in re.findall(r"[a-z0-9]+", lowered) if w in _DARIJA_WORDS
        )
        words = [w for w in _WORD.findall(plain.lower()) if fold(w) not in self.ignored]
        if darija >= 2 or (darija and len(words) <= 3):
            return "ar"
        if len(words) < MIN_WORDS:
            return None
        lang, confidence = _lingua(" ".join(words))
        if lang is None or confidence < MIN_CONFIDENCE:
            return OTHER if len(words) >= LONG_MESSAGE and not _any_known(words) else None
        share = _known_share(words, lang)
        if len(words) >= LONG_MESSAGE and share < MIN_KNOWN_SHARE:
            return OTHER if not _any_known(words) else None
        return lang if share > 0 else None  # "qwxyz blorp" is no language at all


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if len(w) > 2]


@lru_cache(maxsize=1)
def _detector():
    """lingua, built on first use and restricted to the six languages: with fewer choices it is
    surer on short messages. Low-accuracy mode (trigrams only) needs about 13 MB and 0.1 s
    where the full models take 150 MB and 2 s; restricted to six languages it is as right on
    residents' messages (see tests/test_languages.py)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(_iso(code)) for code in SERVED]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def _iso(code: str):
    from lingua import IsoCode639_1

    return getattr(IsoCode639_1, code.upper())


@lru_cache(maxsize=4096)
def _lingua(text: str) -> tuple[str | None, float]:
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return None, 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), best.value


def _known_share(words: list[str], lang: str) -> float:
    """The share of the message's words (of three letters or more: "mi", "no", "sa" are words
    in too many languages) that are ordinary words of `lang`."""
    from wordfreq import zipf_frequency

    longer = [w for w in words if len(w) >= 3] or words
    return sum(1 for w in longer if zipf_frequency(w, lang) >= 1.5) / len(longer)


def _any_known(words: list[str]) -> bool:
    """Whether the words could be one of the Latin-script languages the bot speaks: a Dutch
    message full of compounds ("buurtactiviteit", "wijkwebsite") still has its little words."""
    return any(_known_share(words, lang) >= OTHER_SHARE for lang in ("nl", "en", "tr", "pl"))


def warm_up() -> None:
    """Load lingua's models now rather than while the first resident waits."""
    from wordfreq import zipf_frequency

    _lingua("warm")
    for lang in ("nl", "en", "tr", "pl"):
        zipf_frequency("warm", lang)
