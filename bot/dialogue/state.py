"""The conversation state: everything the bot remembers about one resident's chat.

It holds no message text: only the language, the profile answers, which questions were
asked, and the candidate services (ids, scores and the keywords they matched). It turns
into a plain dict and back, so any front end can persist it as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from bot.matching.matcher import Candidate, Hit
from bot.matching.profile import Profile

MAX_QUESTIONS = 3
FORGET_AFTER_DAYS = 30.0  # a conversation idle this long is deleted (said in /privacy)


@dataclass
class Conversation:
    lang: str = "nl"
    lang_chosen: bool = False
    step: str = "idle"  # idle | answered | the id of the question just asked
    area: str | None = None
    probable_area: str | None = None
    audience: str | None = None
    urgent: bool | None = None
    asked: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    theme: str | None = None
    shown: list[str] = field(default_factory=list)
    # The crisis rule whose words the last need suggested without certainty: its line is shown
    # beside the answer, and "Ik ben nu in gevaar" opens it. A rule id, never the words.
    safety: str | None = None
    # Answers to questions that have no field of their own (bot/dialogue/questions/).
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def profile(self) -> Profile:
        return Profile(self.area, self.audience, self.urgent)

    def new_need(self) -> None:
        """A new question: forget the last need, keep who and where the resident is."""
        self.step = "idle"
        self.asked = []
        self.candidates = []
        self.theme = None
        self.shown = []
        self.urgent = None
        self.safety = None
        self.answers = {}  # answers about one need ("voor jezelf?") go with it

    def copy(self) -> Conversation:
        """A copy the engine may change while the caller keeps the original (candidates and
        their hits are immutable, so sharing them is safe)."""
        return replace(
            self,
            asked=list(self.asked),
            candidates=list(self.candidates),
            shown=list(self.shown),
            answers=dict(self.answers),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; matched keywords are kept, the resident's own words are not."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["asked"], data["shown"] = list(self.asked), list(self.shown)
        data["answers"] = dict(self.answers)
        data["candidates"] = [
            {
                "service_id": c.service_id,
                "score": c.score,
                "hits": [{"keyword": h.keyword, "how": h.how, "at": list(h.at)} for h in c.hits],
            }
            for c in self.candidates
        ]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        """Rebuild a stored state; anything unreadable becomes a fresh conversation.

        Stored state may come from an older version or a damaged file: every field is
        checked for its type, so a bad value can never reach the engine.
        """
        try:
            known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            known["candidates"] = [
                Candidate(
                    str(c["service_id"]),
                    float(c["score"]),
                    tuple(
                        Hit(
                            "",
                            str(h["keyword"]),
                            str(h["how"]),
                            tuple(int(i) for i in h.get("at", ())),
                        )
                        for h in c.get("hits", ())
                    ),
                )
                for c in known.get("candidates", [])
            ]
            state = cls(**known)
            if not state._well_typed():
                raise TypeError("stored state has a value of the wrong type")
            return state
        except (TypeError, KeyError, ValueError, AttributeError):
            lang = data.get("lang") if isinstance(data, dict) else None
            return cls(lang=lang if isinstance(lang, str) else "nl")

    def _well_typed(self) -> bool:
        optional_texts = (self.area, self.probable_area, self.audience, self.theme, self.safety)
        return (
            isinstance(self.lang, str)
            and isinstance(self.lang_chosen, bool)
            and isinstance(self.step, str)
            and all(value is None or isinstance(value, str) for value in optional_texts)
            and (self.urgent is None or isinstance(self.urgent, bool))
            and isinstance(self.asked, list)
            and all(isinstance(q, str) for q in self.asked)
            and isinstance(self.shown, list)
            and all(isinstance(s, str) for s in self.shown)
            and isinstance(self.answers, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in self.answers.items())
        )
