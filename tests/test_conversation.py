"""The conversation, round 2: only questions that change the answer, replies that fit a phone
screen, no dead ends. Transcripts against the transport-free engine, as tables where they can be."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.dialogue import buttons
from bot.dialogue.engine import Engine
from bot.dialogue.types import Event
from bot.knowledge.hours import AMSTERDAM
from bot.matching.text import fold
from tests.conftest import TUESDAY_MORNING, Chat

PHONE_SCREEN = 700  # characters of a first reply
TUESDAY_NIGHT = datetime(2026, 12, 2, 0, 30, tzinfo=AMSTERDAM)
SATURDAY_NOON = datetime(2026, 12, 5, 12, 0, tzinfo=AMSTERDAM)


def chat_at(kb, matcher, when: datetime, lang: str = "nl") -> Chat:
    return Chat(Engine(kb, matcher, clock=lambda: when), lang=lang)


def asked(chat: Chat) -> str | None:
    return chat.state.step if chat.last.tag == "question" else None


# ---------------------------------------------------------------- only questions that matter


@pytest.mark.parametrize(
    ("message", "never_asked"),
    [
        ("ik ben eenzaam", "urgency"),  # loneliness is never asked how urgent it is
        ("I feel lonely", "urgency"),
        ("wat voor weer wordt het morgen?", "area"),  # no need, so no district question
        ("ik wil een pizza bestellen", "area"),
        ("hallo", "area"),
    ],
)
def test_a_question_is_only_asked_when_its_answer_would_matter(chat, message, never_asked):
    chat.start()
    chat.say(message)
    assert asked(chat) != never_asked


def test_a_place_for_one_district_is_never_shown_before_the_district_is_known(chat, kb):
    chat.start()
    chat.say("ik zoek een huisarts")
    assert asked(chat) == "area"
    chat.press("Zuid")
    shown = kb.services[chat.state.shown[0]]
    assert "zuid" in shown.areas or "utrecht" in shown.areas


@pytest.mark.parametrize(
    ("answer", "urgent"),
    [("niet dringend", False), ("het is niet urgent", False), ("not urgent", False),
     ("geen haast", False), ("het kan wachten", False), ("nu meteen", True), ("dringend!", True)],
)
def test_niet_dringend_is_not_urgent(chat, answer, urgent):
    chat.start()
    chat.say("ik heb schulden")
    chat.state.step = "urgency"  # as if the bot had asked how urgent it is
    chat.say(answer)
    assert chat.state.urgent is urgent


def test_not_urgent_never_puts_the_emergency_lines_in_front_of_a_worried_parent(chat):
    chat.start()
    chat.say("mijn zoon wordt gepest, het is niet dringend")
    assert chat.last.tag != "crisis"
    assert not chat.titles or chat.titles[0] not in {"Veilig Thuis Utrecht", "113 Zelfmoordpreventie"}


# ---------------------------------------------------------------- off-script answers


@pytest.mark.parametrize("typed", ["weet ik niet", "Weet ik niet", "geen idee", "I don't know"])
def test_typing_i_dont_know_skips_the_question(chat, typed):
    chat.start()
    chat.say("ik heb schulden")
    assert asked(chat) == "area"
    chat.say(typed)
    assert chat.last.tag == "answer" and "ken ik niet" not in chat.text


@pytest.mark.parametrize(("typed", "area"), [("Zuid", "zuid"), ("elders in utrecht", "utrecht"),
                                             ("buiten utrecht", "nederland")])
def test_the_bots_own_button_labels_typed_are_answers(chat, typed, area):
    chat.start()
    chat.say("ik heb schulden")
    chat.say(typed)
    assert chat.state.area == area and chat.last.tag == "answer"


@pytest.mark.parametrize(("typed", "area", "said"),
                         [("Amersfoort", "nederland", "buiten Utrecht"),
                          ("ik woon in Nieuwegein", "nederland", "buiten Utrecht"),
                          ("Overvecht", "utrecht", "niet in Oost of Zuid"),
                          ("Wittevrouwen", "utrecht", "niet in Oost of Zuid")])
def test_a_place_outside_oost_and_zuid_is_answered_honestly(chat, typed, area, said):
    chat.start()
    chat.say("ik heb schulden")
    chat.say(typed)
    assert chat.state.area == area
    assert said in chat.text and chat.titles  # what the bot covers, and help all the same


def test_yes_and_no_in_words_answer_a_confirmation(chat):
    chat.start()
    chat.say("mijn postcode is 3581 en ik heb schulden")
    assert "Oost" in chat.text and chat.state.probable_area == "oost"
    chat.say("ja hoor")
    assert chat.state.area == "oost"


@pytest.mark.parametrize("command", ["help", "privacy", "taal"])
def test_a_command_mid_question_asks_the_question_again(chat, command):
    chat.start()
    chat.say("ik heb schulden")
    question = chat.last.replies[-1].text
    chat.send(Event.command(command))
    if command == "taal":
        chat.press("Nederlands")
    assert chat.last.replies[-1].text == question
    chat.say("2")  # a typed number is still read as the open question, not as a topic
    assert chat.state.area is not None or chat.last.tag in ("answer", "question")


def test_old_buttons_in_a_residents_chat_still_work(chat):
    chat.start()
    chat.say("ik heb schulden")
    chat.send(Event.button("a:zuid"))  # the form buttons had before they had a kind
    assert chat.state.area == "zuid" and chat.last.tag == "answer"
    assert buttons.decode("x:area").value == buttons.SKIP


# ---------------------------------------------------------------- one phone screen


@pytest.mark.parametrize("message", ["hallo", "hoi!", "dank je wel", "bedankt", "hulp", "help",
                                     "thanks"])
def test_greetings_thanks_and_one_word_get_one_short_question_with_buttons(chat, message):
    chat.start()
    chat.say(message)
    assert len(chat.last.replies) == 1
    assert len(chat.text) < 200 and chat.buttons()


@pytest.mark.parametrize("message", ["wat voor weer wordt het morgen?", "ik wil een pizza bestellen",
                                     "qwxyz blorp"])
def test_out_of_scope_gets_an_honest_short_reply_and_a_way_on(chat, message):
    chat.start()
    chat.say(message)
    assert "niet goed mee helpen" in chat.text
    assert len(chat.text) <= PHONE_SCREEN and chat.buttons()


@pytest.mark.parametrize(
    "message",
    ["ik heb schulden en woon in Lunetten", "ik ben eenzaam, ik woon in Hoograven",
     "mijn moeder wordt vergeetachtig, we wonen in Oudwijk", "ik zoek vrijwilligerswerk",
     "waar is de voedselbank", "ik wil Nederlands leren"],
)
def test_a_first_answer_fits_one_phone_screen(chat, message):
    chat.start()
    chat.say(message)
    if chat.last.tag == "question":
        chat.press("Weet ik niet")
    assert chat.titles and all(len(r.text) <= PHONE_SCREEN for r in chat.last.replies)


def test_a_topic_lists_three_places_at_a_time_with_more(chat):
    chat.start("zuid")
    chat.press("Ontmoeten")
    places = [b for b in chat.buttons() if b.data.startswith("s:")]
    assert len(places) == 3 and any("Meer" in b.label for b in chat.buttons())
    first = set(chat.state.shown)
    chat.press("Meer")
    assert {b.data for b in chat.buttons() if b.data.startswith("s:")}.isdisjoint(
        {f"s:{s}" for s in first})


# ---------------------------------------------------------------- never a dead end


def test_talk_to_a_person_at_night_leads_with_someone_reachable_now(kb, matcher):
    chat = chat_at(kb, matcher, TUESDAY_NIGHT)
    chat.start("oost")
    chat.say("ik ben eenzaam")
    chat.press("Praat met iemand")
    text = chat.text
    assert text.index("De Luisterlijn") < text.index("Buurtteams Utrecht")
    assert "088-0767 000" in text  # with a number to call
    assert chat.buttons()


def test_a_gp_need_at_night_leads_with_the_huisartsenpost(kb, matcher):
    for when in (TUESDAY_NIGHT, SATURDAY_NOON):
        chat = chat_at(kb, matcher, when, lang="en")
        chat.start("zuid")
        chat.say("I need a GP")
        assert chat.titles[0].startswith("Spoedpost"), when


def test_a_gp_need_in_office_hours_goes_to_a_practice(chat):
    chat.start("zuid")
    chat.say("ik zoek een huisarts")
    assert not chat.titles[0].startswith("Spoedpost")


def test_every_reply_ends_with_a_next_step(chat):
    """Whatever the resident says or taps, the last reply offers buttons."""
    chat.start()
    for step in ["ik heb schulden", "Zuid", "!Praat met iemand", "hallo", "qwxyz", "!Buurtteams",
                 "!Dit helpt", "ik wil niet meer leven", "!andere hulp", "dank je"]:
        if step.startswith("!"):
            chat.press(step[1:])
        else:
            chat.say(step)
        assert chat.last.replies[-1].buttons, step


# ---------------------------------------------------------------- several needs


def test_a_story_with_three_needs_answers_one_and_offers_the_others(chat):
    chat.start()
    chat.say("we gaan scheiden, ik heb schulden en mijn zoon wordt gepest op school. "
             "ik woon in Lunetten")
    assert chat.last.tag == "answer"
    also = [b for b in chat.buttons() if b.label.startswith("Ook:")]
    assert also, [b.label for b in chat.buttons()]
    chat.press("Ook:")
    assert chat.titles  # the other need gets its own card


@pytest.fixture(scope="module")
def learned_engine(kb) -> Engine:
    """The engine as residents meet it: keywords and the learned router both."""
    return Engine(kb, clock=lambda: TUESDAY_MORNING)


@pytest.mark.parametrize(
    "message",
    ["somber en moe, woon in lunetten", "computer cursus hoograven",
     "plek voor jongeren om te chillen in oost",
     "there was a stabbing in our street last week, I saw it happen and I can't stop thinking "
     "about it", "ik verzuip in de post en de rekeningen sinds mijn man overleden is",
     "Ik ben mijn baan kwijt en zit de hele dag thuis. Ik woon in Hoograven. Ik wil weer iets "
     "doen"],
)
def test_a_second_need_is_named_by_a_need_not_by_a_place_a_time_or_a_loss(learned_engine,
                                                                          message):
    """"Ook: lunetten", "Ook: week" and "Ook: overleden" offered a place for a need nobody
    asked about (the bot's own matcher, with its router, finds more places than keywords)."""
    chat = Chat(learned_engine)
    chat.start()
    chat.say(message)
    needs = [b.label.removeprefix("Ook: ") for b in chat.buttons() if b.label.startswith("Ook:")]
    never = {"lunetten", "hoograven", "oost", "week", "overleden", "man", "doen", "thuis"}
    assert not {fold(n) for n in needs} & never, needs


# ---------------------------------------------------------------- texts


def test_texts_read_as_meant(kb, chat_en):
    assert "één voor één" in kb.texts["nl"]["slow_down"]
    assert "naam of nummer" not in kb.texts["nl"]["privacy"]
    chat_en.start()
    chat_en.send(Event.command("help"))
    assert "/restart" in chat_en.text and "/opnieuw" not in chat_en.text
