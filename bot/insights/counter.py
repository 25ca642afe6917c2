"""Daily counts of what residents needed, kept so that no row can lead back to a person.

What is stored (`insights.sqlite3` beside the conversations, mode 0600): rows of
(day, kind, key, count). Keys are knowledge ids (a theme, a district, a place) or the Dutch word
stem of a content word of a message that found no place. Never a message, never a chat or user
id, never a hash of one.

Word stems need more care than ids, because a rare word can point at one person. So:
- a message is reduced to the stems of its ordinary content words: stop words, words with
  digits, e-mail addresses, links, postcodes, phone numbers, capitalised words inside a sentence
  (names) and words no Dutch or English dictionary knows are dropped first;
- distinct residents per stem are counted with an HMAC of (stem, resident) under a salt made
  by `secrets` that lives only in this process's memory and is replaced every day, together
  with the markers it made. The markers never reach the disk: a stem is written only once
  three different residents used it that day, and then only as (day, stem, how many). Without
  the salt a marker cannot be recomputed, and no row carries a marker at all;
- rows older than the forget period are deleted, like idle conversations.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.dialogue import buttons
from bot.dialogue.state import FORGET_AFTER_DAYS, Conversation
from bot.dialogue.types import Event, Outcome
from bot.knowledge.hours import AMSTERDAM
from bot.knowledge.model import KnowledgeBase
from bot.matching.lexicon import is_known_word
from bot.matching.text import STOP_WORDS, WEAK_WORDS, fold, stem

MIN_RESIDENTS = 3  # a stem is shown (and stored) only once this many residents used it in a day
MAX_TERMS_PER_MESSAGE = 8
MAX_TRACKED_TERMS = 20_000  # memory bound for one day's markers, however busy the bot is
MIN_TERM_LENGTH = 3
FILE_NAME = "insights.sqlite3"

# Kinds of rows. Every key is a knowledge id, an outcome tag or a word stem.
OUTCOME, THEME, DISTRICT, REJECTED, SHOWN, TERM = (
    "outcome", "theme", "district", "rejected", "shown", "term")

_EMAIL = re.compile(r"\S+@\S+")
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_POSTCODE = re.compile(r"\b\d{4}\s?[A-Za-z]{2}\b")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\S*\d\S*")
_SENTENCE_END = re.compile(r"[.!?]$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counts (
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, kind, key)
);
"""


def unmet_terms(text: str) -> list[str]:
    """The word stems a message's need can be counted by, with nothing personal left in."""
    text = _POSTCODE.sub(" ", _LINK.sub(" ", _EMAIL.sub(" ", text)))
    names: set[str] = set()
    first = True
    for raw in _WORD.findall(text):
        if not first and raw[:1].isupper():
            names.add(fold(raw))  # "ik ben Fatima", "buurman Jansen": a name, not a need
        first = bool(_SENTENCE_END.search(raw))
    terms: list[str] = []
    for raw in _WORD.findall(text):
        if any(ch.isdigit() for ch in raw):
            continue  # numbers, phone numbers, house numbers, dates
        word = fold(raw)
        if (
            not word.isalpha()
            or len(word) < MIN_TERM_LENGTH
            or word in STOP_WORDS
            or word in WEAK_WORDS
            or word in names
            or not is_known_word(word)
        ):
            continue
        term = stem(word)
        if term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS_PER_MESSAGE]


@dataclass(frozen=True)
class Summary:
    """The counts of a period, ready to show: nothing in it names or points at a resident."""

    since: date
    until: date
    outcomes: Counter = field(default_factory=Counter)
    themes: Counter = field(default_factory=Counter)
    districts: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    shown: Counter = field(default_factory=Counter)
    terms: Counter = field(default_factory=Counter)

    def never_shown(self, service_ids: Iterable[str]) -> list[str]:
        return sorted(s for s in service_ids if not self.shown.get(s))


