"""'Voor jezelf of voor iemand anders?': a fourth question, added as one file beside the others
(bot/dialogue/questions/for_whom.py) with its texts, and this test file."""

from __future__ import annotations

from bot.dialogue.questions import BY_ID
from bot.matching.matcher import Candidate


def _caring_or_visiting(chat):
    """Two places the words point at equally: support for those who care for someone, and
    visits for someone lonely. Who the help is for decides."""
    chat.start("zuid")
    chat.say("ik zoek iemand die af en toe langskomt")
    chat.state.candidates = [Candidate("steunpunt-mantelzorg-utrecht", 6.0, ()),
                             Candidate("humanitas-utrecht", 6.0, ())]
    chat.state.step, chat.state.asked, chat.state.answers = "idle", [], {}


def test_the_question_is_found_by_itself_and_asked_after_the_district(engine):
    assert [q.id for q in BY_ID.values()].index("for_whom") > 0
    assert BY_ID["for_whom"].order > BY_ID["area"].order


def test_it_is_asked_when_the_answer_changes_the_place_and_the_answer_decides(chat, engine):
    _caring_or_visiting(chat)
    assert BY_ID["for_whom"].would_change(engine, chat.state)
    other = chat.state.copy()
    BY_ID["for_whom"].apply(engine, other, "other")
    mine = chat.state.copy()
    BY_ID["for_whom"].apply(engine, mine, "self")
    assert engine.best_id(other) == "steunpunt-mantelzorg-utrecht"
    assert engine.best_id(mine) == "humanitas-utrecht"


def test_buttons_and_typed_answers(chat, engine):
    _caring_or_visiting(chat)
    chat.last = engine._next(chat.state)  # what the engine does after reading a need
    chat.state = chat.last.state
    assert chat.state.step == "for_whom"
    assert "iemand anders" in chat.text
    chat.say("voor mijn moeder")
    assert chat.state.answers["for_whom"] == "other"
    assert chat.titles[0].startswith("Steunpunt Mantelzorg")


def test_a_message_that_says_who_it_is_for_is_not_asked(chat):
    chat.start("zuid")
    chat.say("mijn moeder is vaak alleen, kan er iemand langskomen?")
    assert chat.state.answers.get("for_whom") == "other"
    assert chat.state.step != "for_whom"
