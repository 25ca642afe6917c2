"""Residents' own languages: Turkish, Arabic, Polish and Ukrainian from greeting to card.

Transcripts per language (greeting from the platform's language, a need answered with a card in
that language, an emergency, /taal), the language followed from what the resident writes, the
honest reply for a language the bot does not speak, and Arabic's right-to-left text.
"""

from __future__ import annotations

import pytest

from bot.dialogue.engine import Engine
from bot.dialogue.texts import LRI, PDI, Texts
from bot.dialogue.types import Event
from bot.matching.languages import OTHER, LanguageGuesser
from bot.matching.stemming import stem_ar, stem_pl, stem_tr, stem_uk
from bot.matching.text import tokens
from tests.conftest import TUESDAY_MORNING, Chat

# Per language: what its greeting, its card's why-line and its area question say, a need, an
# emergency with the line it must name, and the label of its /taal button.
LANGUAGES = {
    "tr": ("Merhaba! Ben Routewijzer", "Neden bu yer", "borçlarım var ve faturaları ödeyemiyorum",
           "kocam bu akşam yine beni dövdü", "Veilig Thuis", "Türkçe"),
    "ar": ("مرحباً! أنا", "لماذا هذا المكان", "عندي ديون كثيرة ولا أستطيع دفع الفواتير",
           "زوجي يضربني كل يوم وأنا خائفة", "Veilig Thuis", "العربية"),
    "pl": ("Cześć! Jestem Routewijzer", "Dlaczego to miejsce", "mam duże długi i nie płacę rachunków",
           "mąż znowu mnie pobił, boję się", "Veilig Thuis", "Polski"),
    "uk": ("Привіт! Я Routewijzer", "Чому це місце", "у мене великі борги, не можу платити рахунки",
           "чоловік мене б'є, я боюся", "Veilig Thuis", "Українська"),
}


@pytest.fixture(scope="module")
def guesser(kb) -> LanguageGuesser:
    return LanguageGuesser(kb)


