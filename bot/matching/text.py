"""Dutch-aware text normalisation shared by the index, the query side and crisis detection.

Both sides of a match must go through the same steps, or "eenzaamheid" in a keyword and
"eenzaam" in a message would never meet. Residents type on phones: no accents, stretched
letters ("heeeelp"), mixed Dutch and English, so every step is forgiving.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_DUTCH = snowballstemmer.stemmer("dutch_porter")
_ENGLISH = snowballstemmer.stemmer("english")
# Letters and digits of every script: Turkish, Polish, Arabic and Ukrainian words are words too.
_NON_WORD = re.compile(r"[\W_]+")
_STRETCHED = re.compile(r"(.)\1{2,}")
MAX_TOKENS = 200  # a message is cut here: nobody describes a need in more words
MAX_TOKEN_LENGTH = 40

# Words that carry no need. Negations ("geen", "niet") and "alleen" stay: "geen eten" and
# "niet meer leven" mean something. "re", "ll", "ve": what tokens() leaves of "you're", "we'll".
STOP_WORDS = frozenset(
    """
    de het een en of maar dan als dat die dit deze daar hier er ik je jij u we wij ze zij hij
    mij me mijn m'n jouw uw ons onze hun haar zijn is was ben bent wordt worden werd heb hebt
    heeft hebben had kan kun kunt kunnen wil wilt willen moet moeten zou zouden mag mogen ga gaat
    gaan doe doet om te van voor met op in aan bij naar over uit door tot tegen zonder na sinds
    wat wie waar hoe welke wanneer waarom ook nog al wel heel erg zeer echt even graag alsjeblieft
    aub pls please iets iemand ergens zo toch eens nu dus want omdat zodat hoi hallo hey hi dag
    goedemorgen goedemiddag goedenavond dank bedankt thanks ja nee oke ok okay hulp help vraag
    vragen zoek zoeken zoekt informatie info utrecht
    the a an and or but if then that this these those there here i you he she it we they my your
    his her its our their is am are was were be been being have has had do does did can could
    will would should shall may might must to of for with on in at by from about into over
    what who where how which when why also too very really just some someone somewhere any
    anyone so now hello hey thank need looking find get want re ll ve
    """.split()
)
# The same little words in Turkish, Arabic (and Latin-script darija), Polish and Ukrainian, as
# tokens() folds them: a long message in those languages is not a message full of unknown needs.
STOP_WORDS |= frozenset(
    """
    bir ve ile bu su o ben sen biz siz onlar benim senin bizim icin gibi ama da de mi mu ne
    nasil nerede nereye neden kim hangi var yok cok daha en her hic sadece ya veya ki diye
    bana beni bize sana size ona onu simdi lazim istiyorum ariyorum merhaba selam lutfen
    acaba yardim bilgi
    في من على الى الي عن انا انت هو هي نحن هم هل ما ماذا كيف اين لماذا متى و او مع هذا هذه ذلك
    التي الذي كان كانت عندي عندنا لي لنا بدي اريد ابغى ممكن شو ايش يا مرحبا السلام عليكم شكرا
    مساعده معلومات اذا لو كل بعض
    ana nta nti howa hiya hna homa wach wash ach chno chnou kifach fin fen 3lach ila wla w f fl
    l dyal dial dyali m3a 3la bghit baghi bghina chi had hadi hadak 3ndi 3andi kayn kayna
    salam slm 3afak afak
    i a o u w z ze na do po od za przez dla bez przy jest sa byc masz mamy jestem
    jestesmy to ta te tego co czy jak gdzie kiedy dlaczego kto ktory ale lub albo tez
    tylko juz jeszcze bardzo mi mnie moj moja moje moi nasz nasza sie sobie ja ty on ona my
    wy oni prosze szukam potrzebuje chce chcialbym chcialabym moge mozna dzien dobry czesc
    pomoc pomocy informacje
    я ти він вона ми ви вони мені мене мій моя моє мої наш наша у в з із на до по від за для без
    при через це цей ця ці що як де коли чому хто який яка але або теж також тільки вже ще
    дуже є був була було бути маю має маємо треба потрібно потрібна потрібен хочу шукаю можна
    можу будь ласка привіт добрий день допомога допомогу допомоги інформація
    """.split()
)


# Words that change the meaning of a phrase ("geen eten", "niet thuis") but say nothing about a
# need on their own: they count inside multi-word keywords only.
WEAK_WORDS = frozenset(
    """
    niet geen meer wel weer nooit steeds altijd veel nog alle alles niets krijg krijgen maken
    weet weten woon woont voel voelt zit zitten gezocht kort lang heen vaak soms beetje gewoon
    mogelijk misschien sinds ooit laatst nodig
    not no more never any every all nothing don dont t s m ll ve re got get know feel live lives
    """.split()
)
WEAK_WORDS |= frozenset("nie не ні degil لا ليس مش mashi".split())


def fold(text: str) -> str:
    """Lowercase, strip accents (é -> e, ë -> e), so typed and written forms compare equal."""
    if text.isascii():
        return text.lower()  # nothing to strip: the common case, and much cheaper
    text = unicodedata.normalize("NFKD", _UK_APOSTROPHE.sub("", text.casefold()))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_LETTERS)


# Letters residents type in more than one way, folded to one (after NFKD has stripped accents,
# Arabic tashkeel and hamza seats: أ إ آ -> ا): Turkish dotless ı and Polish ł have no accent to
# strip; Arabic alif maqsura and ta marbuta are written as ya and ha as often as not, and the
# tatweel only stretches a word. Latin-script darija (3 = ع, 7 = ح) is left as typed.
_LETTERS = str.maketrans({"ı": "i", "ł": "l", "ى": "ي", "ة": "ه", "ٱ": "ا", "ـ": None,
                          "ی": "ي", "ک": "ك", "ґ": "г", "ʼ": None})
# The Ukrainian apostrophe inside a word ("п'ять", "сім’я") is part of the word.
_UK_APOSTROPHE = re.compile(r"(?<=[а-яіїєґ])['’](?=[а-яіїєґ])")


def tokens(text: str) -> list[str]:
    """Every word of a message, folded, stretched letters squeezed ("heeeelp" -> "heelp")."""
    words = _NON_WORD.split(_STRETCHED.sub(r"\1\1", fold(text)))
    return [w[:MAX_TOKEN_LENGTH] for w in words if w][:MAX_TOKENS]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Dutch stem ("schulden" -> "schuld", "eenzaamheid" -> "eenzam")."""
    return _DUTCH.stemWord(word) if len(word) > 3 else word


@lru_cache(maxsize=65536)
def stem_en(word: str) -> str:
    """English stem, for the English side of the knowledge ("debts" -> "debt")."""
    return _ENGLISH.stemWord(word) if len(word) > 3 else word


def content_words(text: str) -> list[str]:
    """The words of a message that can say what the need is."""
    return [w for w in tokens(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]
