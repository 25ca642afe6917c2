"""'In welke wijk woon je?': asked when the best place depends on the district.

Also asked whenever the place that would come first serves only one district: a resident whose
district is unknown is never sent to an Oost-only place without being asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dialogue import buttons
from bot.dialogue.buttons import SKIP
from bot.dialogue.questions import Question
from bot.dialogue.reading import Reading
from bot.dialogue.state import Conversation
from bot.dialogue.texts import Texts
from bot.dialogue.types import Button, Reply
from bot.matching.profile import RESIDENCE_WORDS
from bot.matching.text import STOP_WORDS

if TYPE_CHECKING:
    from bot.dialogue.engine import Engine

_NOT_A_PLACE = STOP_WORDS | RESIDENCE_WORDS  # "ik woon in": the words around a place name
_PROBABLY = "~"  # an answer that only probably names the district ("3581"): confirm first


class AreaQuestion(Question):
    id = "area"
    order = 10

    def value(self, state: Conversation) -> str | None:
        return state.area

    def store(self, state: Conversation, value: str | None) -> None:
        state.area = value
        state.probable_area = None

    def implied(self, engine: Engine, reading: Reading, state: Conversation) -> str | None:
        mention = reading.place
        if mention is None:
            return None
        return mention.area_id if mention.certain else _PROBABLY + mention.area_id

    def options(self, engine: Engine, state: Conversation) -> list[str]:
        kb = engine.kb
        return [a.id for a in kb.areas.values() if a.kind in ("district", "city")]

    def must_ask(self, engine: Engine, state: Conversation) -> bool:
        """A probable district ("3581") is confirmed before it is used."""
        return state.area is None and state.probable_area is not None

    def would_change(self, engine: Engine, state: Conversation) -> bool:
        if state.area is not None:
            return False
        best = engine.best_service(state)
        if best is not None and engine.district_only(best):
            return True
        return super().would_change(engine, state)

    def buttons(self, engine: Engine, state: Conversation, say: Texts) -> list[list[Button]]:
        if state.probable_area:
            return [
                [
                    Button(say("button_yes"), buttons.answer(self.id, state.probable_area)),
                    Button(say("button_no"), buttons.answer(self.id, engine.city_id)),
                ]
            ]
        districts = [
            Button(a.label(state.lang), buttons.answer(self.id, a.id))
            for a in engine.kb.districts()
        ]
        return [
            districts,
            [
                Button(say("button_other_city"), buttons.answer(self.id, engine.city_id)),
                Button(say("button_outside"), buttons.answer(self.id, engine.country_id)),
            ],
        ]

    def ask(self, engine: Engine, state: Conversation, say: Texts, again: bool = False) -> Reply:
        if state.probable_area:
            area = engine.kb.areas[state.probable_area].label(state.lang)
            rows = self.buttons(engine, state, say)
            return Reply(say("ask_area_confirm", area=area), buttons=tuple(tuple(r) for r in rows))
        return super().ask(engine, state, say, again)

    def read(self, engine: Engine, reading: Reading, state: Conversation, say: Texts) -> str | None:
        if state.probable_area and reading.yes_no is not None:
            return state.probable_area if reading.yes_no else engine.city_id
        typed = super().read(engine, reading, state, say)
        return typed if typed is not None else self.implied(engine, reading, state)

    def accepts(self, engine: Engine, value: str) -> bool:
        return value == SKIP or value in engine.kb.areas

    def apply(self, engine: Engine, state: Conversation, value: str) -> None:
        if value.startswith(_PROBABLY):
            state.probable_area = value[1:]
            return
        if value != SKIP and value in engine.kb.areas:
            self.store(state, value)
        elif value == SKIP:
            state.probable_area = None

    def note(self, engine: Engine, reading: Reading, value: str, say: Texts) -> str | None:
        """Someone from elsewhere hears what the bot covers: no silent switch to national help."""
        area = engine.kb.areas.get(value)
        if area is None or reading.place is None or area.kind == "district":
            return None
        named = [w for w in reading.words if w in reading.place.words and w not in _NOT_A_PLACE]
        place = " ".join(dict.fromkeys(w.capitalize() for w in named))
        return say(f"area_note_{area.kind}", place=place or area.label(say.lang))


QUESTION = AreaQuestion()