class Insights:
    """The counting hook for front ends and the reading side for `/stats` and `report`."""

    def __init__(
        self,
        directory: Path | str,
        forget_after_days: float = FORGET_AFTER_DAYS,
        clock: Callable[[], datetime] | None = None,
    ):
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        self.forget_after_days = forget_after_days
        self.clock = clock or (lambda: datetime.now(AMSTERDAM))
        # Create the file private before SQLite opens it; SQLite gives its journal the same mode.
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        os.chmod(self.path, 0o600)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # As the conversation store: WAL, one transaction per turn, no wait for the disk.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._day: date | None = None
        self._salt = b""
        self._markers: dict[str, set[bytes]] = {}
        self._today()

    # ------------------------------------------------------------------ counting

    def record(
        self,
        event: Event,
        outcome: Outcome,
        resident_key: str,
        *,
        previous: Conversation | None = None,
        kb: KnowledgeBase | None = None,
    ) -> None:
        """Count one turn. `resident_key` is any opaque string that is the same for one
        resident (e.g. "telegram:<id>"); it is only ever used inside an HMAC, in memory."""
        day = self._today().isoformat()
        counts: list[tuple[str, str]] = [(OUTCOME, outcome.tag)]
        state = outcome.state if isinstance(outcome.state, Conversation) else None
        action = buttons.decode(event.value) if event.kind == "button" else None
        if (
            action is not None
            and action.kind is buttons.Kind.FEEDBACK
            and action.value == "other"
            and previous is not None
            and previous.step == "answered"
            and previous.shown
        ):
            counts.append((REJECTED, previous.shown[0]))
        if state is not None and outcome.tag in ("answer", "theme", "no_match"):
            counts.append((DISTRICT, state.area or "-"))
            theme = state.theme
            if theme is None and outcome.tag == "answer" and state.shown and kb is not None:
                service = kb.services.get(state.shown[0])
                theme = service.themes[0] if service and service.themes else None
            if theme:
                counts.append((THEME, theme))
        if state is not None:
            before = set(previous.shown) if previous is not None else set()
            counts += [(SHOWN, s) for s in dict.fromkeys(state.shown) if s not in before]
        with self._db:
            self._db.execute("BEGIN")
            for kind, key in counts:
                self._add(day, kind, key)
            if event.kind == "text" and outcome.tag == "no_match":
                for term in unmet_terms(event.value):
                    self._count_resident(day, term, resident_key)

    def _add(self, day: str, kind: str, key: str, n: int = 1) -> None:
        self._db.execute(
            "INSERT INTO counts (day, kind, key, n) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (day, kind, key) DO UPDATE SET n = n + excluded.n",
            (day, kind, key, n),
        )

    def _count_resident(self, day: str, term: str, resident_key: str) -> None:
        marker = hmac.new(
            self._salt, f"{term}\0{resident_key}".encode(), hashlib.sha256
        ).digest()[:16]
        seen = self._markers.get(term)
        if seen is None:
            if len(self._markers) >= MAX_TRACKED_TERMS:
                return
            seen = self._markers[term] = set()
        if marker in seen:
            return
        seen.add(marker)
        if len(seen) >= MIN_RESIDENTS:
            self._db.execute(
                "INSERT INTO counts (day, kind, key, n) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (day, kind, key) DO UPDATE SET n = excluded.n",
                (day, TERM, term, len(seen)),
            )

    def _today(self) -> date:
        """Today's date; on a new day a new salt, yesterday's markers dropped, old rows gone."""
        today = self.clock().astimezone(AMSTERDAM).date()
        if today != self._day:
            self._day = today
            self._salt = secrets.token_bytes(32)
            self._markers = {}
            self.expire()
        return today

    def expire(self) -> int:
        """Delete the counts of days older than the forget period; returns how many rows."""
        oldest = self.clock().astimezone(AMSTERDAM).date() - timedelta(
            days=self.forget_after_days
        )
        return self._db.execute("DELETE FROM counts WHERE day < ?", (oldest.isoformat(),)).rowcount

    # ------------------------------------------------------------------ reading

    def summary(self, days: int = 7) -> Summary:
        """The counts of the last `days` days, today included."""
        until = self._today()
        since = until - timedelta(days=max(days, 1) - 1)
        result = Summary(since, until)
        tables = {OUTCOME: result.outcomes, THEME: result.themes, DISTRICT: result.districts,
                  REJECTED: result.rejected, SHOWN: result.shown, TERM: result.terms}
        rows = self._db.execute(
            "SELECT kind, key, SUM(n) FROM counts WHERE day >= ? AND day <= ? GROUP BY kind, key",
            (since.isoformat(), until.isoformat()),
        )
        for kind, key, n in rows:
            if kind in tables:
                tables[kind][key] = n
        return result

    def rows(self) -> list[tuple[str, str, str, int]]:
        """Everything stored, for tests and for anyone who wants to see exactly what is kept."""
        return list(
            self._db.execute("SELECT day, kind, key, n FROM counts ORDER BY day, kind, key")
        )

    def close(self) -> None:
        self._db.close()
