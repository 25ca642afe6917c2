"""What a button means, defined once.

A button's data travels to Telegram and back (at most 64 bytes) and lives on in residents'
chats for months, so its meaning must outlast any change to the engine: `decode` reads every
form the bot ever sent, `encode`/`answer` write the current one. Front ends never look inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    THEME = "t"  # t:<theme id>
    SERVICE = "s"  # s:<service id>: show this place's card
    FEEDBACK = "f"  # f:yes | f:other | f:person
    LANGUAGE = "l"  # l:<language>
    CONTROL = "c"  # c:restart | c:forget
    DANGER = "d"  # d:<crisis rule id>: "Ik ben nu in gevaar" under a safety line
    MORE = "m"  # m:<offset>: the next places of a list
    ANSWER = "q"  # q:<question id>:<value>: an answer to a clarifying question


SKIP = "?"  # the answer "weet ik niet" / "skip" to any question

# Answers before questions had a kind of their own: "a:zuid", "w:ouderen", "u:1", "x:area".
_OLD_ANSWER_PREFIXES = {"a": "area", "w": "audience", "u": "urgency"}
_OLD_SKIP_PREFIX = "x"


@dataclass(frozen=True)
class Action:
    kind: Kind
    value: str
    question: str | None = None  # for answers: which question


def encode(kind: Kind, value: str) -> str:
    return f"{kind.value}:{value}"


def answer(question: str, value: str) -> str:
    return f"{Kind.ANSWER.value}:{question}:{value}"


def skip(question: str) -> str:
    return answer(question, SKIP)


def decode(data: str) -> Action | None:
    """The action a button stands for, from any form the bot ever sent; None if unknown."""
    prefix, _, rest = data.partition(":")
    if prefix in _OLD_ANSWER_PREFIXES:
        return Action(Kind.ANSWER, rest, _OLD_ANSWER_PREFIXES[prefix])
    if prefix == _OLD_SKIP_PREFIX:
        return Action(Kind.ANSWER, SKIP, rest)
    try:
        kind = Kind(prefix)
    except ValueError:
        return None
    if kind is Kind.ANSWER:
        question, _, value = rest.partition(":")
        return Action(kind, value, question)
    return Action(kind, rest)
