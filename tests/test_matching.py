"""Residents' own words reach the right place: Dutch forms, typos, English, districts."""

from __future__ import annotations

import pytest

from bot.matching.crisis import CrisisDetector
from bot.matching.profile import Profile
from bot.matching.text import content_words, stem, tokens


def top_ids(matcher, text: str, area: str | None = None, n: int = 3) -> list[str]:
    return [r.service.id for r in matcher.match(text, Profile(area=area))[:n]]


def test_normalisation_folds_accents_case_and_stretched_letters():
    assert tokens("Ik ben ÉÉNZAAM!!! heeeelp") == ["ik", "ben", "eenzaam", "heelp"]
    assert tokens("coöperatie café") == ["cooperatie", "cafe"]
    assert content_words("ik ben eenzaam") == ["eenzaam"]


def test_dutch_word_forms_meet_on_their_stem():
    assert stem("eenzaamheid") == stem("eenzaam") == stem("eenzame")
    assert stem("schulden") == stem("schuld")


@pytest.mark.parametrize(
    ("question", "area", "expected"),
    [
        ("ik heb schulden", "zuid", {"buurtteams-utrecht", "schuldhulp-gemeente-utrecht"}),
        ("ik ben eenzaam", "zuid", {"buurtteams-utrecht", "humanitas-utrecht", "de-luisterlijn"}),
        ("eenzaamheid", "zuid", {"buurtteams-utrecht", "humanitas-utrecht", "de-luisterlijn"}),
        ("schuldhulpverlening", None, {"schuldhulp-gemeente-utrecht", "buurtteams-utrecht"}),
        ("wmo aanvragen", "zuid", {"buurtteams-utrecht"}),
        ("mijn moeder wordt vergeetachtig", "oost", {"odensehuis-andante"}),
        ("geen eten meer in huis", None, {"voedselbank-utrecht"}),
        ("ik wil vrijwilligerswerk doen", None, {"vrijwilligerscentrale-utrecht"}),
        ("ik zoek een huisarts", None, {"huisartsen-utrecht-stad"}),
    ],
)
def test_everyday_questions_reach_the_right_place_first(matcher, question, area, expected):
    assert top_ids(matcher, question, area, n=1)[0] in expected


@pytest.mark.parametrize(
    ("typo", "correct"),
    [("shulden", "schulden"), ("hiusarts", "huisarts"), ("eenzam", "eenzaam"),
     ("mantelzorgr", "mantelzorger"), ("voedselbnak", "voedselbank")],
)
def test_typos_find_the_same_place_as_the_correct_word(matcher, typo, correct):
    assert top_ids(matcher, typo, "zuid", n=1) == top_ids(matcher, correct, "zuid", n=1)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("my mother needs care at home", {"buurtteams-utrecht", "steunpunt-mantelzorg-utrecht",
                                          "u-centraal", "nizu-infopunt-informele-zorg"}),
        ("I have debts", {"buurtteams-utrecht", "schuldhulp-gemeente-utrecht", "geldfit"}),
        ("food bank", {"voedselbank-utrecht"}),
        ("where can I find a GP", {"huisartsen-utrecht-stad"}),
    ],
)
def test_english_questions_reach_dutch_services(matcher, question, expected):
    assert top_ids(matcher, question, "zuid", n=1)[0] in expected


def test_huisartsenpost_is_not_the_huisarts(matcher):
    assert top_ids(matcher, "huisartsenpost", n=1) == ["spoedpost-huisartsen-utrecht-stad"]
    assert top_ids(matcher, "huisarts", n=1) != ["spoedpost-huisartsen-utrecht-stad"]


def test_a_service_outside_the_residents_district_never_outranks_one_inside(matcher, kb):
    for question in ("schulden", "buurthuis", "melding openbare ruimte", "bibliotheek", "huisarts"):
        for area in ("oost", "zuid"):
            ranked = matcher.match(question, Profile(area=area))
            serving = [r.serves_area for r in ranked]
            assert serving == sorted(serving, reverse=True), (question, area)
            assert all(kb.serves(r.service, area) == r.serves_area for r in ranked)


def test_district_service_beats_city_wide_for_its_residents(matcher):
    assert top_ids(matcher, "melding doen over de buurt", "zuid", n=1) == ["wijkbureau-zuid"]
    assert top_ids(matcher, "melding doen over de buurt", "oost", n=1) == ["wijkbureau-oost"]


