"""Every card a resident can act on, in their language, without maintainers' notes; and the
audit's corrections as a resident sees them (issue 13)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.dialogue.cards import service_card
from bot.dialogue.engine import Engine
from bot.dialogue.texts import Texts
from bot.dialogue.types import Event
from bot.knowledge.hours import AMSTERDAM, open_state
from bot.knowledge.model import KnowledgeBase
from bot.matching.profile import ProfileReader
from tests.conftest import TUESDAY_MORNING, Chat

WAYS_IN = ("📞", "📍", "🌐", "✉️")


def card_text(engine: Engine, service_id: str, lang: str) -> str:
    """The card as the engine sends it when a resident taps the service."""
    chat = Chat(engine, lang=lang)
    chat.start()
    chat.send(Event.button(f"s:{service_id}"))
    return chat.text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_card_offers_a_way_to_reach_the_place_or_its_front_door(engine, kb, lang):
    say = Texts(kb, lang)
    door_intro = say("card_front_door", door="", way="").split(":")[0].strip()
    for service in kb.services.values():
        text = card_text(engine, service.id, lang)
        assert any(way in text for way in WAYS_IN), f"{service.id}: nothing to call, visit or open"
        if not service.contact.any:
            door = kb.services[service.front_door]
            assert door_intro in text and door.name in text, service.id


def test_a_place_without_contact_says_how_to_get_there_through_its_front_door(engine, kb):
    text = card_text(engine, "voedselbank-utrecht", "nl")
    assert "🚪 Bereikbaar via Buurtteams Utrecht" in text
    assert "🌐 https://www.buurtteamsutrecht.nl" in text
    text = card_text(engine, "vluchtelingenwerk-utrecht", "en")
    assert "Reach them through Inburgering gemeente Utrecht" in text and "📞 14 030" in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_front_doors_offered_to_talk_to_a_person_can_each_be_reached(engine, kb, lang):
    for area in kb.districts():
        chat = Chat(engine, lang=lang)
        chat.start(area.id)
        chat.say("ik heb schulden")
        chat.press("🙋")
        for door in area.front_doors:
            block = chat.text.split(kb.services[door].name, 1)[1].split("\n\n")[0]
            assert any(way in block for way in WAYS_IN), (area.id, door, block)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_card_shows_a_maintainers_note(engine, kb, lang):
    noted = [s for s in kb.services.values() if s.notes]
    assert len(noted) > 100
    for service in noted:
        text = card_text(engine, service.id, lang)
        for piece in (service.notes[:40], service.notes[-40:]):
            assert piece not in text, service.id


def test_english_cards_show_english_cost_and_hours_not_dutch(engine, kb):
    checked = 0
    for service in kb.services.values():
        text = card_text(engine, service.id, "en")
        for texts in (service.cost, service.opening_hours_note):
            if texts and texts["nl"] != texts["en"]:
                assert texts["nl"] not in text, service.id
                checked += 1
        assert service.description["en"] in text
    assert checked > 40
    assert "💶 Free and anonymous" in card_text(engine, "de-kindertelefoon", "en")


def test_the_old_facts_warning_names_only_what_the_card_offers(kb):
    now = TUESDAY_MORNING
    say = Texts(kb, "nl")
    only_website = service_card(kb, kb.services["buurtteams-utrecht"], now, say)
    assert "Gegevens uit 2020. Kijk op de website om te checken." in only_website
    assert "Bel" not in only_website
    phone_only = service_card(kb, kb.services["de-kindertelefoon"], now, say)
    assert "Gegevens uit 2019. Bel om te checken." in phone_only
    through_door = service_card(kb, kb.services["humanitas-utrecht"], now, say)
    assert "Vraag het na bij NIZU" in through_door


# ---------------------------------------------------------------------- the audit's corrections


def engine_at(kb: KnowledgeBase, matcher, moment: datetime) -> Engine:
    return Engine(kb, matcher, clock=lambda: moment)


def test_gemeente_desk_is_open_on_wednesday_afternoon_while_the_phone_is_not(kb, matcher):
    wednesday_2pm = datetime(2026, 12, 2, 14, 0, tzinfo=AMSTERDAM)
    nl = card_text(engine_at(kb, matcher, wednesday_2pm), "gemeente-utrecht", "nl")
    assert "🟢 Nu open, langsgaan kan tot 17:00" in nl
    assert "🔴 Nu telefonisch niet bereikbaar. Bellen kan weer morgen vanaf 9:00" in nl
    en = card_text(engine_at(kb, matcher, wednesday_2pm), "gemeente-utrecht", "en")
    assert "🟢 Open now, walk in until 17:00" in en and "🔴 Phone line closed now" in en


def test_a_phone_line_says_it_is_a_phone_line(kb, matcher):
    monday_10am = datetime(2026, 11, 30, 10, 0, tzinfo=AMSTERDAM)
    text = card_text(engine_at(kb, matcher, monday_10am), "stichting-leergeld-utrecht", "nl")
    assert "🟢 Nu telefonisch bereikbaar, tot 12:00" in text


def test_wittevrouwen_is_not_a_place_in_oost_but_buiten_wittevrouwen_is(kb):
    names = [name.lower() for name in kb.areas["oost"].place_names]
    assert "buiten-wittevrouwen" in names and "wittevrouwen" not in names
    reader = ProfileReader(kb)
    # Wittevrouwen is wijk Noordoost: elsewhere in Utrecht, never Oost
    assert reader.area("Wittevrouwen", answering=True).area_id == "utrecht"
    assert reader.area("Buiten-Wittevrouwen", answering=True).area_id == "oost"


def test_living_in_wittevrouwen_does_not_make_the_bot_assume_oost(kb):
    assert ProfileReader(kb).area("ik woon in Wittevrouwen").area_id == "utrecht"


def test_no_service_is_open_on_a_public_holiday_the_facts_are_silent_on(kb):
    """Only lines whose facts say 'every day' or 'day and night' may be open at Christmas."""
    christmas = datetime(2026, 12, 25, 11, 0, tzinfo=AMSTERDAM)
    open_at_christmas = {
        service.id
        for service in kb.services.values()
        for expression in service.opening_hours.values()
        if open_state(expression, christmas).open
    }
    assert open_at_christmas == {
        "alarmnummer-112", "zelfmoordpreventie-113", "de-luisterlijn", "veilig-thuis-utrecht",
        "de-kindertelefoon", "centrum-seksueel-geweld-utrecht",
    }


def test_on_a_public_holiday_the_odensehuis_card_claims_nothing(kb, matcher):
    christmas_friday = datetime(2026, 12, 25, 11, 0, tzinfo=AMSTERDAM)
    service = kb.services["odensehuis-andante"]
    assert open_state(service.opening_hours["walk_in"], christmas_friday).unknown
    text = card_text(engine_at(kb, matcher, christmas_friday), service.id, "nl")
    assert "Nu open" not in text and "Nu gesloten" not in text


def test_buurtteam_oost_hours_are_every_day_as_the_source_says(kb):
    service = kb.services["buurtteam-oost"]
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=AMSTERDAM)
    assert open_state(service.opening_hours["walk_in"], saturday).open
    assert "elke dag 9.00-13.00" in service.opening_hours_note["nl"]


def test_kindertelefoon_hours_are_every_day_from_11_to_21(kb, matcher):
    service = kb.services["de-kindertelefoon"]
    assert service.opening_hours == {"phone": "Mo-Su 11:00-21:00", "chat": "Mo-Su 11:00-21:00"}
    assert "11 tot 21 uur" in service.opening_hours_note["nl"]


@pytest.mark.parametrize(
    ("service_id", "claim"),
    [
        ("geldfit", "geldtest"),
        ("huisartsen-utrecht-stad", "loket"),
        ("huisartsen-utrecht-stad", "begin dan op hun website"),
        ("cosbo-utrecht", "persoonlijke vragen"),
        ("juridisch-loket", "Gratis eerste advies"),
    ],
)
def test_descriptions_claim_no_more_than_the_facts(kb, service_id, claim):
    assert claim.lower() not in kb.services[service_id].description["nl"].lower()


def test_thuis_in_oost_is_told_as_a_trial_that_may_have_ended(engine):
    text = card_text(engine, "thuis-in-oost", "nl")
    assert "proef" in text and "Of het nog bestaat, weten we niet" in text


def test_juridisch_loket_says_where_advice_is_free_and_what_the_phone_costs(engine):
    text = card_text(engine, "juridisch-loket", "nl")
    assert "Advies in een vestiging is gratis" in text and "€ 0,25 per minuut" in text
