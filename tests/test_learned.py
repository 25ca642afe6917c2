"""The learned models beside the rules: the router and the crisis model's second opinion."""

from __future__ import annotations

import pickle

import pytest

from bot.checks import run_checks
from bot.knowledge.loader import load_knowledge
from bot.matching.crisis import LEARNED, TRUST, CrisisDetector
from bot.matching.crisis_model import Opinion, model_for
from bot.matching.learned import KEPT_PER_MODEL, TextClassifier, classifier_for, prepare
from bot.matching.matcher import Matcher
from bot.matching.route_model import route_examples, router_for


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def learned(kb):
    return Matcher(kb, learned=True), CrisisDetector(kb, learned=True)


MESSAGES = [
    "ik heb schulden",
    "Ik HEB een  ab",  # capitals, a two-letter word, a word shorter than the letter n-grams
    "my mum keeps forgetting to eat",
    "eenzaamheit",
    "ik zie het niet meer zitten en weet niet waar ik heen moet",
    "!!",
    "x",
]


@pytest.mark.parametrize("labels", [2, 12])
def test_one_message_is_scored_exactly_as_scikit_learn_scores_it(kb, labels):
    """Also after the cache's round trip, which keeps no scikit-learn object."""
    examples = [e for e in route_examples(kb) if e[1] in sorted(kb.route_examples)[:labels]]
    classifier = TextClassifier(examples, 10.0, balanced=labels == 2)
    stored = pickle.loads(pickle.dumps(classifier))
    assert not hasattr(stored, "pipeline")
    for text in [*MESSAGES, *(message for message, _, _ in examples[::25])]:
        ours = stored.probabilities(text)
        if not prepare(text):
            assert ours == {}
            continue
        theirs = classifier.pipeline.predict_proba([prepare(text)])[0]
        assert list(ours) == classifier.labels
        assert all(abs(ours[label] - p) < 1e-9 for label, p in zip(ours, theirs, strict=True))


def test_a_situation_without_a_keyword_still_finds_its_place(kb, learned):
    """Residents describe situations; the router learned from their messages how."""
    matcher, _ = learned
    text = "de enveloppen stapelen zich op, ik maak ze niet meer open"
    keywords_only = [r.service.id for r in Matcher(kb).match(text)]
    with_router = [r.service.id for r in matcher.match(text)]
    helpers = {"buurtteams-utrecht", "u-centraal", "schuldhulp-gemeente-utrecht", "geldfit"}
    assert keywords_only[0] not in helpers
    assert with_router[0] in helpers


def test_a_faint_guess_is_no_answer(learned):
    """A message no place answers still gets the honest "not found", not the router's
    least bad guess."""
    matcher, _ = learned
    assert matcher.match("mijn trompet is ontstemd") == []


def test_the_router_is_fitted_once_per_knowledge(kb):
    assert router_for(kb).classifier is router_for(kb).classifier
    assert model_for(kb).classifier is model_for(kb).classifier


def test_a_figure_of_speech_gets_a_safety_line_not_the_emergency_reply(kb, learned):
    """The rules see "want to die"; the model has learned how people exaggerate."""
    text = "i want to die of embarrassment, i sent my landlord a meme by accident"
    assert CrisisDetector(kb).detect(text).certain
    hit = learned[1].detect(text)
    assert hit is not None and not hit.certain
    assert "zelfmoordpreventie-113" in hit.service_ids


def test_despair_in_words_no_rule_names_still_gets_113(kb, learned):
    text = "niemand zou me missen als ik er niet meer was"
    assert CrisisDetector(kb).detect(text) is None
    hit = learned[1].detect(text)
    assert hit is not None and hit.phrases == (LEARNED,)
    assert hit.service_ids[0] == "zelfmoordpreventie-113"



@pytest.mark.parametrize("text", ["qwxyz blorp", "asdf jkl", "zzzz"])
def test_words_the_model_never_learned_are_no_emergency(kb, learned, text):
    """Letter groups of gibberish gave the model's priors as a 54 % chance of an emergency:
    the resident who mistyped got 112 instead of "I cannot help with that"."""
    assert model_for(kb).assess(text) is None
    assert learned[1].detect(text) is None

@pytest.mark.parametrize("text", ["mama", "papa", "oma", "baby", "bericht 5", "message", "ik",
                                  "dank je", "hallo"])
def test_one_everyday_word_gets_no_alarm(kb, learned, text):
    """A resident who opens with a single word said nothing about danger. The model saw
    "mama" mostly in emergencies and gave it 99.6 % of a child in danger: the emergency reply
    to someone who had not yet said what they needed."""
    assert learned[1].detect(text) is None