def chat_in(engine: Engine, lang: str) -> Chat:
    return Chat(engine, lang=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_greeting_follows_the_platform_language(engine, lang):
    chat = chat_in(engine, lang)
    chat.start()
    assert LANGUAGES[lang][0] in chat.text and chat.state.lang == lang
    assert "112" in chat.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_need_is_answered_with_a_card_in_that_language(engine, lang):
    chat = chat_in(engine, lang)
    chat.start()
    chat.say(LANGUAGES[lang][2])
    if chat.last.tag == "question":
        chat.press("Zuid")
    assert chat.last.tag == "answer"
    assert chat.titles[0] in ("Buurtteams Utrecht", "Geldfit", "Schuldhulp gemeente Utrecht") or (
        "Buurtteam" in chat.titles[0]
    )
    assert LANGUAGES[lang][1] in chat.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_emergency_names_the_dutch_line_in_that_language(engine, kb, lang):
    chat = chat_in(engine, "nl")  # the message itself says which language
    chat.start()
    chat.say(LANGUAGES[lang][3])
    assert chat.last.tag == "crisis" and chat.state.lang == lang
    assert LANGUAGES[lang][4] in chat.text
    assert Texts(kb, lang)("crisis_intro").split()[1] in chat.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_taal_lists_all_six_and_switches(engine, lang):
    chat = chat_in(engine, "nl")
    chat.start()
    chat.send(Event.command("language"))
    labels = [b.label for b in chat.buttons()]
    assert len(labels) == 6
    chat.press(LANGUAGES[lang][5])
    assert chat.state.lang == lang and chat.state.lang_chosen
    chat.say("ik heb schulden en woon in Lunetten")  # Dutch now does not switch back
    assert chat.state.lang == lang


def test_a_resident_who_writes_turkish_gets_turkish_from_then_on(engine):
    chat = chat_in(engine, "nl")
    chat.start()
    chat.say("merhaba, yalnız yaşıyorum ve kimsem yok")
    assert chat.state.lang == "tr"
    chat.say("ok")
    assert chat.state.lang == "tr"


@pytest.mark.parametrize("message", ["huisarts", "gemeente toeslag", "Wmo aanvragen", "ok", "3524",
                                     "ja", "huisarts lazım", "Oost"])
def test_dutch_names_and_short_messages_do_not_flip_the_language(guesser, message):
    assert guesser.guess(message) in (None, "nl") if message == "Wmo aanvragen" else (
        guesser.guess(message) is None
    )


@pytest.mark.parametrize(("message", "lang"), [
    ("gemeente'den bir mektup geldi ama hiç anlamadım", "tr"),
    ("dostałam list z gemeente i nic nie rozumiem", "pl"),
    ("отримала лист від gemeente, нічого не розумію", "uk"),
    ("وصلتني رسالة من gemeente ولم أفهمها", "ar"),
    ("salam, bghit n3ref fin ymken nl9a tbib f lil", "ar"),
    ("ik heb een brief van de gemeente gekregen", "nl"),
    ("I got a letter from the council and I don't understand it", "en"),
])
def test_dutch_institution_words_inside_another_language_keep_its_language(guesser, message, lang):
    assert guesser.guess(message) == lang


@pytest.mark.parametrize("message", [
    "Waxaan u baahanahay caawimaad dhakhtar iyo lacag, fadlan i caawi",  # Somali
    "ሰላም፣ እርዳታ እፈልጋለሁ እባክህ",  # Tigrinya/Amharic (Ge'ez script)
    "سلام، من به کمک نیاز دارم برای پرداخت اجاره خانه",  # Persian
])
def test_a_language_the_bot_does_not_speak_is_recognised(guesser, message):
    assert guesser.guess(message) == OTHER


def test_another_language_gets_dutch_and_english_with_numbers_and_no_guess(engine, kb):
    chat = chat_in(engine, "nl")
    chat.start()
    chat.say("Waxaan u baahanahay caawimaad dhakhtar iyo lacag, fadlan i caawi")
    assert chat.last.tag == "other_language"
    assert Texts(kb, "nl")("other_language") in chat.text
    assert Texts(kb, "en")("other_language") in chat.text
    assert "112" in chat.text and "113" in chat.text
    assert not chat.titles  # no card: never a confident answer to words it cannot read
    chat.press("English")
    assert chat.state.lang == "en" and chat.state.lang_chosen


def test_arabic_isolates_numbers_and_latin_inside_right_to_left_text(kb):
    say = Texts(kb, "ar")
    line = say("card_phone", phone="030 123 45 67")
    assert f"{LRI}030 123 45 67{PDI}" in line
    assert f"{LRI}112{PDI}" in say("emergency_hint")
    assert LRI not in Texts(kb, "tr")("emergency_hint")


def test_arabic_card_keeps_the_phone_number_in_order(engine):
    chat = chat_in(engine, "ar")
    chat.start()
    chat.say("أحتاج بنك الطعام")
    assert chat.last.tag == "answer" and "Voedselbank" in chat.titles[0]
    assert LRI in chat.text and "لماذا هذا المكان" in chat.text


@pytest.mark.parametrize(("stemmer", "forms"), [
    (stem_tr, ["borç", "borçlarım", "borcum"]),
    (stem_pl, ["długi", "długami", "dług"]),
    (stem_uk, ["борги", "боргами", "боргів"]),
    (stem_ar, ["الديون", "ديوني", "ديون", "بالديون"]),
])
def test_word_forms_meet_on_one_stem(stemmer, forms):
    assert len({stemmer(tokens(f)[0]) for f in forms}) == 1


def test_letter_variants_fold_to_one_form():
    assert tokens("أإآ ى ة مُساعَدةٌ ـــ") == tokens("ااا ي ه مساعده")
    assert tokens("IĞDIR ılık İstanbul") == ["igdir", "ilik", "istanbul"]


def test_yes_and_dont_know_are_read_in_each_language(engine):
    chat = Chat(Engine(engine.kb, engine.matcher, clock=lambda: TUESDAY_MORNING), lang="pl")
    chat.start()
    chat.say("mam długi")
    if chat.last.tag == "question":
        chat.say("nie wiem")
    assert chat.last.tag == "answer"


# ------------------------------------------------------------------ over Telegram's protocol

from tests.test_telegram import bot, button  # noqa: E402, F401  (the running bot fixture)


async def test_command_menus_are_registered_per_telegram_language(bot):  # noqa: F811
    for lang in LANGUAGES:
        menu = bot.api.commands[lang]
        assert [c["command"] for c in menu] == ["start", "opnieuw", "taal", "help", "privacy"]
    assert bot.api.commands["tr"][2]["description"] == "Dil seç"
    assert bot.api.commands["ar"][1]["description"] == "البدء من جديد"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_telegram_transcript_in_each_language(bot, lang):  # noqa: F811
    user = 3100 + list(LANGUAGES).index(lang)
    greeting, why, need, emergency, line, _ = LANGUAGES[lang]
    sent = (await bot.say(user, "/start", language_code=lang))[-1]
    assert greeting in sent.text
    reply = (await bot.say(user, need, language_code=lang))[-1]
    if "Zuid" in [b["text"] for b in reply.buttons]:
        reply = (await bot.tap(user, button(reply, "Zuid")))[-1]
    assert why in reply.text and reply.text.startswith("<b>")
    reply = (await bot.say(user, emergency, language_code=lang))[-1]
    assert line in reply.text and "112" in reply.text
    await bot.say(user, "/taal", language_code=lang)
    reply = (await bot.tap(user, "l:nl"))[-1]
    assert "Nederlands" in reply.text
    assert bot.api.rejected == []


# ------------------------------------------------------------------ the printed card


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_meterkastkaart_prints_in_each_language(kb, lang):
    from datetime import date

    from bot.sharing.card import build_card, render_card
    from bot.sharing.links import make_link

    today = date(2026, 12, 1)
    html = render_card(kb, build_card(kb, "zuid", lang, make_link(kb, "bot", "zuid"), today), today)
    say = Texts(kb, lang)
    assert say("card_print_emergency") in html
    expected = '<html lang="ar" dir="rtl">' if lang == "ar" else f'<html lang="{lang}">'
    assert expected in html
    if lang == "ar":  # the phone numbers of the places keep their order
        assert f"{LRI}088-1309610{PDI}" in html or "088-1309610" in html
