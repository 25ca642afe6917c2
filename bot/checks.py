"""Checks that need the matcher as well as the files: shared by `check` and `/reload`.

Loading proves the files are well-formed; these prove the knowledge works: every example
question reaches its own service first, and facts that are getting old are listed so a
maintainer knows what to re-verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase, Service
from bot.knowledge.yaml_source import KnowledgeError, Problem
from bot.matching.crisis import CrisisDetector
from bot.matching.matcher import Matcher
from bot.matching.profile import Profile

DEFAULT_MAX_AGE_YEARS = 2.0


@dataclass(frozen=True)
class Report:
    kb: KnowledgeBase | None
    problems: list[Problem]
    stale: list[Service]
    examples_checked: int
    matcher: Matcher | None = None  # built for the examples; /reload serves with it


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
                if hit:
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
    return Report(kb, problems, stale, count, matcher)
