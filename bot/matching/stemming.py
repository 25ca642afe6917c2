"""Word forms in Turkish, Arabic, Polish and Ukrainian, for words already folded by tokens().

"borçlarım", "borcum" and "borç" are one word to a resident; so are "długi", "długów" and
"długami", or "лікар", "лікаря" and "лікарем". Each language gets the lightest reliable
reduction:
- Turkish and Polish: Snowball's stemmers (the same library as Dutch and English), plus the
  Turkish present tense (-iyor) it leaves on;
- Arabic: light stemming in the manner of Larkey's light10 (the best-known result for Arabic
  retrieval): the article and joined prepositions in front (وال, بال, لل, ال, و, ب, ل, ف, ك),
  pronoun and plural endings behind, never below three letters. Snowball's Arabic stemmer cuts
  too deep ("الديون" -> "الد");
- Ukrainian: no Snowball stemmer exists and Russian's does not know і, ї, є; its case endings
  are few and regular, so they are cut here, longest first, keeping four letters.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import snowballstemmer

from bot.matching.text import fold

_TURKISH = snowballstemmer.stemmer("turkish")
_POLISH = snowballstemmer.stemmer("polish")
_TURKISH_TENSES = ("iyorlar", "uyorlar", "iyorum", "uyorum", "iyor", "uyor", "amiyor", "emiyor")
_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
# "my" (ـي) before "me" (ـني): "ديوني" is my debts; verbs with "me" are listed in full.
_ARABIC_SUFFIXES = ("هما", "كما", "ها", "هم", "هن", "كم", "كن", "نا", "ات", "ون", "ين", "ان",
                    "يه", "ه", "ي", "ك")
_UKRAINIAN_ENDINGS = tuple(
    sorted(
        """ами ями ові еві ого ому ими іми ій ів їв ах ях ам ям ом ем ою ею ої ий ии ая яя ую юю
        а я у ю і и е о ь""".split(),
        key=len,
        reverse=True,
    )
)
_POLISH_ENDINGS = ("ow", "ami", "ach", "om", "em")


@lru_cache(maxsize=65536)
def stem_tr(word: str) -> str:
    # Snowball writes back the letter a suffix softened ("borcum" -> "borç"): fold it again.
    stemmed = fold(_TURKISH.stemWord(word)) if len(word) > 3 else word
    for ending in _TURKISH_TENSES:
        if stemmed.endswith(ending) and len(stemmed) - len(ending) >= 3:
            return stemmed[: -len(ending)]
    return stemmed


@lru_cache(maxsize=65536)
def stem_pl(word: str) -> str:
    stemmed = _POLISH.stemWord(word) if len(word) > 3 else word
    for ending in _POLISH_ENDINGS:
        if stemmed.endswith(ending) and len(stemmed) - len(ending) >= 4:
            return stemmed[: -len(ending)]
    return stemmed


@lru_cache(maxsize=65536)
def stem_ar(word: str) -> str:
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix) :]
            break
    for suffix in _ARABIC_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65536)
def stem_uk(word: str) -> str:
    for ending in _UKRAINIAN_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


STEMMERS: dict[str, Callable[[str], str]] = {
    "tr": stem_tr,
    "ar": stem_ar,
    "pl": stem_pl,
    "uk": stem_uk,
}
