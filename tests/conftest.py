"""Shared fixtures: the real knowledge base, an engine with a fixed clock, broken copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from bot.dialogue.engine import Engine
from bot.dialogue.state import Conversation
from bot.dialogue.types import Event, Outcome
from bot.knowledge.hours import AMSTERDAM
from bot.knowledge.loader import DEFAULT_DIRECTORY, load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher

ROOT = Path(__file__).resolve().parents[1]
# A Tuesday morning: most offices are open.
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=AMSTERDAM)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(DEFAULT_DIRECTORY)


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase, matcher: Matcher) -> Engine:
    return Engine(kb, matcher, clock=lambda: TUESDAY_MORNING)


class Chat:
    """A resident talking to the engine: say things, press buttons, read the last replies."""

    def __init__(self, engine: Engine, lang: str = "nl"):
        self.engine = engine
        self.lang = lang
        self.state: Conversation | None = None
        self.last: Outcome | None = None

    def send(self, event: Event) -> Outcome:
        self.last = self.engine.handle(self.state, event, lang_hint=self.lang)
        self.state = self.last.state
        return self.last

    def start(self, payload: str = "") -> Outcome:
        return self.send(Event.start(payload))

    def say(self, text: str) -> Outcome:
        return self.send(Event.text(text))

    def press(self, label_part: str) -> Outcome:
        """Press the button whose label contains `label_part` (case-insensitive)."""
        for button in self.buttons():
            if label_part.lower() in button.label.lower():
                return self.send(Event.button(button.data))
        raise AssertionError(f"no button like {label_part!r} in {[b.label for b in self.buttons()]}")

    def buttons(self):
        assert self.last is not None
        return [b for reply in self.last.replies for row in reply.buttons for b in row]

    @property
    def text(self) -> str:
        assert self.last is not None
        return "\n".join(f"{r.title or ''}\n{r.text}" for r in self.last.replies)

    @property
    def titles(self) -> list[str]:
        assert self.last is not None
        return [r.title for r in self.last.replies if r.title]


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


@pytest.fixture
def chat_en(engine: Engine) -> Chat:
    return Chat(engine, lang="en")


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Callable[..., Path]:
    """A writable copy of the knowledge directory, to break on purpose."""

    def make() -> Path:
        target = tmp_path / "knowledge"
        shutil.copytree(DEFAULT_DIRECTORY, target)
        return target

    return make
