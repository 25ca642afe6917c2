"""The deep-link payload grammar: what `/start oost-gezondheid` means, in one place.

A payload names at most one area and at most one theme, by their knowledge ids, joined with
`-` (Telegram also allows `_`, read the same). Ids may contain `-` themselves, so parts are
matched greedily against the known ids rather than split blindly.

Two readers share this grammar: the engine reads a resident's `/start` payload leniently
(unknown parts are ignored, so an old or mistyped link still opens a conversation), and
link makers (`run_bot.py link`, `run_bot.py card`, Telegram's `/link`) validate strictly,
so a printed QR code never points at a payload the bot half-understands. Telegram itself
only accepts payloads of at most 64 characters of `A-Za-z0-9_-`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.model import KnowledgeBase

TELEGRAM_PAYLOAD_LIMIT = 64
TELEGRAM_PAYLOAD = re.compile(rf"^[A-Za-z0-9_-]{{1,{TELEGRAM_PAYLOAD_LIMIT}}}$")


@dataclass(frozen=True)
class Preset:
    """What a payload sets before the conversation starts."""

    area: str | None = None
    theme: str | None = None

    @property
    def payload(self) -> str:
        """The canonical payload: area first, then theme ('oost-gezondheid')."""
        return "-".join(part for part in (self.area, self.theme) if part)


class PayloadError(ValueError):
    """A payload a link maker must not publish; says why and which ids would work."""

    def __init__(
        self, reason: str, areas: list[str], themes: list[str], suggestions: list[str]
    ):
        self.reason = reason
        self.areas = areas
        self.themes = themes
        # A few payloads to suggest to a person: every district and one combination.
        self.suggestions = suggestions
        example = suggestions[-1] if suggestions else ""
        super().__init__(
            f"{reason}. Valid areas: {', '.join(areas)}. Valid themes: {', '.join(themes)}. "
            f"Combine an area and a theme as AREA-THEME, e.g. {example}."
        )


def _parts(kb: KnowledgeBase, payload: str) -> list[tuple[str, str | None]]:
    """(text, kind) for each piece of the payload; kind is 'area', 'theme' or None (unknown).

    Linear in the payload: a piece is never longer than the longest id, so only that many
    words are tried from each position (trying every length made `"a-" * 2040` cubic)."""
    words = [w for w in payload.lower().replace("_", "-").split("-") if w]
    longest = max((len(i.split("-")) for i in (*kb.areas, *kb.themes)), default=1)
    found: list[tuple[str, str | None]] = []
    start = 0
    while start < len(words):
        for end in range(min(len(words), start + longest), start, -1):
            candidate = "-".join(words[start:end])
            kind = "area" if candidate in kb.areas else "theme" if candidate in kb.themes else None
            if kind:
                found.append((candidate, kind))
                start = end
                break
        else:
            found.append((words[start], None))
            start += 1
    return found


def parse_payload(kb: KnowledgeBase, payload: str) -> Preset:
    """Lenient reading for `/start`: the first known area and theme; anything else is ignored.

    A payload Telegram itself would never send (too long, other characters) is refused before
    any parsing, so no input of any length costs more than a glance."""
    if not TELEGRAM_PAYLOAD.fullmatch(payload):
        return Preset()
    area = theme = None
    for text, kind in _parts(kb, payload):
        if kind == "area" and area is None:
            area = text
        elif kind == "theme" and theme is None:
            theme = text
    return Preset(area, theme)


def validate_payload(kb: KnowledgeBase, payload: str) -> Preset:
    """Strict reading for links that get shared or printed; raises PayloadError."""

    def fail(reason: str) -> PayloadError:
        districts = [a.id for a in kb.districts()] or list(kb.areas)[:1]
        example = "-".join(p for p in (*districts[:1], *list(kb.themes)[:1]))
        return PayloadError(reason, list(kb.areas), list(kb.themes), [*districts, example])

    if not payload:
        raise fail("The payload is empty")
    if not TELEGRAM_PAYLOAD.fullmatch(payload):
        raise fail(
            f"'{payload}' is not a Telegram deep-link payload "
            f"(at most {TELEGRAM_PAYLOAD_LIMIT} characters of A-Z, a-z, 0-9, _ and -)"
        )
    area = theme = None
    for text, kind in _parts(kb, payload):
        if kind is None:
            where = "" if text == payload.lower() else f" in '{payload}'"
            raise fail(f"'{text}'{where} is not an area or theme id")
        if kind == "area":
            if area is not None:
                raise fail(f"'{payload}' names two areas ({area}, {text}); use one")
            area = text
        else:
            if theme is not None:
                raise fail(f"'{payload}' names two themes ({theme}, {text}); use one")
            theme = text
    preset = Preset(area, theme)
    if not preset.payload:
        raise fail(f"'{payload}' names no area or theme")
    if len(preset.payload) > TELEGRAM_PAYLOAD_LIMIT:
        raise fail(f"'{preset.payload}' is longer than Telegram's {TELEGRAM_PAYLOAD_LIMIT}")
    return preset
