"""The conversation in a terminal: buttons become numbered choices.

Reads one line at a time and ends cleanly at end of input, so a whole conversation can be
scripted: `printf 'schulden\\n1\\n' | python run_bot.py chat`.
"""

from __future__ import annotations

import sys
from typing import TextIO

from bot.dialogue.engine import Engine
from bot.dialogue.state import Conversation
from bot.dialogue.types import Button, Event, Reply


class TerminalChat:
    def __init__(self, engine: Engine, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout):
        self.engine = engine
        self.stdin = stdin
        self.stdout = stdout
        self.styled = stdout.isatty()
        self.buttons: list[Button] = []

    def run(self, lang: str = "nl", start: str = "") -> int:
        state: Conversation | None = None
        outcome = self.engine.handle(None, Event.start(start), lang_hint=lang)
        state = outcome.state
        self.show(outcome.replies)
        while True:
            if self.stdin.isatty():
                self.stdout.write("> ")
                self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                self.stdout.write("\n")
                return 0
            event = self.event_for(line.strip())
            if event is None:
                continue
            outcome = self.engine.handle(state, event, lang_hint=lang)
            state = outcome.state
            self.show(outcome.replies)

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
