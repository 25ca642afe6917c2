"""Deep links into the bot, and their QR codes.

A neighbourhood team shares `https://t.me/<bot>?start=oost` (or prints it as a QR code): whoever
opens it starts a conversation with Oost preset. The web chat takes the same payload:
`https://<web chat>/?start=oost`, for residents without Telegram. The payload is validated
with the engine's own grammar (`bot.dialogue.payload`), so a link that is published is a link
the bot understands.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import segno

from bot.dialogue.payload import Preset, validate_payload
from bot.knowledge.model import KnowledgeBase

BOT_USERNAME_ENV = "ROUTEWIJZER_BOT_USERNAME"
WEB_URL_ENV = "ROUTEWIJZER_WEB_URL"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Telegram usernames: 5-32 of a-z, 0-9 and _, starting with a letter; a bot's ends in "bot".
_BOT_USERNAME = re.compile(r"^[a-z][a-z0-9_]{1,28}bot$", re.IGNORECASE)
# Medium error correction survives a smudged or creased print and keeps the code small.
QR_ERROR_CORRECTION = "m"


class _PresetLink:
    """What every link into Routewijzer shares: a validated preset, and files named after it."""

    preset: Preset
    stem_prefix: ClassVar[str]

    @property
    def payload(self) -> str:
        return self.preset.payload

    @property
    def file_stem(self) -> str:
        return f"{self.stem_prefix}{self.payload}"


@dataclass(frozen=True)
class DeepLink(_PresetLink):
    """A validated link into the bot: what it presets and where it points."""

    bot_username: str
    preset: Preset
    stem_prefix: ClassVar[str] = "routewijzer-"

    @property
    def url(self) -> str:
        return f"https://t.me/{self.bot_username}?start={self.payload}"


@dataclass(frozen=True)
class WebLink(_PresetLink):
    """A validated link into the web chat (`run_bot.py web`): the same preset, any browser."""

    base_url: str  # as web_url() returns it: https://..., no trailing slash
    preset: Preset
    stem_prefix: ClassVar[str] = "routewijzer-web-"

    @property
    def url(self) -> str:
        return f"{self.base_url}/?start={self.payload}"


def web_url(given: str | None) -> str | None:
    """The web chat's public address from the option, else ROUTEWIJZER_WEB_URL; None if
    neither. Printed codes must open safely on any phone, so only https is accepted (plain
    http only for a local test); a query or fragment would clash with ?start=."""
    raw = (given or os.environ.get(WEB_URL_ENV) or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    local = parts.hostname in _LOCAL_HOSTS
    if not parts.hostname or parts.scheme not in ("https", "http") or (
        parts.scheme == "http" and not local
    ):
        raise ValueError(f"'{raw}' is not an https:// address of the web chat.")
    if parts.query or parts.fragment:
        raise ValueError(f"'{raw}' has a query or fragment; give the web chat's address only.")
    return raw.rstrip("/")


def make_web_link(kb: KnowledgeBase, base_url: str, payload: str) -> WebLink:
    """A web chat link for `payload`; raises PayloadError like make_link."""
    return WebLink(base_url, validate_payload(kb, payload))


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


def write_qr_files(link: DeepLink | WebLink, directory: Path) -> list[Path]:
    """routewijzer-<payload>.svg (for print) and .png (for chats, slides) in `directory`;
    routewijzer-web-<payload>.* for the web chat."""
    directory.mkdir(parents=True, exist_ok=True)
    qr = qr_code(link.url)
    stem = directory / link.file_stem
    svg, png = stem.with_suffix(".svg"), stem.with_suffix(".png")
    qr.save(svg, kind="svg", scale=10, title=link.url)
    qr.save(png, kind="png", scale=10)
    return [svg, png]
