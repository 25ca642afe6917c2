"""Read the knowledge directory into a `KnowledgeBase`, or explain precisely why not.

All problems are collected before giving up, so a maintainer sees every mistake at once,
each with file, line, field and a hint. Nothing here raises anything but KnowledgeError.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

from rapidfuzz import process

from bot.knowledge import schema
from bot.knowledge.model import (
    Area,
    Audience,
    Contact,
    CrisisRule,
    KnowledgeBase,
    Service,
    Theme,
)
from bot.knowledge.translations import (
    load_translations,
    merge_crisis,
    with_summaries,
)
from bot.knowledge.yaml_source import KnowledgeError, Problem, read_yaml

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "knowledge"
_POSTCODE = re.compile(r"^(\d{4})(?:-(\d{4})| ?([A-Z]{2}))?$")


class _Reader:
    """Reads files relative to the knowledge directory and collects their problems."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.problems: list[Problem] = []

    def name(self, path: Path) -> str:
        try:
            return str(Path(self.directory.name) / path.relative_to(self.directory))
        except ValueError:
            return str(path)

    def read(self, path: Path, spec_name: str) -> dict[str, Any] | None:
        display = self.name(path)
        data, problems = read_yaml(path, display)
        self.problems.extend(problems)
        if data is None:
            return None
        spec = schema.SCHEMAS[spec_name][0]
        clean, problems = schema.validate(spec, data, display)
        self.problems.extend(problems)
        return clean

    def add(self, file: str, line: int | None, field: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(file, line, field, message, hint))


def _local(value: dict[str, Any] | None) -> dict[str, Any]:
    """A per-language block without its bookkeeping and empty languages."""
    if not value:
        return {}
    return {k: v for k, v in value.items() if not k.startswith("_") and v}


def _local_tuple(value: dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in _local(value).items()}


def _suggest(value: str, known: list[str]) -> str:
    guess = process.extractOne(value, known, score_cutoff=60)
    if guess:
        return f"did you mean '{guess[0]}'?"
    listed = sorted(known)
    more = f", … (+{len(listed) - 12})" if len(listed) > 12 else ""
    return f"known: {', '.join(listed[:12])}{more}"


def load_knowledge(directory: Path | str = DEFAULT_DIRECTORY) -> KnowledgeBase:
    """Load and cross-check every file; raise KnowledgeError listing all problems."""
    directory = Path(directory)
    reader = _Reader(directory)
    if not directory.is_dir():
        raise KnowledgeError([Problem(str(directory), None, "", "is not a directory")])

    themes = _load_themes(reader, directory / "themes.yaml")
    audiences = _load_audiences(reader, directory / "audiences.yaml")
    areas = _load_areas(reader, directory / "areas.yaml")
    services = _load_services(reader, directory / "services")
    synonyms = _load_synonyms(reader, directory / "synonyms.yaml")
    crisis, required, not_typos, concepts, markers, people = _load_crisis(
        reader, directory / "crisis.yaml"
    )
    texts = _load_texts(reader, directory / "texts")
    about = _load_about(reader, directory / "about.yaml")
    translated = directory / "translations"
    translations = load_translations(reader, translated)
    services = with_summaries(services, translations)
    crisis = merge_crisis(reader, translated, translations, crisis, concepts, markers)
    examples = _load_examples(
        reader, directory / "crisis_examples.yaml", "crisis_examples",
        [rule.id for rule, _ in crisis] + ["none"], "crisis rule",
    )
    # A route example under a service that is gone (or not there yet) is left out, with a
    # warning from `check`: removing a place must not stop the knowledge from loading.
    route_examples = _load_examples(
        reader, directory / "route_examples.yaml", "route_examples", None, "service"
    )

    _check_references(reader, services, themes, audiences, areas, crisis, required)
    if reader.problems:
        raise KnowledgeError(reader.problems)
    return KnowledgeBase(
        services={s.id: s for s, _ in services},
        areas=areas,
        themes=themes,
        audiences=audiences,
        synonyms=synonyms,
        crisis=tuple(rule for rule, _ in crisis),
        texts=texts,
        about=about,
        directory=str(directory),
        emergency_services=tuple(required),
        crisis_not_typos=not_typos,
        crisis_concepts=concepts,
        crisis_people=people,
        crisis_calm=markers["calm"],
        crisis_distance=markers["distance"],
        crisis_now=markers["now"],
        crisis_frames=markers["frames"],
        crisis_examples=examples,
        route_examples=route_examples,
    )


