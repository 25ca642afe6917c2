"""Understanding residents beyond our own examples: situations, a safety net, honest reasons.

The emergencies here are the kinds the issue reported missed (reworded), the look-alikes the
kinds that must not alarm. The benchmark (bench/quality.py) measures the same on hundreds of
messages; these tests pin the mechanisms so a change to the rules cannot quietly undo them.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bench import quality
from bot.dialogue.engine import Engine
from bot.matching.crisis import TRUST, CrisisDetector
from bot.matching.profile import Profile
from bot.matching.text import tokens
from tests.conftest import TUESDAY_MORNING, Chat


@pytest.fixture(scope="module")
def crisis(kb) -> CrisisDetector:
    return CrisisDetector(kb)


@pytest.mark.parametrize(
    ("message", "first_line"),
    [
        # means + intent, in words the rules never list whole
        ("mijn vriendin heeft net een hele strip slaappillen doorgeslikt", "alarmnummer-112"),
        ("ik heb een doosje oxazepam opgespaard voor als het te veel wordt", "zelfmoordpreventie-113"),
        ("ik sta op het dak van de flat en wil springen", "zelfmoordpreventie-113"),
        # signs of a body in danger
        ("opa's mond hangt scheef en hij kan zijn arm niet meer optillen", "alarmnummer-112"),
        ("my friend collapsed and won't wake up", "alarmnummer-112"),
        ("mijn vader is gevallen en bloedt heel erg uit zijn hoofd", "alarmnummer-112"),
        ("mijn man heeft pijn op de borst en zweet helemaal", "alarmnummer-112"),
        ("mijn zoontje ligt te schokken met armen en benen", "alarmnummer-112"),
        # ideation without a method
        ("het heeft allemaal geen zin meer, ik ben het leven zat", "zelfmoordpreventie-113"),
        ("iedereen is beter af zonder mij", "zelfmoordpreventie-113"),
        ("ik wil niet meer wakker worden", "zelfmoordpreventie-113"),
        ("there's no point in going on", "zelfmoordpreventie-113"),
        # dark humour is still taken seriously
        ("ik wil dood haha", "zelfmoordpreventie-113"),
        ("i want to die lol", "zelfmoordpreventie-113"),
        # violence at home, a child in danger, voices that command
        ("als mijn man dronken is knijpt hij mijn keel dicht", "veilig-thuis-utrecht"),
        ("ik ben bang voor hem als hij thuiskomt", "veilig-thuis-utrecht"),
        ("het buurjongetje van 5 is al de hele avond alleen thuis", "veilig-thuis-utrecht"),
        ("mijn oom doet rare dingen met mijn nichtje", "veilig-thuis-utrecht"),
        ("de stemmen in mijn hoofd zeggen dat ik mezelf moet straffen", "spoedpost-huisartsen-utrecht-stad"),
        ("ik hoor een stem die zegt dat ik moet springen", "spoedpost-huisartsen-utrecht-stad"),
        ("I hear a voice telling me to hurt my kids", "spoedpost-huisartsen-utrecht-stad"),
    ],
)
def test_emergencies_in_everyday_words_get_the_emergency_reply(crisis, message, first_line):
    hit = crisis.detect(message)
    assert hit is not None and hit.certain, message
    assert hit.service_ids[0] == first_line


@pytest.mark.parametrize(
    "message",
    [
        "het is niet dringend, maar ik zoek hulp bij mijn administratie",
        "ik wil stoppen met roken",
        "mijn vader had vorig jaar een hartaanval en wil nu gezonder leven",
        "hoe herken je een beroerte? ik wil voorbereid zijn",
        "mijn man slaat me niet ofzo, maar we hebben veel ruzie over geld",
        "ik wil niet dood, ik wil gewoon minder eenzaam zijn",
        "ik heb geen zelfmoordgedachten, maar ik slaap slecht",
        "I hurt myself playing football",
        "ik ga dood van de verveling, zijn er activiteiten in de buurt",
        "mijn verhuurder reageert niet op mijn klachten over schimmel",
        "mijn opa is overleden en ik mis hem",
        "ik wil stemmen bij de gemeenteraadsverkiezingen",
        "mijn kind is bang om alleen thuis te zijn",
        "ik hoor de stem van mijn moeder nog die zegt dat het goed komt",
        # a story or a course: however many alarming words it holds
        "in het boek dat ik lees hoort de hoofdpersoon stemmen, is een psychose echt zo?",
        "we keken een film waarin iemand van een brug springt, wat was die hulplijn?",
    ],
)
def test_look_alikes_never_get_the_emergency_reply(crisis, message):
    hit = crisis.detect(message)
    assert hit is None or not hit.certain, (message, hit)


def test_not_urgent_turns_an_emergency_into_a_safety_line_not_into_silence(crisis):
    hit = crisis.detect("het is niet dringend maar mijn man slaat me soms")
    assert hit is not None and not hit.certain
    assert hit.service_ids[0] == "veilig-thuis-utrecht"


def test_an_ordinary_need_in_despair_is_answered_with_a_safety_line_and_a_way_to_help(chat):
    chat.start()
    chat.say("ik kan niet meer, de schulden groeien me boven het hoofd. ik woon in Lunetten")
    assert chat.titles, "the debt question itself is answered"
    assert "113" in chat.last.replies[-1].text
    chat.press("Ik ben nu in gevaar")
    assert chat.last.tag == "crisis" and "113" in chat.text


def test_likely_danger_with_no_clear_need_opens_with_the_line_then_goes_on(kb, matcher):
    """No words the rules know, a need the words hardly name: the line comes first, not a
    buurtteam with 113 under it. (The model may not decide alone here, so that the safety line,
    not the emergency reply, is what is tested, however sure it grows.)"""
    engine = Engine(kb, matcher, clock=lambda: TUESDAY_MORNING,
                    trust=replace(TRUST, sure_alone=2.0, confirm=2.0))
    chat = Chat(engine)
    chat.start()
    chat.say("er is niemand die me mist als ik er niet meer ben")
    first, *rest = chat.last.replies
    assert "113" in first.text and "Ik ben nu in gevaar" in first.buttons[0][0].label
    assert rest and chat.last.tag != "crisis", "the need is still answered, below the line"


def test_despair_with_no_other_need_gets_the_emergency_lines_not_a_list_of_places(chat):
    chat.start()
    chat.say("ik kan niet meer")
    assert chat.last.tag == "crisis" and "113" in chat.text


# ---------------------------------------------------------------- fuzzy only for non-words

ORDINARY_WORDS = [
    "roken", "broken", "gestorven", "optillen", "gevallen", "wake", "awake", "stoppen", "bijna",
    "doen", "word", "man", "overleden", "tablet", "strip", "koken", "wonen", "lopen", "fietsen",
    "slapen", "zwemmen", "lezen", "schrijven", "bellen", "praten", "huilen", "lachen", "vergeten",
    "verhuizen", "trouwen", "rijden", "betalen", "kopen", "verkopen", "boos", "blij", "tuin",
    "kerk", "markt", "winkel", "trein", "hond", "kat", "regen", "weer", "pizza", "voetbal",
    "gestolen", "bevallen", "money", "weather", "holiday",
]


@pytest.mark.parametrize("word", ORDINARY_WORDS)
def test_a_real_word_is_never_corrected_into_another_keyword(matcher, word):
    for result in matcher.match(f"ik {word}"):
        guessed = [h for h in result.hits if h.how == "fuzzy"]
        assert not guessed, f"{word!r} was taken for {guessed[0].keyword!r}"


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("shulden", "schulden"), ("eenzaamheit", "eenzaamheid"), ("huisats", "huisarts"),
     ("hiusarts", "huisarts"), ("voedselbnak", "voedselbank"), ("mantelzorgr", "mantelzorger"),
     ("vrijwilligerswrek", "vrijwilligerswerk")],
)
def test_typos_still_find_the_place_the_word_would(matcher, typo, meant):
    got = [r.service.id for r in matcher.match(typo, Profile(area="zuid"))[:1]]
    assert got and got == [r.service.id for r in matcher.match(meant, Profile(area="zuid"))[:1]]


def test_a_small_number_never_meets_a_phone_number(matcher):
    # "14" is an age here, not the gemeente's 14 030
    ids = [r.service.id for r in matcher.match("mijn zoon van 14 hangt de hele dag op straat")]
    assert ids and ids[0] != "gemeente-utrecht"


# ---------------------------------------------------------------- an honest "why"

QUOTED = re.compile(r"‘([^’]+)’")


def _why_line(outcome) -> str:
    return next(
        (line for reply in outcome.replies for line in reply.text.splitlines()
         if "Waarom deze plek" in line or "Why this place" in line),
        "",
    )


@pytest.mark.parametrize(
    ("message", "never"),
    [("ik wil stoppen met roken", "broken"), ("mijn man is gestorven", "gestolen"),
     ("mijn man is overleden en ik ben eenzaam", "overleden"),
     ("ik ben bijna 80 en woon alleen in Lunetten", "bijna"),
     ("ik word gek van de schulden, ik woon in Hoograven", "word")],
)
def test_the_why_line_never_quotes_a_word_that_explains_nothing(chat, message, never):
    chat.start()
    chat.say(message)
    why = _why_line(chat.last)
    assert never not in QUOTED.findall(why), why


def test_every_quoted_word_in_a_why_line_was_written_by_the_resident(engine):
    """Over every development message: what the card quotes, the resident wrote."""
    from bot.dialogue.types import Event

    items = quality.load_items(quality.DEFAULT_SETS["development"])
    items = items[:: max(1, len(items) // 3000)]  # about 3,000 from every set: fast enough
    checked = 0
    for item in items:
        state = engine.handle(None, Event.start(item.area or "")).state
        outcome = engine.handle(state, Event.text(item.text))
        written = set(tokens(item.text))
        for quoted in QUOTED.findall(_why_line(outcome)):
            checked += 1
            assert set(tokens(quoted)) <= written, (item.text, quoted)
    assert checked > 100  # the check really ran over many cards