def test_every_result_explains_which_words_matched(matcher):
    ranked = matcher.match("ik heb shulden", Profile(area="zuid"))
    assert ranked and ranked[0].hits
    hit = ranked[0].hits[0]
    assert hit.word == "shulden" and hit.how == "fuzzy" and "schuld" in hit.keyword
    assert ranked[0].score > 0


def test_neighbourhood_and_postcode_resolve_to_district(matcher):
    profiles = matcher.profiles
    assert profiles.area("ik woon in Lunetten").area_id == "zuid"
    assert profiles.area("ik woon in lunneten").area_id == "zuid"
    assert profiles.area("postcode 3524 AB").area_id == "zuid"
    assert profiles.area("ik woon in Oudwijk").area_id == "oost"
    assert profiles.area("3582 KT").certain is True
    uncertain = profiles.area("mijn postcode is 3581")
    assert uncertain.area_id == "oost" and uncertain.certain is False
    assert profiles.area("ik heb 3524 euro schuld") is None


@pytest.mark.parametrize(
    ("message", "service"),
    [
        ("er is brand in mijn keuken", "alarmnummer-112"),
        ("mijn vader is bewusteloos", "alarmnummer-112"),
        ("ik wil niet meer leven", "zelfmoordpreventie-113"),
        ("ik denk aan zelfmoord", "zelfmoordpreventie-113"),
        ("ik denk aan zelfmord", "zelfmoordpreventie-113"),
        ("I want to kill myself", "zelfmoordpreventie-113"),
        ("mijn man slaat me", "veilig-thuis-utrecht"),
        ("mijn kind heeft hoge koorts en het is zaterdagavond", "spoedpost-huisartsen-utrecht-stad"),
        ("ik ben 12 en ik durf niet naar huis", "de-kindertelefoon"),
        ("mijn vader slaat me", "de-kindertelefoon"),
        ("de dokter is dicht en mijn zoon heeft 40 graden", "spoedpost-huisartsen-utrecht-stad"),
        ("ik ruik gas in de keuken", "alarmnummer-112"),
        ("er is brand!", "alarmnummer-112"),
        ("mijn dochter heeft pillen ingeslikt", "alarmnummer-112"),
        ("ik wou dat ik dood was", "zelfmoordpreventie-113"),
        ("ik snij mezelf", "zelfmoordpreventie-113"),
        ("I wish I was dead", "zelfmoordpreventie-113"),
        ("mijn man slaat de kinderen", "veilig-thuis-utrecht"),
        ("mijn ex stalkt me", "veilig-thuis-utrecht"),
        ("mijn broer is psychotisch en hoort stemmen", "spoedpost-huisartsen-utrecht-stad"),
    ],
)
def test_emergencies_are_recognised_with_typos_and_in_english(kb, matcher, message, service):
    hit = CrisisDetector(kb).detect(message)
    assert hit is not None and hit.service_ids[0] == service


@pytest.mark.parametrize(
    "message",
    ["EHBO cursus", "brandweer open dag", "reanimatie cursus in de buurt", "ik ga dood van verveling",
     "AED cursus", "ik zoek een film over zelfmoord voor school", "ik ben bang dat ik mijn huur niet kan betalen",
     # Found in review: ordinary questions that once looked like emergencies.
     "mijn fiets is gestolen", "ik zoek ambulante begeleiding", "ik speel in een band",
     "het water staat me aan de lippen", "mijn gegevens zijn misbruikt", "alcohol abuse",
     "ik wil een eind aan mijn schulden maken", "mijn moeder is niet meer in leven",
     "regelen voor als ik er niet meer ben", "ik wil sterven van de slaap",
     "I hurt myself playing football", "emergency money for food", "eerste hulp bij geldzaken",
     "ik ben gebroken na een lange week", "ik heb vorige week mijn arm gebroken",
     "ik ben bang dat mijn kind gepest wordt", "mijn kind is bang om alleen thuis te zijn",
     "there was a burglary in our shed last week", "mijn kat is vermist"],
)
def test_harmless_messages_are_not_taken_for_emergencies(kb, matcher, message):
    assert CrisisDetector(kb).detect(message) is None


def test_a_child_writing_that_it_is_bullied_gets_the_kindertelefoon_as_a_safety_line(kb):
    hit = CrisisDetector(kb).detect("ik ben 11 en ik word gepest")
    assert hit is not None and not hit.certain and hit.service_ids[0] == "de-kindertelefoon"