def _load_themes(reader: _Reader, path: Path) -> dict[str, Theme]:
    data = reader.read(path, "themes")
    if not data:
        return {}
    return {
        t["id"]: Theme(t["id"], _local(t.get("name")), t.get("emoji") or "")
        for t in data.get("themes") or []
        if t and t.get("id") and t.get("name")
    }


def _load_audiences(reader: _Reader, path: Path) -> dict[str, Audience]:
    data = reader.read(path, "audiences")
    if not data:
        return {}
    return {
        a["id"]: Audience(
            a["id"], _local(a.get("name")), _local_tuple(a.get("words")), bool(a.get("ask"))
        )
        for a in data.get("audiences") or []
        if a and a.get("id") and a.get("name")
    }


def _postcodes(reader: _Reader, file: str, line: int, field: str, values: list[str]) -> frozenset:
    found: set[str] = set()
    for value in values or []:
        match = _POSTCODE.match(value.upper())
        if not match:
            reader.add(
                file,
                line,
                field,
                f"'{value}' is not a postcode or range",
                "write 3524, 3500-3585 or 3582 KT",
            )
            continue
        start, end, letters = match.groups()
        if end:
            found.update(str(n) for n in range(int(start), int(end) + 1))
        elif letters:
            found.add(f"{start} {letters}")
        else:
            found.add(start)
    return frozenset(found)


def _load_areas(reader: _Reader, path: Path) -> dict[str, Area]:
    data = reader.read(path, "areas")
    file = reader.name(path)
    areas: dict[str, Area] = {}
    for item in (data or {}).get("areas") or []:
        if not item or not item.get("id") or not item.get("name") or not item.get("kind"):
            continue
        line = item["_line"]
        if item["id"] in areas:
            reader.add(file, line, "id", f"'{item['id']}' is used twice", "area ids must be unique")
        areas[item["id"]] = Area(
            id=item["id"],
            name=_local(item["name"]),
            kind=item["kind"],
            within=item.get("within"),
            postcodes=_postcodes(reader, file, line, "postcodes", item.get("postcodes")),
            probable_postcodes=_postcodes(
                reader, file, line, "probable_postcodes", item.get("probable_postcodes")
            ),
            neighbourhoods=tuple(item.get("neighbourhoods") or ()),
            front_doors=tuple(item.get("front_doors") or ()),
            talk_now=tuple(item.get("talk_now") or ()),
            after_hours=tuple(item.get("after_hours") or ()),
        )
    for area in areas.values():
        if area.within and area.within not in areas:
            reader.add(
                file,
                None,
                f"{area.id}.within",
                f"unknown area '{area.within}'",
                _suggest(area.within, list(areas)),
            )
    return areas


def _load_services(reader: _Reader, directory: Path) -> list[tuple[Service, str]]:
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        reader.add(reader.name(directory), None, "", "holds no .yaml files with services")
    services: list[tuple[Service, str]] = []
    seen: dict[str, str] = {}
    for path in files:
        file = reader.name(path)
        data = reader.read(path, "services")
        for item in (data or {}).get("services") or []:
            if not item or not item.get("id") or not item.get("name"):
                continue
            where = f"{file}:{item['_line']}"
            if item["id"] in seen:
                reader.add(
                    file,
                    item["_line"],
                    "id",
                    f"'{item['id']}' is used twice",
                    f"also at {seen[item['id']]}; ids must be unique",
                )
                continue
            seen[item["id"]] = where
            services.append((_service(item, file), where))
    return services


def _service(item: dict[str, Any], file: str) -> Service:
    contact = item.get("contact") or {}
    return Service(
        id=item["id"],
        name=item["name"],
        description=_local(item.get("description")) or {"nl": ""},
        themes=tuple(item.get("themes") or ()),
        areas=tuple(item.get("areas") or ()),
        audience=tuple(item.get("audience") or ()),
        keywords=_local_tuple(item.get("keywords")),
        examples=_local_tuple(item.get("examples")),
        sources=tuple(item.get("sources") or ()),
        checked=item.get("checked") or "onbekend",
        contact=Contact(
            phones=tuple(contact.get("phone") or ()),
            email=contact.get("email"),
            website=contact.get("website"),
            address=contact.get("address"),
        ),
        urgent=bool(item.get("urgent")),
        opening_hours=_local(item.get("opening_hours")),
        opening_hours_note=_local(item.get("opening_hours_note")),
        cost=_local(item.get("cost")),
        front_door=item.get("front_door"),
        card=item.get("card"),
        notes=item.get("notes"),
        file=file,
        line=item["_line"],
    )


