"""'Voor wie zoek je hulp?': asked only when not every place that fits is open to everyone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dialogue import buttons
from bot.dialogue.questions import Question
from bot.dialogue.reading import Reading
from bot.dialogue.state import Conversation
from bot.dialogue.texts import Texts
from bot.dialogue.types import Button

if TYPE_CHECKING:
    from bot.dialogue.engine import Engine


class AudienceQuestion(Question):
    id = "audience"
    order = 20

    def value(self, state: Conversation) -> str | None:
        return state.audience

    def store(self, state: Conversation, value: str | None) -> None:
        state.audience = value

    def implied(self, engine: Engine, reading: Reading, state: Conversation) -> str | None:
        return reading.audience

    def options(self, engine: Engine, state: Conversation) -> list[str]:
        return [a.id for a in engine.kb.audiences.values() if a.ask]

    def would_change(self, engine: Engine, state: Conversation) -> bool:
        if state.audience is not None:
            return False
        strong = engine.strong_services(state)
        if all("iedereen" in s.audience for s in strong):
            return False  # every place that fits is open to anyone: "for whom" changes nothing
        return super().would_change(engine, state)

    def buttons(self, engine: Engine, state: Conversation, say: Texts) -> list[list[Button]]:
        options = [
            Button(a.label(state.lang), buttons.answer(self.id, a.id))
            for a in engine.kb.audiences.values()
            if a.ask
        ]
        return [options[i : i + 2] for i in range(0, len(options), 2)]

    def read(self, engine: Engine, reading: Reading, state: Conversation, say: Texts) -> str | None:
        typed = super().read(engine, reading, state, say)
        return typed if typed is not None else self.implied(engine, reading, state)


QUESTION = AudienceQuestion()
