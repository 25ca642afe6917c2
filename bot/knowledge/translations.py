"""The residents' own languages beside Dutch and English: knowledge/translations/<lang>.yaml.

One file per language holds what a translator writes for it: a one-sentence summary of every
place, and the words of emergencies. Keeping them apart from the services and crisis.yaml keeps
those readable for the maintainers who write Dutch and English, and lets a translator work in one
file. The words join crisis.yaml's concepts and rules as if they stood there.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.knowledge import schema
from bot.knowledge.model import CrisisRule, Service

RESIDENT_LANGUAGES = tuple(
    lang for lang in schema.LANGUAGES if lang not in schema.MAINTAINED_LANGUAGES
)


def load_translations(reader: Any, directory: Path) -> dict[str, dict[str, Any]]:
    """language -> the file's clean data; a missing file is a language without summaries."""
    found: dict[str, dict[str, Any]] = {}
    for lang in RESIDENT_LANGUAGES:
        path = directory / f"{lang}.yaml"
        if path.exists():
            found[lang] = reader.read(path, "translations") or {}
    return found


def with_summaries(
    services: list[tuple[Service, str]], translations: dict[str, dict[str, Any]]
) -> list[tuple[Service, str]]:
    """Each service with its summaries per language (cards show them instead of the Dutch).
    A summary of a service that is gone is simply unused, so a service can be removed without
    touching every language; a misspelt id shows up as that service's missing summary."""
    out = []
    for service, where in services:
        summaries = {
            lang: text
            for lang, data in translations.items()
            if (text := (data.get("summaries") or {}).get(service.id))
        }
        out.append((replace(service, summary=summaries) if summaries else service, where))
    return out


def merge_crisis(
    reader: Any,
    directory: Path,
    translations: dict[str, dict[str, Any]],
    rules: list[tuple[CrisisRule, str]],
    concepts: dict[str, dict[str, tuple[str, ...]]],
    markers: dict[str, dict[str, tuple[str, ...]]],
) -> list[tuple[CrisisRule, str]]:
    """Add each language's emergency words to the concepts, rules and markers of crisis.yaml."""
    by_id = {rule.id: i for i, (rule, _) in enumerate(rules)}
    rules = list(rules)
    for lang, data in translations.items():
        crisis = data.get("crisis") or {}
        file = reader.name(directory / f"{lang}.yaml")
        for name, words in (crisis.get("concepts") or {}).items():
            if name not in concepts:
                reader.add(file, None, f"crisis.concepts.{name}", "is not a concept of crisis.yaml")
                continue
            concepts[name] = {**concepts[name], lang: tuple(words)}
        for field_name in ("phrases", "unless"):
            for rule_id, words in (crisis.get(field_name) or {}).items():
                if rule_id not in by_id:
                    reader.add(
                        file, None, f"crisis.{field_name}.{rule_id}", "is not a crisis rule id"
                    )
                    continue
                rule, where = rules[by_id[rule_id]]
                merged = {**getattr(rule, field_name), lang: tuple(words)}
                rules[by_id[rule_id]] = (replace(rule, **{field_name: merged}), where)
        for marker in ("calm", "distance", "now"):
            if crisis.get(marker):
                markers[marker] = {**markers[marker], lang: tuple(crisis[marker])}
    return rules