def _load_synonyms(reader: _Reader, path: Path) -> dict[str, dict[str, tuple[str, ...]]]:
    data = reader.read(path, "synonyms")
    block = (data or {}).get("synonyms") or {}
    return {
        lang: {key.lower(): tuple(words) for key, words in (block.get(lang) or {}).items()}
        for lang in schema.LANGUAGES
    }


def _load_crisis(reader: _Reader, path: Path) -> tuple[
    list[tuple[CrisisRule, str]],
    list[str],
    tuple[str, ...],
    dict[str, dict[str, tuple[str, ...]]],
    dict[str, dict[str, tuple[str, ...]]],
    tuple[str, ...],
]:
    data = reader.read(path, "crisis") or {}
    file = reader.name(path)
    rules = [
        (
            CrisisRule(
                id=r["id"],
                services=tuple(r.get("services") or ()),
                phrases=_local_tuple(r.get("phrases")),
                unless=_local_tuple(r.get("unless")),
                audience=tuple(r.get("audience") or ()),
                situations=tuple(r.get("situations") or ()),
                possible=tuple(r.get("possible") or ()),
                first=bool(r.get("first")),
            ),
            f"{file}:{r['_line']}",
        )
        for r in data.get("crisis") or []
        if r and r.get("id")
    ]
    concepts = {
        str(name): _local_tuple(words)
        for name, words in (data.get("concepts") or {}).items()
        if not str(name).startswith("_")
    }
    for rule, where in rules:
        _check_concept_names(reader, rule, where, concepts)
    people = tuple(str(name) for name in data.get("people") or ())
    for name in people:
        if name not in concepts:
            reader.add(file, _top_level_line(path, "people"), "people",
                       f"unknown concept '{name}'",
                       _suggest(name, list(concepts)) or "define it under `concepts:`")
    return (
        rules,
        list(data.get("required_services") or []),
        tuple(data.get("not_typos") or ()),
        concepts,
        {name: _local_tuple(data.get(name)) for name in ("calm", "distance", "now", "frames")},
        people,
    )


_CONCEPT_REF = re.compile(r"@([\w-]+)")


def _top_level_line(path: Path, key: str) -> int | None:
    """The line of a top-level `key:` (validation keeps only each object's first line)."""
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if line.startswith(f"{key}:"):
                return number
    return None


def _check_concept_names(
    reader: _Reader, rule: CrisisRule, where: str, concepts: dict[str, object]
) -> None:
    """A rule naming a concept that does not exist would silently never fire: refuse it."""
    file, _, line = where.rpartition(":")
    phrases = [p for ps in rule.phrases.values() for p in ps]
    for field_name, patterns in (
        ("situations", rule.situations),
        ("possible", rule.possible),
        ("phrases", phrases),
    ):
        for pattern in patterns:
            for name in _CONCEPT_REF.findall(pattern):
                if name not in concepts:
                    reader.add(
                        file,
                        int(line),
                        f"{rule.id}.{field_name}",
                        f"unknown concept '@{name}' in '{pattern}'",
                        _suggest(name, list(concepts)) or "define it under `concepts:`",
                    )


_FIELD_NAMES = re.compile(r"\{(\w+)\}")


def _load_texts(reader: _Reader, directory: Path) -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = {}
    for lang in schema.LANGUAGES:
        path = directory / f"{lang}.yaml"
        if not path.exists():
            reader.add(
                reader.name(path),
                None,
                "",
                "is missing",
                f"every language ({', '.join(schema.LANGUAGES)}) needs a texts file",
            )
            continue
        data = reader.read(path, "texts")
        if data:
            texts[lang] = dict(data.get("texts") or {})
    if "nl" in texts:
        reference = texts["nl"]
        for lang, table in texts.items():
            file = reader.name(directory / f"{lang}.yaml")
            for key in sorted(set(reference) - set(table)):
                reader.add(file, None, f"texts.{key}", "is missing", "every language needs it")
            for key in sorted(set(table) - set(reference)):
                reader.add(file, None, f"texts.{key}", "is not in nl.yaml", "remove or add to nl")
            for key in set(reference) & set(table):
                wanted = set(_FIELD_NAMES.findall(reference[key]))
                if set(_FIELD_NAMES.findall(table[key])) != wanted:
                    reader.add(
                        file,
                        None,
                        f"texts.{key}",
                        "uses other {placeholders} than nl.yaml",
                        f"use exactly: {', '.join(sorted(wanted)) or 'none'}",
                    )
                try:
                    list(string.Formatter().parse(table[key]))
                except ValueError:
                    reader.add(
                        file,
                        None,
                        f"texts.{key}",
                        "has an unmatched { or }",
                        "write {{ or }} for a literal brace",
                    )
    return texts


