"""Deep links into the bot, and their QR codes.

A neighbourhood team shares `https://t.me/<bot>?start=oost` (or prints it as a QR code): whoever
opens it starts a conversation with Oost preset. The payload is validated with the engine's own
grammar (`bot.dialogue.payload`), so a link that is published is a link the bot understands.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import segno

from bot.dialogue.payload import Preset, validate_payload
from bot.knowledge.model import KnowledgeBase

BOT_USERNAME_ENV = "ROUTEWIJZER_BOT_USERNAME"
# Telegram usernames: 5-32 of a-z, 0-9 and _, starting with a letter; a bot's ends in "bot".
_BOT_USERNAME = re.compile(r"^[a-z][a-z0-9_]{1,28}bot$", re.IGNORECASE)
# Medium error correction survives a smudged or creased print and keeps the code small.
QR_ERROR_CORRECTION = "m"


@dataclass(frozen=True)
class DeepLink:
    """A validated link into the bot: what it presets and where it points."""

    bot_username: str
    preset: Preset

    @property
    def payload(self) -> str:
        return self.preset.payload

    @property
    def url(self) -> str:
        return f"https://t.me/{self.bot_username}?start={self.payload}"


def bot_username(given: str | None) -> str:
    """The bot's username from the option, else ROUTEWIJZER_BOT_USERNAME; ValueError if neither.

    A printed QR code with a wrong username cannot be corrected afterwards, so an obviously
    wrong one (a display name, a missing "bot") is refused here rather than printed.
    """
    name = (given or os.environ.get(BOT_USERNAME_ENV) or "").strip().removeprefix("@")
    if not name:
        raise ValueError(f"Give the bot's username with --bot-username or {BOT_USERNAME_ENV}.")
    if not _BOT_USERNAME.match(name):
        raise ValueError(
            f"'{name}' is not a Telegram bot username "
            "(5-32 letters, digits or _, starting with a letter and ending in 'bot')."
        )
    return name


def make_link(kb: KnowledgeBase, username: str, payload: str) -> DeepLink:
    """A deep link for `payload`; raises PayloadError for a payload the bot would not understand."""
    return DeepLink(username, validate_payload(kb, payload))


def qr_code(url: str) -> segno.QRCode:
    """The QR code for `url`: never a Micro QR, which phone cameras often cannot read."""
    return segno.make(url, error=QR_ERROR_CORRECTION, micro=False)


def qr_svg_inline(url: str) -> str:
    """The QR code as an <svg> element without a fixed size, for the printed card's CSS."""
    return qr_code(url).svg_inline(omitsize=True, title=url, svgclass="qr")


def write_qr_files(link: DeepLink, directory: Path) -> list[Path]:
    """routewijzer-<payload>.svg (for print) and .png (for chats, slides) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    qr = qr_code(link.url)
    stem = directory / f"routewijzer-{link.payload}"
    svg, png = stem.with_suffix(".svg"), stem.with_suffix(".png")
    qr.save(svg, kind="svg", scale=10, title=link.url)
    qr.save(png, kind="png", scale=10)
    return [svg, png]
