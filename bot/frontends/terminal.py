"""The conversation in a terminal: buttons become numbered choices.

Reads one line at a time and ends cleanly at end of input, so a whole conversation can be
scripted: `printf 'schulden\\n1\\n' | python run_bot.py chat`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import TextIO

from bot.dialogue.engine import Engine
from bot.dialogue.state import Conversation
from bot.dialogue.texts import Texts
from bot.dialogue.types import Button, Event, Reply

NOTICE_AFTER_SECONDS = 2.0  # a wait shorter than this needs no word


def use_utf8(stdin: TextIO, stdout: TextIO) -> None:
    """Read and write UTF-8 whatever the locale says, so output is always valid UTF-8 (and
    JSON stays JSON); bytes on stdin that are not UTF-8 are kept apart (surrogateescape) for
    `numbered_lines` to report, instead of crashing the reader."""
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(encoding="utf-8", errors="surrogateescape")
    if hasattr(stdout, "reconfigure"):
        stdout.reconfigure(encoding="utf-8", errors="replace")


def numbered_lines(stream: TextIO) -> Iterator[tuple[int, str | None]]:
    """(line number, text) per line without its newline; text None for a line that is not
    UTF-8, so one bad line is reported and the others are still answered."""
    number = 0
    while line := stream.readline():
        number += 1
        text = line.rstrip("\n")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # surrogateescape kept the undecodable bytes
            yield number, None
            continue
        yield number, text


class TerminalChat:
    def __init__(self, engine: Engine, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                 stderr: TextIO = sys.stderr):
        self.engine = engine
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.styled = stdout.isatty()
        self.buttons: list[Button] = []

    def run(self, lang: str = "nl", start: str = "") -> int:
        self.load_models(lang)
        state: Conversation | None = None
        outcome = self.engine.handle(None, Event.start(start), lang_hint=lang)
        state = outcome.state
        self.show(outcome.replies)
        self.prompt()
        for number, line in numbered_lines(self.stdin):
            if line is None:
                self.stderr.write(f"line {number}: not UTF-8 text, skipped\n")
            elif (event := self.event_for(line.strip())) is not None:
                outcome = self.engine.handle(state, event, lang_hint=lang)
                state = outcome.state
                self.show(outcome.replies)
            self.prompt()
        self.stdout.write("\n")
        return 0

    def load_models(self, lang: str) -> None:
        """The learned models before the greeting, with a word when that takes a while (the
        first run on a machine fits them), so a newcomer does not think it hangs."""
        text = Texts(self.engine.kb, lang)("preparing")
        notice = threading.Timer(NOTICE_AFTER_SECONDS, lambda: self.stderr.write(text + "\n"))
        notice.start()
        try:
            self.engine.load_models()
        finally:
            notice.cancel()

    def prompt(self) -> None:
        if self.stdin.isatty():
            self.stdout.write("> ")
            self.stdout.flush()

    def event_for(self, line: str) -> Event | None:
        if not line:
            return None
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            return Event.button(self.buttons[int(line) - 1].data)
        if line.startswith("/"):
            name, _, argument = line[1:].partition(" ")
            return Event.command(name, argument.strip())
        return Event.text(line)

    def show(self, replies: list[Reply]) -> None:
        self.buttons = []
        for reply in replies:
            if reply.title:
                title = f"\033[1m{reply.title}\033[0m" if self.styled else f"** {reply.title} **"
                self.stdout.write(title + "\n")
            self.stdout.write(reply.text + "\n")
            for row in reply.buttons:
                cells = []
                for button in row:
                    self.buttons.append(button)
                    cells.append(f"[{len(self.buttons)}] {button.label}")
                self.stdout.write("   " + "   ".join(cells) + "\n")
            self.stdout.write("\n")
        self.stdout.flush()