def _load_examples(
    reader: _Reader, path: Path, kind: str, known: list[str] | None, what: str
) -> dict[str, tuple[str, ...]]:
    """Messages labelled for a learned model (crisis_examples.yaml, route_examples.yaml).
    Optional: without them the bot has its rules and keywords only."""
    if not path.exists():
        return {}
    data = reader.read(path, kind) or {}
    examples = {
        str(k): tuple(v or ()) for k, v in (data.get("examples") or {}).items()
        if not str(k).startswith("_")
    }
    for label in examples:
        if known is not None and label not in known:
            reader.add(
                reader.name(path),
                None,
                f"examples.{label}",
                f"unknown {what} '{label}'",
                _suggest(label, known),
            )
    return examples


def _load_about(reader: _Reader, path: Path) -> dict[str, str]:
    data = reader.read(path, "about")
    return _local((data or {}).get("about"))


def _check_ways_in(reader: _Reader, services: list[Service]) -> None:
    """Every card must let a resident act: a way in of its own, or a front door that has one."""
    by_id = {s.id: s for s in services}
    for service in services:
        door_id = service.front_door
        if door_id is None:
            if not service.contact.any:
                reader.add(
                    service.file,
                    service.line,
                    f"{service.id}.contact",
                    "gives residents no way in (no phone, address, website or e-mail)",
                    "add what a source gives, or name the service they go through as "
                    "`front_door: buurtteams-utrecht` (or u-centraal, gemeente-utrecht, …)",
                )
            continue
        door = by_id.get(door_id)
        if door is None:
            reader.add(
                service.file,
                service.line,
                f"{service.id}.front_door",
                f"unknown service '{door_id}'",
                _suggest(door_id, list(by_id)),
            )
        elif door_id == service.id or not door.contact.any:
            reader.add(
                service.file,
                service.line,
                f"{service.id}.front_door",
                f"'{door_id}' has no phone, address, website or e-mail itself",
                "choose a front door residents can call, visit or open",
            )


def _check_references(
    reader: _Reader,
    services: list[tuple[Service, str]],
    themes: dict[str, Theme],
    audiences: dict[str, Audience],
    areas: dict[str, Area],
    crisis: list[tuple[CrisisRule, str]],
    required: list[str],
) -> None:
    service_ids = [s.id for s, _ in services]
    _check_ways_in(reader, [s for s, _ in services])
    for service, _ in services:
        for field, values, known in (
            ("themes", service.themes, list(themes)),
            ("areas", service.areas, list(areas)),
            ("audience", service.audience, list(audiences)),
        ):
            for value in values:
                if known and value not in known:
                    reader.add(
                        service.file,
                        service.line,
                        f"{service.id}.{field}",
                        f"unknown {field[:-1] if field != 'audience' else field} '{value}'",
                        _suggest(value, known),
                    )
    for area in areas.values():
        for door in (*area.front_doors, *area.talk_now, *area.after_hours):
            if door not in service_ids:
                reader.add(
                    reader.name(reader.directory / "areas.yaml"),
                    None,
                    f"{area.id}.front_doors",
                    f"unknown service '{door}'",
                    _suggest(door, service_ids),
                )
    for rule, where in crisis:
        file, _, line = where.rpartition(":")
        for service_id in rule.services:
            if service_id not in service_ids:
                reader.add(
                    file,
                    int(line),
                    f"{rule.id}.services",
                    f"unknown service '{service_id}'",
                    _suggest(service_id, service_ids),
                )
        for audience in rule.audience:
            if audience not in audiences:
                reader.add(
                    file,
                    int(line),
                    f"{rule.id}.audience",
                    f"unknown audience '{audience}'",
                    _suggest(audience, list(audiences)),
                )
    routed = {sid for rule, _ in crisis for sid in rule.services}
    for service_id in required:
        if service_id not in service_ids:
            reader.add(
                reader.name(reader.directory / "crisis.yaml"),
                None,
                "required_services",
                f"emergency line '{service_id}' is missing from the services",
                "the bot must always be able to route emergencies",
            )
        elif service_id not in routed:
            reader.add(
                reader.name(reader.directory / "crisis.yaml"),
                None,
                "required_services",
                f"no crisis rule routes to '{service_id}'",
                "add it to the services of a rule",
            )
