"""Which words are real words of the languages residents write.

A typo-tolerant matcher is only safe when it knows what a typo is. "roken" is not a typo of
"broken", "gestorven" is not one of "gestolen" and "optillen" is not one of "pillen": each is
an ordinary word the resident meant as written. The knowledge's own vocabulary is far too small
to tell (it has no reason to contain "roken"), so this asks wordfreq, which ships word
frequencies for Dutch and English built from large public corpora. A word used at least
`KNOWN_ZIPF` times on the Zipf scale (about once in 100 million words at 2.0) in either language
is a real word; misspellings ("shulden", "eenzaamheit", "huisats") are far rarer than that.
"""

from __future__ import annotations

from functools import lru_cache

from wordfreq import zipf_frequency

LANGUAGES = ("nl", "en")
KNOWN_ZIPF = 2.0


@lru_cache(maxsize=131072)
def is_known_word(word: str) -> bool:
    """Whether `word` (folded, one token) is an ordinary Dutch or English word."""
    if len(word) < 2 or not word.isalpha():
        return False
    return any(zipf_frequency(word, lang) >= KNOWN_ZIPF for lang in LANGUAGES)


def warm_up() -> None:
    """Load the frequency lists now, so the first resident does not wait for them."""
    is_known_word("hulp")
    for lang in LANGUAGES:
        zipf_frequency("warm", lang)
