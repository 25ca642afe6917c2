"""What crosses the line between the conversation engine and a front end: plain data only."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_BUTTON_DATA_BYTES = 64  # Telegram's callback_data limit, kept by every front end


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # short, self-describing ("a:oost", "s:buurtteam-oost"); at most 64 bytes


@dataclass(frozen=True)
class Reply:
    """One message to the resident. `title` is shown emphasised; `text` is plain text."""

    text: str
    title: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Event:
    """Something the resident did. Build with the class methods."""

    kind: str  # start | text | button | command | unsupported
    value: str = ""
    argument: str = ""

    @classmethod
    def start(cls, payload: str = "") -> Event:
        return cls("start", payload)

    @classmethod
    def text(cls, text: str) -> Event:
        return cls("text", text)

    @classmethod
    def button(cls, data: str) -> Event:
        return cls("button", data)

    @classmethod
    def command(cls, name: str, argument: str = "") -> Event:
        return cls("command", name.lower().lstrip("/"), argument)

    @classmethod
    def unsupported(cls, kind: str) -> Event:
        return cls("unsupported", kind)


@dataclass(frozen=True)
class Outcome:
    """The engine's answer: the new state to keep, the replies to send, and whether the
    front end must delete everything it stored about this resident."""

    state: object
    replies: list[Reply] = field(default_factory=list)
    forget: bool = False
    tag: str = "other"  # answer | question | crisis | no_match | theme | other: anonymous counts
