"""The unmet-needs counts: what they keep, what they never keep, and that they expire."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dialogue import buttons
from bot.dialogue.types import Event
from bot.insights import MIN_RESIDENTS, Insights, unmet_terms
from bot.insights.report import render_report
from tests.conftest import TUESDAY_MORNING, Chat

UNMET = "mijn trompet is ontstemd"


class Clock:
    """A clock the test moves by hand: no sleeping, no timing luck."""

    def __init__(self):
        self.now = TUESDAY_MORNING

    def __call__(self):
        return self.now

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def insights(tmp_path, clock) -> Insights:
    counter = Insights(tmp_path / "data", forget_after_days=30, clock=clock)
    yield counter
    counter.close()


def resident_says(engine, insights: Insights, resident: int, text: str) -> Chat:
    """One resident's turn through the engine, counted the way the front ends count it."""
    chat = Chat(engine)
    chat.start()
    previous = chat.state
    event = Event.text(text)
    outcome = chat.send(event)
    insights.record(event, outcome, f"test:{resident}", previous=previous, kb=engine.kb)
    return chat


def stored_text(insights: Insights) -> str:
    """Everything in the database file, as one string, to search for what must not be there."""
    db = sqlite3.connect(insights.path)
    dump = "\n".join(db.iterdump())
    db.close()
    return dump


def test_unmatched_message_is_reduced_to_ordinary_word_stems():
    terms = unmet_terms("Mijn buurman Pieterse belt 06-12345678 en mailt piet@example.org, "
                        "ik woon op 3524 AB nummer 12 en mijn trompet is ontstemd")
    assert "trompet" in terms and "ontstemd" in terms
    for personal in ("pieterse", "06", "12345678", "piet", "example", "3524", "ab", "12", "mijn"):
        assert personal not in terms


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_no_term_carries_a_digit_an_address_or_a_stop_word(text):
    for term in unmet_terms(text):
        assert term.isalpha() and len(term) >= 3
        assert "@" not in term and term not in ("mijn", "ik", "de", "het", "een")


def test_the_need_behind_an_unmatched_message_is_not_stored_until_three_residents_share_it(
        engine, insights):
    for resident in (1, 2):
        assert resident_says(engine, insights, resident, UNMET).last.tag == "no_match"
    assert insights.summary().outcomes["no_match"] == 2
    assert "trompet" not in stored_text(insights)  # two residents: nothing about the words
    resident_says(engine, insights, 1, UNMET)  # the same resident again counts once
    assert "trompet" not in stored_text(insights)
    resident_says(engine, insights, 3, UNMET)
    assert insights.summary().terms["trompet"] == MIN_RESIDENTS


def test_the_report_never_holds_a_message_or_a_resident(engine, insights):
    for resident in (100001, 100002, 100003, 100004):
        resident_says(engine, insights, resident, UNMET)
        resident_says(engine, insights, resident, "ik heb schulden, ik woon in Lunetten")
    dump = stored_text(insights)
    assert UNMET not in dump and "schulden, ik woon" not in dump
    for resident in ("100001", "100002", "100003", "100004", "test:"):
        assert resident not in dump
    # No column could hold a marker or id: only day, kind, key and a count.
    columns = [c[1] for c in sqlite3.connect(insights.path).execute("PRAGMA table_info(counts)")]
    assert columns == ["day", "kind", "key", "n"]
    assert {kind for _, kind, _, _ in insights.rows()} <= {
        "outcome", "theme", "district", "rejected", "shown", "term"}
    assert stat.S_IMODE(os.stat(insights.path).st_mode) == 0o600


def test_a_rejected_answer_is_counted_against_its_place(engine, insights):
    chat = resident_says(engine, insights, 7, "ik heb schulden, ik woon in Lunetten")
    shown = chat.state.shown[0]
    previous = chat.state
    event = Event.button(buttons.encode(buttons.Kind.FEEDBACK, "other"))
    insights.record(event, chat.send(event), "test:7", previous=previous, kb=engine.kb)
    summary = insights.summary()
    assert summary.rejected == {shown: 1}
    assert summary.shown[shown] == 1 and summary.districts["zuid"] == 1
    assert summary.themes[engine.kb.services[shown].themes[0]] == 1


def test_counts_are_deleted_after_the_forget_period(engine, insights, clock):
    for resident in (1, 2, 3):
        resident_says(engine, insights, resident, UNMET)
    assert insights.rows()
    clock.advance(29)
    insights.expire()
    assert insights.summary(days=30).terms["trompet"] == 3
    clock.advance(2)
    resident_says(engine, insights, 4, "hallo")  # any turn on a new day clears old days
    assert all(day > TUESDAY_MORNING.date().isoformat() for day, *_ in insights.rows())
    assert insights.summary(days=60).terms["trompet"] == 0


def test_a_new_day_starts_counting_residents_afresh(engine, insights, clock):
    """The salt is replaced daily: yesterday's two residents and today's one are not three."""
    resident_says(engine, insights, 1, UNMET)
    resident_says(engine, insights, 2, UNMET)
    clock.advance(1)
    resident_says(engine, insights, 3, UNMET)
    assert insights.summary().terms["trompet"] == 0
    assert "trompet" not in stored_text(insights)


def test_html_report_shows_counts_and_places_never_shown(engine, insights, kb):
    for resident in (1, 2, 3):
        resident_says(engine, insights, resident, UNMET)
        resident_says(engine, insights, resident, "ik heb schulden, ik woon in Lunetten")
    page = render_report(insights.summary(), kb)
    assert "Content-Security-Policy" in page and "<script" not in page
    assert 'id="terms"' in page and "trompet" in page
    assert 'id="districts"' in page and "Zuid" in page
    assert UNMET not in page
    assert "Plekken die niemand te zien kreeg" in page
