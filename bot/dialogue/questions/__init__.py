"""The clarifying questions, one object each, found here by themselves.

A question knows four things: whether its answer would change the best place for this resident
(so it is only asked when it matters), how it asks (text and buttons), how it reads a typed
answer or a button, and where the answer is kept. Adding one is adding one module beside these
(its texts go in knowledge/texts/<lang>.yaml, like every text): it is discovered by `ALL`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from bot.dialogue import buttons
from bot.dialogue.buttons import SKIP
from bot.dialogue.reading import Reading, label_matches
from bot.dialogue.state import Conversation
from bot.dialogue.texts import Texts
from bot.dialogue.types import Button, Reply

if TYPE_CHECKING:
    from bot.dialogue.engine import Engine
    from bot.knowledge.model import Service


class Question:
    """One clarifying question. Subclasses set `id` and `order` and fill in the hooks."""

    id: str = ""
    order: int = 100  # asked before questions with a higher order

    # ---- where the answer lives
    def value(self, state: Conversation) -> str | None:
        return state.answers.get(self.id)

    def store(self, state: Conversation, value: str | None) -> None:
        if value is None:
            state.answers.pop(self.id, None)
        else:
            state.answers[self.id] = value

    def implied(self, engine: Engine, reading: Reading, state: Conversation) -> str | None:
        """The answer the message itself gives ("ik woon in Lunetten"), so it is not asked."""
        return None

    # ---- whether to ask
    def must_ask(self, engine: Engine, state: Conversation) -> bool:
        """Asked even when asked before (a probable district to confirm)."""
        return False

    def options(self, engine: Engine, state: Conversation) -> list[str]:
        """The answers that could be given (the values of the buttons, skip aside)."""
        return []

    def would_change(self, engine: Engine, state: Conversation) -> bool:
        """Asked only when different answers would put a different place first."""
        if self.value(state) is not None:
            return False
        tops = set()
        for option in self.options(engine, state):
            trial = state.copy()
            self.store(trial, option)
            tops.add(engine.best_id(trial))
        return len(tops) > 1

    # ---- asking
    def buttons(self, engine: Engine, state: Conversation, say: Texts) -> list[list[Button]]:
        return []

    def ask(self, engine: Engine, state: Conversation, say: Texts, again: bool = False) -> Reply:
        rows = self.buttons(engine, state, say)
        rows.append([Button(say("button_skip"), buttons.skip(self.id))])
        key = (
            f"ask_{self.id}_again"
            if again and say.has(f"ask_{self.id}_again")
            else f"ask_{self.id}"
        )
        return Reply(say(key), buttons=tuple(tuple(row) for row in rows))

    # ---- reading answers
    def read(self, engine: Engine, reading: Reading, state: Conversation, say: Texts) -> str | None:
        """A typed answer: a value, SKIP, or None when the text is no answer to this question.
        Every question understands its own button labels typed and "weet ik niet"."""
        if reading.dont_know:
            return SKIP
        for row in self.buttons(engine, state, say):
            for button in row:
                action = buttons.decode(button.data)
                if action and label_matches(reading.text, button.label):
                    return action.value
        return None

    def accepts(self, engine: Engine, value: str) -> bool:
        """Whether a button value (from any chat, however old) is an answer to this question."""
        return value == SKIP or value in self.options(engine, Conversation())

    def apply(self, engine: Engine, state: Conversation, value: str) -> None:
        """Keep the answer; SKIP keeps nothing, but the question counts as asked."""
        if value != SKIP:
            self.store(state, value)

    def note(self, engine: Engine, reading: Reading, value: str, say: Texts) -> str | None:
        """A line to say before going on, when a typed answer needs one."""
        return None

    # ---- ranking, for questions the matcher's profile does not know
    def factor(self, engine: Engine, service: Service, value: str) -> float:
        return 1.0


def _discover() -> list[Question]:
    found: list[Question] = []
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        found.extend(v for v in vars(loaded).values() if isinstance(v, Question))
    return sorted(found, key=lambda q: (q.order, q.id))


ALL: list[Question] = _discover()
BY_ID: dict[str, Question] = {q.id: q for q in ALL}
