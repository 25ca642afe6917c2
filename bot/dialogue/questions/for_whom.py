"""'Is het voor jezelf of voor iemand anders?': for someone else, support for those who care
for another (mantelzorg) comes first; for yourself, help aimed at you does.

Asked only when that changes the best place, and not when the message already says it
("mijn moeder ..." is someone else, "ik ..." is yourself).
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
    from bot.knowledge.model import Service

SELF, OTHER = "self", "other"
CARERS = "mantelzorgers"  # the audience of help for people who look after someone
_OTHERS = frozenset(
    "moeder vader ouders oma opa partner man vrouw broer zus buurman buurvrouw vriend vriendin "
    "schoonmoeder schoonvader mother father parents grandmother grandfather husband wife brother "
    "sister neighbour neighbor friend mum mom dad".split()
)
_SELF = frozenset("ik mezelf mijzelf zelf myself i".split())


class ForWhomQuestion(Question):
    id = "for_whom"
    order = 25

    def implied(self, engine: Engine, reading: Reading, state: Conversation) -> str | None:
        words = set(reading.words)
        if words & _OTHERS:
            return OTHER
        if words & _SELF:
            return SELF
        return None

    def options(self, engine: Engine, state: Conversation) -> list[str]:
        return [SELF, OTHER]

    def buttons(self, engine: Engine, state: Conversation, say: Texts) -> list[list[Button]]:
        return [
            [
                Button(say("button_for_self"), buttons.answer(self.id, SELF)),
                Button(say("button_for_other"), buttons.answer(self.id, OTHER)),
            ]
        ]

    def read(self, engine: Engine, reading: Reading, state: Conversation, say: Texts) -> str | None:
        typed = super().read(engine, reading, state, say)
        return typed if typed is not None else self.implied(engine, reading, state)

    def factor(self, engine: Engine, service: Service, value: str) -> float:
        if CARERS not in service.audience:
            return 1.0
        return 1.4 if value == OTHER else 0.7


QUESTION = ForWhomQuestion()
