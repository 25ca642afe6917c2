"""'Hoe dringend is het?': only for health needs, when it changes the place.

Emergencies never reach this question (the crisis layer answers them first), the clock already
puts the place that is open first, and a need like loneliness is never asked how urgent it is.
"""

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

HEALTH_THEME = "gezondheid"


class UrgencyQuestion(Question):
    id = "urgency"
    order = 30

    def value(self, state: Conversation) -> str | None:
        return None if state.urgent is None else ("1" if state.urgent else "0")

    def store(self, state: Conversation, value: str | None) -> None:
        state.urgent = None if value is None else value == "1"

    def implied(self, engine: Engine, reading: Reading, state: Conversation) -> str | None:
        return None if reading.urgency is None else ("1" if reading.urgency else "0")

    def options(self, engine: Engine, state: Conversation) -> list[str]:
        return ["1", "0"]

    def would_change(self, engine: Engine, state: Conversation) -> bool:
        """Only when an urgent health place and an ordinary one are both open now: in office
        hours the own practice takes urgent questions too, out of hours the clock already puts
        the open place (the huisartsenpost) first, and the emergency lines are the crisis
        layer's to offer."""
        if state.urgent is not None:
            return False
        strong = [s for s in engine.strong_services(state) if engine.open_now(s)]
        urgent_health = [
            s
            for s in strong
            if s.urgent and HEALTH_THEME in s.themes and s.id not in engine.emergency_lines
        ]
        if not urgent_health or all(s.urgent for s in strong):
            return False
        return super().would_change(engine, state)

    def buttons(self, engine: Engine, state: Conversation, say: Texts) -> list[list[Button]]:
        return [
            [
                Button(say("button_urgent_now"), buttons.answer(self.id, "1")),
                Button(say("button_urgent_later"), buttons.answer(self.id, "0")),
            ]
        ]

    def read(self, engine: Engine, reading: Reading, state: Conversation, say: Texts) -> str | None:
        typed = super().read(engine, reading, state, say)
        if typed is not None:
            return typed
        implied = self.implied(engine, reading, state)
        if implied is not None:
            return implied
        if reading.yes_no is not None:  # "is het dringend?" "ja" / "nee"
            return "1" if reading.yes_no else "0"
        return None


QUESTION = UrgencyQuestion()
