"""`run_bot.py link | card | export | import`: sharing the knowledge outside the chat.

Kept beside the sharing code rather than in bot/cli.py, which only registers and dispatches
these commands, so each can change without touching the others' lines.
"""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.dialogue.payload import PayloadError
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.schema import LANGUAGES
from bot.sharing import browser, hsds, spreadsheet
from bot.sharing.card import build_card, render_card
from bot.sharing.links import (
    BOT_USERNAME_ENV,
    WEB_URL_ENV,
    DeepLink,
    WebLink,
    bot_username,
    make_link,
    make_web_link,
    web_url,
    write_qr_files,
)

SHARING_COMMANDS = ("link", "card", "export", "import")
CSV_NAME = "routewijzer-services.csv"


def add_sharing_commands(commands: argparse._SubParsersAction) -> None:
    """Register the sharing subcommands on run_bot.py's parser."""
    username_help = f"the bot's Telegram username (default: ${BOT_USERNAME_ENV})"
    web_help = (f"the web chat's public https address (default: ${WEB_URL_ENV}); with a "
                "bot username too, both links")

    link = commands.add_parser("link", help="print a deep link into the bot and write its QR code")
    link.add_argument("payload", help="area and/or theme id, e.g. oost, zuid-gezondheid")
    link.add_argument("--bot-username", help=username_help)
    link.add_argument("--web-url", help=web_help + " and both QR codes")
    link.add_argument("--out-dir", type=Path, default=Path("."),
                      help="where to write routewijzer-<payload>.svg and .png (default: .)")

    card = commands.add_parser("card", help="write a district's printable Meterkastkaart")
    card.add_argument("--area", required=True, help="district id, e.g. oost")
    card.add_argument("--lang", choices=list(LANGUAGES), default="nl")
    card.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    card.add_argument("--pdf", type=Path, help="also print it to this PDF (needs Chromium)")
    card.add_argument("--bot-username", help=username_help)
    card.add_argument("--web-url", help=web_help + ": the QR code opens the web chat, the "
                      "Telegram link is printed beside it")

    export = commands.add_parser("export", help="write the services as open data")
    export.add_argument("--format", choices=["hsds", "csv"], required=True,
                        help=f"hsds: Open Referral HSDS 3.0 JSON tables; csv: {CSV_NAME}")
    export.add_argument("--out", type=Path, required=True, help="directory to write into")

    imported = commands.add_parser("import", help="turn an HSDS export back into services YAML")
    imported.add_argument("--format", choices=["hsds"], required=True)
    imported.add_argument("--in", dest="source", type=Path, required=True,
                          help="directory with the HSDS JSON tables")
    imported.add_argument("--out", type=Path, required=True,
                          help="services directory to write <area>.yaml files into")
    imported.add_argument("--force", action="store_true", help="replace existing files")


def import_command(args: argparse.Namespace, out: TextIO) -> int:
    """Needs no knowledge base: it makes one (and must work while the current one is broken)."""
    try:
        written = hsds.import_hsds(args.source, args.out, overwrite=args.force)
    except hsds.HsdsError as error:
        out.write(f"Cannot import: {error}\n")
        return 2
    for path in written:
        out.write(f"wrote {path}\n")
    out.write("Now run `python run_bot.py check` on the knowledge directory.\n")
    return 0


def sharing_command(kb: KnowledgeBase, args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "export":
        return _export(kb, args, out)
    try:
        web = web_url(args.web_url)
        # With a web chat address the Telegram bot is optional: not every team runs it.
        username = bot_username(args.bot_username) if web is None or (
            args.bot_username or os.environ.get(BOT_USERNAME_ENV)) else None
    except ValueError as error:
        out.write(f"{error}\n")
        if not args.web_url:
            out.write(f"(Or point to the web chat with --web-url or {WEB_URL_ENV}.)\n")
        return 2
    if args.command == "link":
        return _link(kb, username, web, args, out)
    return _card(kb, username, web, args, out)


def _link(kb: KnowledgeBase, username: str | None, web: str | None, args: argparse.Namespace,
          out: TextIO) -> int:
    try:
        links: list[DeepLink | WebLink] = []
        if username:
            links.append(make_link(kb, username, args.payload))
        if web:
            links.append(make_web_link(kb, web, args.payload))
    except PayloadError as error:
        out.write(f"Cannot make a link for '{args.payload}': {error}\n")
        return 2
    for link in links:
        out.write(f"{link.url}\n")
    for link in links:
        for path in write_qr_files(link, args.out_dir):
            out.write(f"wrote {path}\n")
    return 0


def _card(kb: KnowledgeBase, username: str | None, web: str | None, args: argparse.Namespace,
          out: TextIO) -> int:
    districts = [a.id for a in kb.districts()]
    if args.area not in districts:
        out.write(f"Unknown district '{args.area}'; known: {', '.join(districts)}\n")
        return 2
    today = date.today()
    telegram = make_link(kb, username, args.area) if username else None
    link: DeepLink | WebLink = make_web_link(kb, web, args.area) if web else telegram
    beside = telegram if web else None
    card = build_card(kb, args.area, args.lang, link, today, beside=beside)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_card(kb, card, today), encoding="utf-8")
    places = sum(len(s.places) for s in card.sections)
    out.write(
        f"wrote {args.out}: {len(card.emergency)} emergency lines, {places} places under "
        f"{len(card.sections)} themes; the QR code opens {link.url}\n"
    )
    if beside:
        out.write(f"  beside it, for Telegram: {beside.url}\n")
    if card.no_room:
        out.write(f"  not on the card, their themes are full: {', '.join(card.no_room)}\n")
    if card.unreachable:
        out.write(f"  not on the card, no phone, address or website: "
                  f"{', '.join(card.unreachable)}\n")
    if not places:
        out.write("  ✗ no places: give services `card: 1`, `2` or `3` in knowledge/services\n")
        return 1
    if args.pdf is None:
        return 0
    return _print_card(args.out, args.pdf, out)


def _print_card(html_file: Path, pdf_file: Path, out: TextIO) -> int:
    found = browser.find_browser()
    if found is None:
        out.write(
            f"No Chromium found (looked for {', '.join(browser.BROWSER_NAMES)}). Install it, or "
            f"open {html_file} in a browser and print it on A5 without margins.\n"
        )
        return 2
    try:
        browser.print_pdf(found, html_file, pdf_file)
        layout = browser.check_layout(found, html_file)
    except browser.BrowserError as error:
        out.write(f"Printing failed: {error}\n")
        return 1
    out.write(f"wrote {pdf_file}: {layout.pages} A5 pages\n")
    if layout.left_off:
        out.write(f"  left off for lack of room (least important first): "
                  f"{', '.join(layout.left_off)}\n")
    if not layout.checked:
        out.write("  ✗ the card's layout check did not run in the browser\n")
        return 1
    for page in layout.overflowing_pages:
        out.write(f"  ✗ page {page} does not fit: shorten names or addresses in the knowledge\n")
    if layout.small_texts:
        out.write(f"  ✗ text smaller than 12pt: {', '.join(layout.small_texts)}\n")
    return 0 if layout.fits else 1


def _export(kb: KnowledgeBase, args: argparse.Namespace, out: TextIO) -> int:
    if args.format == "csv":
        written = [spreadsheet.export_csv(kb, args.out / CSV_NAME)]
    else:
        written = hsds.export_hsds(kb, args.out)
    for path in written:
        out.write(f"wrote {path}\n")
    out.write(f"{len(kb.services)} services.\n")
    return 0