@pytest.mark.parametrize("text", ["mijn man", "my husband", "mijn vader", "my dad",
                                  "de kinderen", "Voor mezelf", "Weet ik niet", "For myself"])
def test_a_person_or_a_typed_button_alone_gets_no_alarm(kb, learned, text):
    """Who, where, or one of the bot's own buttons typed: nothing said yet about danger. The
    model had heard a child in danger in "my dad" and suicide in "Voor mezelf"."""
    assert learned[1].detect(text) is None


@pytest.mark.parametrize("text", ["mijn man slaat me", "my husband hits me",
                                  "ik ben bang voor mijn man", "mama wordt niet wakker"])
def test_with_something_said_about_the_person_the_alarm_stays(kb, learned, text):
    hit = learned[1].detect(text)
    assert hit is not None and hit.certain


def test_the_model_adds_nothing_to_a_common_word_on_its_own(kb, learned):
    """Over the most common Dutch and English words: alone, each gets what the rules say of it
    (an emergency word such as "suicide" still does), never the model's guess."""
    from wordfreq import top_n_list

    rules = CrisisDetector(kb)
    common = dict.fromkeys(top_n_list("nl", 1000) + top_n_list("en", 1000))
    added = [w for w in common if learned[1].detect(w) != rules.detect(w)]
    assert added == []


def test_not_urgent_in_the_residents_words_is_never_overruled(kb, learned):
    text = "het is niet dringend maar ik wil niet meer leven"
    hit = learned[1].detect(text)
    assert hit is not None and not hit.certain
    assert "zelfmoordpreventie-113" in hit.service_ids


def test_the_model_names_the_kind_of_emergency_but_a_body_in_danger_keeps_112_first(kb):
    """The rules hear violence in "slaat alles kapot"; the model, sure it is psychosis, puts
    that kind's lines first. Heavy bleeding stays 112's, whatever the model says."""
    rules = CrisisDetector(kb)
    psychosis = Opinion(0.97, "psychische-crisis")
    hit = rules.detect("broer slaat alles kapot, zegt dat de duivel in huis zit")
    assert hit.rule_ids[0] == "huiselijk-geweld"
    led = rules.combine(hit, psychosis, calmed=False)
    assert led.rule_ids[0] == "psychische-crisis" and led.certain
    assert led.service_ids[0] == rules.rule_by_id["psychische-crisis"].services[0]
    assert "veilig-thuis-utrecht" in led.service_ids  # the rules' kind still stands beside it
    bleeding = rules.detect("mijn man slaat me en nu bloedt mijn hoofd heel erg")
    assert rules.combine(bleeding, psychosis, calmed=False).service_ids[0] == "alarmnummer-112"
    unsure = Opinion(TRUST.kind - 0.05, "psychische-crisis")
    assert rules.combine(hit, unsure, calmed=False).rule_ids[0] == "huiselijk-geweld"


def test_the_model_judges_only_the_languages_it_learned(kb, learned):
    """A Turkish emergency the rules find stays certain: the model never read Turkish."""
    text = "intihar etmek istiyorum"
    rules = CrisisDetector(kb).detect(text)
    assert rules is not None and rules.certain
    assert learned[1].detect(text) == rules


def test_route_examples_of_a_removed_place_are_left_out_with_a_warning(knowledge_copy):
    """Removing a place must not stop the knowledge from loading; `check` says what to tidy."""
    directory = knowledge_copy()
    routes = directory / "route_examples.yaml"
    routes.write_text(
        routes.read_text(encoding="utf-8").replace("examples:\n", "examples:\n  weg-dienst:\n"
                                                   "  - ik zoek de dienst die er niet meer is\n", 1),
        encoding="utf-8",
    )
    report = run_checks(directory)
    assert report.kb is not None and not report.problems
    assert [str(p) for p in report.left_out] == [
        "knowledge/route_examples.yaml: examples.weg-dienst: unknown service 'weg-dienst': its "
        "messages are left out (move them under the id of the place that answers them, or "
        "delete them)"
    ]
    assert all(service_id != "weg-dienst" for _, service_id, _ in route_examples(report.kb))


def test_the_cache_keeps_only_the_newest_models(tmp_path, monkeypatch, kb):
    """Every edit of the knowledge fits a new model; old ones must not fill the disk."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    examples = [e for e in route_examples(kb) if e[1] in sorted(kb.route_examples)[:2]]
    for edit in range(KEPT_PER_MODEL + 2):
        classifier_for("test-model", [*examples, (f"bewerking {edit}", examples[0][1], 1.0)])
    cached = sorted(p.name for p in (tmp_path / "routewijzer").iterdir())
    assert len(cached) == KEPT_PER_MODEL and all(n.startswith("test-model-") for n in cached)
