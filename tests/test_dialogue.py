"""Conversations as a resident has them: transcripts against the transport-free engine."""

from __future__ import annotations

import json
from datetime import datetime

from bot.dialogue.engine import Engine
from bot.dialogue.state import Conversation
from bot.dialogue.types import MAX_BUTTON_DATA_BYTES, Event
from bot.knowledge.hours import AMSTERDAM
from tests.conftest import Chat


def test_greeting_hints_at_emergencies_and_offers_the_five_themes(chat):
    chat.start()
    assert "112" in chat.text and "113" in chat.text
    labels = [b.label for b in chat.buttons()]
    assert len(labels) == 5 and any("Gezondheid" in label for label in labels)


def test_debt_question_asks_district_then_answers_with_a_full_card(chat, kb):
    chat.start()
    chat.say("ik heb schulden")
    assert "wijk" in chat.text.lower()
    chat.press("Zuid")
    card = chat.last.replies[-1]
    assert card.title in {kb.services["buurtteams-utrecht"].name,
                          kb.services["schuldhulp-gemeente-utrecht"].name}
    assert "Waarom deze plek" in card.text and "schulden" in card.text
    labels = [b.label for b in chat.buttons()]
    assert any("Dit helpt" in label for label in labels)
    assert any("Iets anders" in label for label in labels)
    assert any("Praat met iemand" in label for label in labels)
    assert sum(b.data.startswith("s:") for b in chat.buttons()) <= 2


def test_district_named_in_the_message_is_not_asked_again(chat):
    chat.start()
    chat.say("ik woon in Oudwijk en mijn moeder wordt vergeetachtig")
    assert chat.titles and "Odensehuis" in chat.titles[0]
    assert chat.state.area == "oost"


def test_a_district_question_can_be_answered_by_typing_a_postcode(chat):
    chat.start()
    chat.say("ik heb schulden")
    assert chat.state.step == "area"
    chat.say("3524")
    assert chat.state.area == "zuid" and chat.titles


def test_a_probable_postcode_is_confirmed_not_assumed(chat):
    chat.start()
    chat.say("mijn postcode is 3581 en ik heb schulden")
    assert chat.state.area is None and chat.state.probable_area == "oost" and chat.state.step == "area"
    assert "Oost" in chat.text
    chat.press("Ja")
    assert chat.state.area == "oost" and chat.titles


def test_deep_link_presets_the_district(chat):
    chat.start("oost")
    assert "Oost" in chat.text
    chat.say("ik heb schulden")
    assert chat.state.step == "answered" and chat.titles


def test_deep_link_with_theme_lists_places_for_that_district(chat, kb):
    chat.start("zuid-gezondheid")
    assert "Gezondheid" in chat.text and "Zuid" in chat.text
    shown = [kb.services[b.data[2:]] for b in chat.buttons() if b.data.startswith("s:")]
    assert shown and all(kb.serves(s, "zuid") and "gezondheid" in s.themes for s in shown)


def test_unknown_deep_link_falls_back_to_the_greeting(chat):
    chat.start("onzin-payload")
    assert "Routewijzer" in chat.text and len(chat.buttons()) == 5


def test_emergency_goes_before_everything(chat, kb):
    chat.start()
    chat.say("ik wil niet meer leven")
    assert "113" in chat.text and "0800-0113" in chat.text
    assert chat.state.step == "idle"
    chat.press("andere hulp")
    assert "Vertel" in chat.text or "Waar zoek" in chat.text


def test_no_match_is_never_a_dead_end(chat):
    chat.start("zuid")
    chat.say("qwxyz blorp")
    assert "niet goed mee helpen" in chat.text
    assert any(b.data.startswith("s:") for b in chat.buttons())
    assert any(b.data.startswith("t:") for b in chat.buttons())


def test_talk_to_a_person_shows_the_front_doors_of_the_district(chat, kb):
    chat.start("oost")
    chat.say("ik heb schulden")
    chat.press("Praat met iemand")
    doors = [kb.services[b.data[2:]] for b in chat.buttons() if b.data.startswith("s:")]
    assert "oost-voor-elkaar" in [d.id for d in doors]


def test_something_else_starts_a_new_need_but_keeps_the_district(chat):
    chat.start("zuid")
    chat.say("ik heb schulden")
    chat.press("Iets anders")
    assert chat.state.candidates == [] and chat.state.area == "zuid"
    chat.say("ik zoek een bibliotheek")
    assert chat.titles and "Bibliotheek" in chat.titles[0]


