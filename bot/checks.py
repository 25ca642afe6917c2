"""Checks that need the matcher as well as the files: shared by `check` and `/reload`.

Loading proves the files are well-formed; these prove the knowledge works: every example
question reaches its own service first, resident texts read as resident texts, and facts that
are getting old are listed so a maintainer knows what to re-verify.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase, Service
from bot.knowledge.translations import RESIDENT_LANGUAGES
from bot.knowledge.yaml_source import KnowledgeError, Problem
from bot.matching.crisis import CrisisDetector
from bot.matching.matcher import Matcher
from bot.matching.profile import Profile

DEFAULT_MAX_AGE_YEARS = 2.0


# Words that belong in a maintainer's notes, not on a resident's card: where a fact comes from,
# how sure we are of it, and pointers to other entries. Years of sources too: the card already
# says how old the facts are ("Gegevens uit 2016").
SOURCE_TALK = re.compile(
    r"\b(bron|bronnen|volgens|source|sources|according to)\b"
    r"|\((zie|see) "
    r"|\b(19[5-9]\d|20[0-4]\d)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Report:
    kb: KnowledgeBase | None
    problems: list[Problem]
    stale: list[Service]
    examples_checked: int
    # Not errors: the bot runs, but a resident would read something meant for maintainers.
    warnings: list[Problem] = field(default_factory=list)
    matcher: Matcher | None = None  # built for the examples; /reload serves with it
    # Not errors either: a place without a summary in a resident language shows its Dutch text.
    untranslated: list[Problem] = field(default_factory=list)
    # Nor these: route examples under a service that is gone, which the router leaves out.
    left_out: list[Problem] = field(default_factory=list)


def left_out_route_examples(kb: KnowledgeBase) -> list[Problem]:
    """Route examples under an id that is no service (removed, or misspelt): the router
    leaves them out rather than refuse the whole knowledge."""
    return [
        Problem(
            "knowledge/route_examples.yaml",
            None,
            f"examples.{label}",
            f"unknown service '{label}': its messages are left out",
            "move them under the id of the place that answers them, or delete them",
        )
        for label in kb.route_examples
        if label not in kb.services
    ]


def resident_text_warnings(kb: KnowledgeBase) -> list[Problem]:
    """Resident texts that talk about sources, source years or other entries."""
    warnings = []
    for service in kb.services.values():
        for name, texts in (
            ("description", service.description),
            ("opening_hours_note", service.opening_hours_note),
            ("cost", service.cost),
        ):
            for lang, text in texts.items():
                found = SOURCE_TALK.search(text)
                if found:
                    warnings.append(
                        Problem(
                            service.file,
                            service.line,
                            f"{service.id}.{name}.{lang}",
                            f"residents would read '{found.group(0).strip()}'",
                            "sources, years and cross-references go in notes; the card "
                            "already shows how old the facts are",
                        )
                    )
    return warnings


def recheck_worklist(kb: KnowledgeBase) -> list[Service]:
    """Every service, emergency lines first; within each, the oldest (or undated) facts first."""
    return sorted(
        kb.services.values(),
        key=lambda s: (s.id not in kb.emergency_services, s.checked_on or date.min, s.id),
    )


def example_problems(kb: KnowledgeBase, matcher: Matcher) -> tuple[list[Problem], int]:
    """Every example question must put its own service first (crisis lines: fire the rule)."""
    crisis = CrisisDetector(kb)
    problems: list[Problem] = []
    count = 0
    for service in kb.services.values():
        for lang, examples in service.examples.items():
            for example in examples:
                count += 1
                hit = crisis.detect(example)
                if hit and service.id in hit.service_ids:
                    continue
                if hit and hit.certain:
                    problems.append(
                        Problem(
                            service.file,
                            service.line,
                            f"{service.id}.examples.{lang}",
                            f"'{example}' is taken as an emergency ({', '.join(hit.rule_ids)})",
                            "reword it, or add a word to that crisis rule's `unless`",
                        )
                    )
                    continue
                ranked = matcher.match(example, _area_profile(kb, service))
                top = ranked[0].service.id if ranked else None
                if top != service.id:
                    got = f"'{top}'" if top else "nothing"
                    problems.append(
                        Problem(
                            service.file,
                            service.line,
                            f"{service.id}.examples.{lang}",
                            f"'{example}' routes to {got}, not to this service",
                            "add the words residents use to this service's keywords",
                        )
                    )
    return problems, count


def _area_profile(kb: KnowledgeBase, service: Service) -> Profile:
    """A district service's examples are asked by a resident of that district."""
    districts = [a for a in service.areas if a in kb.areas and kb.areas[a].kind == "district"]
    return Profile(area=districts[0] if len(districts) == 1 else None)


def stale_services(kb: KnowledgeBase, today: date, max_age_years: float) -> list[Service]:
    limit = max_age_years * 365.25
    return sorted(
        (
            s
            for s in kb.services.values()
            if s.checked_on is None or (today - s.checked_on).days > limit
        ),
        key=lambda s: (s.checked_on or date.min, s.id),
    )


def untranslated_warnings(kb: KnowledgeBase) -> list[Problem]:
    """Services without a summary in a resident language (tr, ar, pl, uk): their card then
    shows the Dutch description, which that resident may not read."""
    languages = [lang for lang in RESIDENT_LANGUAGES if lang in kb.texts]
    return [
        Problem(
            f"translations/{lang}.yaml",
            None,
            f"summaries.{service.id}",
            "is missing",
            "translate the first sentence of the Dutch description; the card shows Dutch meanwhile",
        )
        for lang in languages
        for service in kb.services.values()
        if lang not in service.summary and lang not in service.description
    ]


def run_checks(
    directory: Path | str, today: date | None = None, max_age_years: float = DEFAULT_MAX_AGE_YEARS
) -> Report:
    try:
        kb = load_knowledge(directory)
    except KnowledgeError as error:
        return Report(None, error.problems, [], 0)
    matcher = Matcher(kb)
    problems, count = example_problems(kb, matcher)
    stale = stale_services(kb, today or date.today(), max_age_years)
    return Report(
        kb,
        problems,
        stale,
        count,
        resident_text_warnings(kb),
        matcher,
        untranslated_warnings(kb),
        left_out_route_examples(kb),
    )


def load_or_explain(directory: Path, out: TextIO) -> KnowledgeBase | None:
    """The knowledge, or None after telling the maintainer every problem, file:line:field."""
    try:
        return load_knowledge(directory)
    except KnowledgeError as error:
        out.write("The knowledge base has errors; fix them and try again:\n")
        for problem in error.problems:
            out.write(f"  {problem}\n")
        return None
