"""What a knowledge edit changes before it goes live: `run_bot.py diff` and `/reload`'s guard.

`check` proves each service's own examples still reach it; this shows which *other* answers
moved. Every example question of every service (old and new) and every labelled development
message is asked of both knowledge bases; a question whose first answer or emergency routing
differs is listed, before → after. A change to an emergency's routing (whether the crisis
reply fires, certainly or as a safety line, and which line comes first) is singled out,
because it is the one change that must never slip in unnoticed.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge.model import KnowledgeBase
from bot.matching.crisis import CrisisDetector
from bot.matching.matcher import Matcher
from bot.matching.profile import Profile

ROOT = Path(__file__).resolve().parents[1]
# The development sets only: bench/data/heldout.yaml measures the bot and is never used here.
LABELLED_FILES = (ROOT / "bench" / "data" / "labelled.yaml",
                  ROOT / "bench" / "data" / "dev_fresh.yaml")
EMERGENCY_EXIT = 3


@dataclass(frozen=True)
class Question:
    text: str
    area: str | None = None

    def __str__(self) -> str:
        return f"'{self.text}'" + (f" [{self.area}]" if self.area else "")


@dataclass(frozen=True)
class Route:
    """Where one question goes: the emergency reply (and its first line) and the first answer."""

    crisis: str | None  # "certain" | "possible" | None
    crisis_first: str | None
    first: str | None

    def __str__(self) -> str:
        answer = f"answer {self.first or '-'}"
        return f"crisis {self.crisis} {self.crisis_first}; {answer}" if self.crisis else answer


@dataclass(frozen=True)
class Change:
    question: Question
    before: Route
    after: Route

    @property
    def emergency(self) -> bool:
        return (self.before.crisis, self.before.crisis_first) != (
            self.after.crisis, self.after.crisis_first)

    def __str__(self) -> str:
        return f"{self.question}: {self.before} → {self.after}"


class Router:
    """One knowledge base's answers, as `check` and the quality benchmark compute them.
    `answers=False` routes emergencies only: far cheaper, and all that `/reload` guards."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher | None = None,
                 crisis: CrisisDetector | None = None, *, answers: bool = True):
        self.kb = kb
        self.matcher = (matcher or Matcher(kb)) if answers else None
        self.crisis = crisis or CrisisDetector(kb)
        self._hits: dict[str, object] = {}  # the same text asked from two districts

    def route(self, question: Question) -> Route:
        area = question.area if question.area in self.kb.areas else None
        if question.text not in self._hits:
            self._hits[question.text] = self.crisis.detect(question.text)
        hit = self._hits[question.text]
        ranked = self.matcher.match(question.text, Profile(area=area)) if self.matcher else []
        return Route(
            None if hit is None else ("certain" if hit.certain else "possible"),
            hit.service_ids[0] if hit and hit.service_ids else None,
            ranked[0].service.id if ranked else None,
        )


def example_questions(kb: KnowledgeBase) -> Iterator[Question]:
    """Every service's examples, asked from its district as `check` asks them."""
    for service in kb.services.values():
        districts = [a for a in service.areas
                     if a in kb.areas and kb.areas[a].kind == "district"]
        area = districts[0] if len(districts) == 1 else None
        for examples in service.examples.values():
            for example in examples:
                yield Question(example, area)


def labelled_questions(paths: Iterable[Path] = LABELLED_FILES, *,
                       emergencies_only: bool = False) -> list[Question]:
    """The labelled development messages (`emergencies_only`: those labelled `crisis`); a file
    that is not there (an installed bot without the benchmarks) is skipped."""
    questions = []
    for path in paths:
        if path.exists():
            for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
                if item.get("crisis") or not emergencies_only:
                    questions.append(Question(str(item["text"]), item.get("area")))
    return questions


def all_questions(before: KnowledgeBase, after: KnowledgeBase,
                  labelled: Iterable[Question] = ()) -> list[Question]:
    found = dict.fromkeys([*example_questions(before), *example_questions(after), *labelled])
    return list(found)


def compare(before: Router, after: Router, questions: Iterable[Question]) -> list[Change]:
    """The questions whose first answer or emergency routing differ, emergencies first."""
    changes = []
    for question in questions:
        old, new = before.route(question), after.route(question)
        if old != new:
            changes.append(Change(question, old, new))
    return sorted(changes, key=lambda c: (not c.emergency, c.question.text, c.question.area or ""))


@contextmanager
def knowledge_at_revision(directory: Path, revision: str) -> Iterator[Path]:
    """The knowledge directory as it was at a git revision, unpacked into a temporary one."""
    directory = directory.resolve()
    top = subprocess.run(["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, check=True).stdout.strip()
    relative = directory.relative_to(Path(top).resolve()).as_posix()
    archive = subprocess.run(
        ["git", "-C", top, "archive", "--format=tar", revision, "--", relative],
        capture_output=True, check=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="routewijzer-rev-") as temporary:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(temporary, filter="data")
        yield Path(temporary) / relative