def test_never_more_than_three_questions(engine):
    for message in ["ik heb schulden", "hulp voor mijn moeder", "ik ben eenzaam", "dokter"]:
        chat = Chat(engine)
        chat.start()
        chat.say(message)
        questions = 0
        while chat.state.step in {"area", "area_confirm", "audience", "urgency"}:
            questions += 1
            assert questions <= 3, message
            chat.press("Weet ik niet") if chat.state.step != "area_confirm" else chat.press("Ja")
        assert chat.titles or "niet zeker" in chat.text


def test_language_switch_changes_what_the_bot_says(chat):
    chat.start()
    chat.send(Event.command("taal"))
    chat.press("English")
    assert "English" in chat.text
    chat.say("I have debts and live in Lunetten")
    assert "Why this place" in chat.text


def test_english_platform_language_starts_in_english(chat_en):
    chat_en.start()
    assert "Tell me in your own words" in chat_en.text


def test_non_text_messages_get_a_kind_reply(chat):
    chat.start()
    chat.send(Event.unsupported("voice"))
    assert "spraakberichten" in chat.text and chat.buttons()


def test_a_stale_button_is_answered_gracefully(chat):
    chat.start()
    chat.send(Event.button("zz:old-button"))
    assert "eerder gesprek" in chat.text and chat.buttons()


def test_old_buttons_still_work_after_the_conversation_moved_on(chat, kb):
    chat.start()
    chat.say("ik heb schulden")
    chat.press("Zuid")
    alternative = next(b for b in chat.buttons() if b.data.startswith("s:"))
    chat.press("Dit helpt")
    chat.send(Event.button(alternative.data))
    assert chat.titles == [kb.services[alternative.data[2:]].name]


def test_every_button_fits_telegram_limits(engine, kb):
    chat = Chat(engine)
    outcomes = [chat.start(), chat.say("ik heb schulden"), chat.press("Oost"), chat.press("iemand")]
    for theme in kb.themes:
        outcomes.append(Chat(engine).start(f"oost-{theme}"))
    for outcome in outcomes:
        for reply in outcome.replies:
            for row in reply.buttons:
                for button in row:
                    assert len(button.data.encode()) <= MAX_BUTTON_DATA_BYTES
                    assert button.label.strip()


def test_state_survives_json_and_holds_no_message_text(chat):
    chat.start()
    chat.say("ik heb schulden bij de deurwaarder, mijn naam is Jansen")
    stored = json.dumps(chat.state.to_dict())
    assert "Jansen" not in stored and "deurwaarder bij" not in stored
    restored = Conversation.from_dict(json.loads(stored))
    assert restored.step == chat.state.step and restored.candidates
    chat.state = restored
    chat.press("Zuid")
    assert chat.titles


def test_card_says_whether_the_place_is_open_now(kb, matcher):
    friday_evening = datetime(2026, 11, 27, 20, 0, tzinfo=AMSTERDAM)
    chat = Chat(Engine(kb, matcher, clock=lambda: friday_evening))
    chat.start()
    chat.send(Event.button("s:gemeente-utrecht"))
    assert "Nu gesloten" in chat.text and "maandag vanaf 9:00" in chat.text


def test_hours_seen_years_ago_are_not_presented_as_open_now(kb, matcher):
    chat = Chat(Engine(kb, matcher, clock=lambda: datetime(2026, 11, 24, 10, 0, tzinfo=AMSTERDAM)))
    chat.start()
    chat.send(Event.button("s:buurtteam-oost"))  # opening hours from 2016
    assert "Nu open" not in chat.text and "Nu gesloten" not in chat.text
    assert "9.00-13.00" in chat.text and "Gegevens uit 2016" in chat.text


def test_privacy_lets_the_resident_delete_their_state(chat):
    chat.start("zuid")
    chat.send(Event.command("privacy"))
    outcome = chat.press("Wis")
    assert outcome.forget is True and outcome.state.area is None


def test_on_a_public_holiday_the_source_is_silent_on_the_card_claims_nothing(kb, matcher):
    christmas = datetime(2026, 12, 25, 10, 0, tzinfo=AMSTERDAM)  # gemeente: "PH unknown"
    chat = Chat(Engine(kb, matcher, clock=lambda: christmas))
    chat.start()
    chat.send(Event.button("s:gemeente-utrecht"))
    assert "Nu open" not in chat.text and "Nu gesloten" not in chat.text
    assert "9.00-17.00" in chat.text  # the source's own words instead


def test_closed_before_a_holiday_does_not_guess_when_it_opens(kb, matcher):
    christmas_eve = datetime(2026, 12, 24, 18, 0, tzinfo=AMSTERDAM)
    chat = Chat(Engine(kb, matcher, clock=lambda: christmas_eve))
    chat.start()
    chat.send(Event.button("s:gemeente-utrecht"))
    assert "Nu gesloten" in chat.text and "vanaf" not in chat.text
