"""The knowledge base as Open Referral HSDS 3.0 open data, and back again.

Layout: one JSON file per HSDS table, named after HSDS's tabular paths (`services.csv` ->
`services.json`), each an array of rows with HSDS 3.0 field names; rows refer to each other by
`id`, as in HSDS's tabular data package. Ids are UUIDs (HSDS requires them), derived with
uuid5 from the Routewijzer id, so every export of the same knowledge has the same ids and two
exports can be diffed.

Mapping, Routewijzer -> HSDS:

- id -> attribute `routewijzer-id` (HSDS's own `id` is a UUID derived from it)
- name -> services.name, and organizations.name: one organization per service, because the
  knowledge does not record providers separately
- description.nl -> services.description (and organizations.description);
  description.<other language> -> attribute `description-<lang>`
- contact.phone -> phones (service_id, number, type `voice`), in order
- contact.email, contact.website -> services.email, services.url
- contact.address -> locations + addresses (address_1, postal_code, city, country NL) +
  service_at_locations; the parts join back to exactly the knowledge's one-line address
- opening_hours.<way in> -> schedules (freq WEEKLY, byday, opens_at, closes_at, in local time
  Europe/Amsterdam; attending_type `phone`, `in_person` or `online` for phone, walk_in, chat)
  for what RRULEs can say, and attribute `opening_hours-<way in>` with the exact OpenStreetMap
  value (which also knows `PH off`)
- opening_hours_note.nl -> schedules.description; other languages -> attribute
  `opening_hours_note-<lang>`
- cost.nl -> services.fees_description; other languages -> attribute `cost-<lang>`
- front_door -> attribute `front-door` (the Routewijzer id of the service to go through)
- checked -> services.assured_date (first day of the period; absent for `onbekend`) and
  attribute `checked` with the exact value (2016, 2016-10, ...)
- areas -> service_areas, name = the area id (oost, zuid, utrecht, nederland)
- themes -> attributes with terms of taxonomy `routewijzer-themes` (term code = theme id)
- audience -> attributes with terms of taxonomy `routewijzer-audiences`; also, in words,
  services.eligibility_description
- keywords, examples -> attributes `keyword-<lang>`, `example-<lang>`: one per phrase, in order
- card, urgent, sources -> attributes `card`, `urgent`, `source` (one per link)
- notes: not exported. They are maintainers' doubts and working notes, not open data.

Every Routewijzer-only value is an HSDS attribute: a row in attributes.json linking the service
(`link_entity` `service`) to a term in taxonomy_terms.json, with the value in `value`. The terms
belong to three taxonomies in taxonomies.json (`routewijzer-fields`, `routewijzer-themes`,
`routewijzer-audiences`). languages.json is written empty: the knowledge says in which languages
the bot describes a service, not which languages the service speaks, and HSDS's language table
means the latter.

`import_hsds` reads such a directory back into services YAML; `export -> import` gives the same
services (tests/test_sharing.py proves it). Rows from other HSDS publishers import as far as they
go (name, description, contact, hours, areas); `run_bot.py check` then says what is missing.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.model import KnowledgeBase, Service

# Fixed forever: changing it changes every exported id.
ID_NAMESPACE = uuid.UUID("6d1f3f0e-8f54-5b1c-9d2a-7a6f0e1b2c3d")
TABLES = (
    "organizations",
    "services",
    "locations",
    "addresses",
    "service_at_locations",
    "phones",
    "schedules",
    "service_areas",
    "languages",
    "taxonomies",
    "taxonomy_terms",
    "attributes",
)
FIELDS_TAXONOMY = "routewijzer-fields"
THEMES_TAXONOMY = "routewijzer-themes"
AUDIENCES_TAXONOMY = "routewijzer-audiences"
# Way in -> HSDS schedules.attending_type.
ATTENDING_TYPES = {"phone": "phone", "walk_in": "in_person", "chat": "online"}
_WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME_SPAN = re.compile(r"^(\d{2}:\d{2})-(\d{2}:\d{2})$")
_POSTCODE_CITY = re.compile(r"^(\d{4} ?[A-Z]{2}) (\D+)$")
_CITY = re.compile(r"^\D+$")


def _uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{key}"))


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """A row without empty fields: absent is how HSDS says 'not known'."""
    return {k: v for k, v in row.items() if v not in (None, "", [])}


# ---------------------------------------------------------------------- addresses


def split_address(text: str) -> dict[str, str]:
    """'Stadsplateau 1, 3521 AZ Utrecht' -> address_1, postal_code, city; never loses text.

    Only a last part that looks like a town ('Utrecht', '3521 AZ Utrecht') becomes the city;
    otherwise the whole text stays in address_1, so `join_address` gives the text back exactly.
    """
    head, separator, tail = text.rpartition(", ")
    parts = {"address_1": text, "postal_code": "", "city": ""}
    if separator and head:
        postcode = _POSTCODE_CITY.match(tail)
        if postcode:
            parts = {"address_1": head, "postal_code": postcode[1], "city": postcode[2]}
        elif _CITY.match(tail):
            parts = {"address_1": head, "postal_code": "", "city": tail}
    if join_address(parts) != text:
        parts = {"address_1": text, "postal_code": "", "city": ""}
    return parts


def join_address(row: dict[str, Any]) -> str:
    """The one-line address the bot shows, from an HSDS address row."""
    town = " ".join(p for p in (row.get("postal_code"), row.get("city")) if p)
    return ", ".join(p for p in (row.get("address_1"), row.get("address_2"), town) if p)


# ---------------------------------------------------------------------- opening hours


def weekly_schedules(opening_hours: str) -> list[dict[str, str]]:
    """The weekly part of an OpenStreetMap opening_hours value as HSDS schedule fields.

    'Mo-Fr 09:00-12:00,13:00-17:00; PH off' -> two rows (byday MO,TU,WE,TH,FR). A later rule
    for a day replaces an earlier one, as in OpenStreetMap. What RRULEs cannot say (public
    holidays, exceptions) is left out here; the exact value travels in an attribute.
    """
    by_day: dict[str, tuple[tuple[str, str], ...]] = {}
    for rule in (r.strip() for r in opening_hours.split(";")):
        if rule == "24/7":
            by_day = {day: (("00:00", "23:59"),) for day in _WEEKDAYS}
            continue
        days_text, _, times_text = rule.partition(" ")
        days = _expand_days(days_text)
        spans = tuple(_TIME_SPAN.match(t) for t in times_text.split(","))
        if not days or not all(spans):
            continue
        for day in days:
            by_day[day] = tuple((m[1], m[2]) for m in spans if m)
    grouped: dict[tuple[tuple[str, str], ...], list[str]] = defaultdict(list)
    for day in _WEEKDAYS:
        if by_day.get(day):
            grouped[by_day[day]].append(day.upper())
    return [
        {"freq": "WEEKLY", "byday": ",".join(days), "opens_at": opens, "closes_at": closes}
        for spans, days in grouped.items()
        for opens, closes in spans
    ]


def _expand_days(text: str) -> list[str]:
    days: list[str] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in _WEEKDAYS or (last and last not in _WEEKDAYS):
            return []
        start, end = _WEEKDAYS.index(first), _WEEKDAYS.index(last or first)
        if start <= end:
            days.extend(_WEEKDAYS[start : end + 1])
        else:  # Sa-Mo wraps around the week
            days.extend([*_WEEKDAYS[start:], *_WEEKDAYS[: end + 1]])
    return days


# ---------------------------------------------------------------------- export


@dataclass
class _Tables:
    rows: dict[str, list[dict[str, Any]]]

    def add(self, table: str, row: dict[str, Any], required: tuple[str, ...] = ()) -> None:
        """Add `row` without its empty fields, except those HSDS requires to be present."""
        self.rows[table].append({**_clean(row), **{k: row.get(k) or "" for k in required}})


def _field_terms(kb: KnowledgeBase) -> dict[str, str]:
    """code -> description of the Routewijzer-only fields, one term per language where needed."""
    terms = {
        "routewijzer-id": "Routewijzer's own id of the service (stable; links use it).",
        "front-door": "Routewijzer id of the service residents go through to reach this one.",
        "checked": "When the facts were last seen true: 2024, 2024-05, 2024-05-17 or onbekend.",
        "card": "Priority on the printed Meterkastkaart: 1 (must) to 3.",
        "urgent": "For acute situations.",
        "source": "A public web page the facts come from.",
    }
    for channel in ATTENDING_TYPES:
        terms[f"opening_hours-{channel}"] = (
            f"Opening hours by {channel.replace('_', '-')} in OpenStreetMap opening_hours format "
            "(exact)."
        )
    for lang in kb.languages:
        if lang != "nl":
            terms[f"description-{lang}"] = f"Description in language '{lang}'."
            terms[f"opening_hours_note-{lang}"] = f"Opening hours in words ('{lang}')."
            terms[f"cost-{lang}"] = f"What it costs ('{lang}')."
        terms[f"keyword-{lang}"] = f"A word or phrase residents use for this need ({lang})."
        terms[f"example-{lang}"] = f"A resident's question that must reach this service ({lang})."
    return terms


def hsds_tables(kb: KnowledgeBase) -> dict[str, list[dict[str, Any]]]:
    """The whole knowledge base as HSDS 3.0 tables (table name -> rows)."""
    tables = _Tables({name: [] for name in TABLES})
    term_ids: dict[tuple[str, str], str] = {}

    def taxonomy(key: str, name: str, description: str, terms: dict[str, tuple[str, str]]) -> None:
        taxonomy_id = _uuid("taxonomy", key)
        tables.add("taxonomies", {"id": taxonomy_id, "name": key, "description": description})
        for code, (term_name, term_description) in terms.items():
            term_ids[key, code] = _uuid("taxonomy_term", f"{key}:{code}")
            tables.add(
                "taxonomy_terms",
                {
                    "id": term_ids[key, code],
                    "code": code,
                    "name": term_name,
                    "description": term_description,
                    "taxonomy": name,
                    "taxonomy_id": taxonomy_id,
                },
            )

    taxonomy(
        FIELDS_TAXONOMY,
        "Routewijzer fields",
        "Routewijzer values without an HSDS field of their own.",
        {code: (code, text) for code, text in _field_terms(kb).items()},
    )
    taxonomy(
        THEMES_TAXONOMY,
        "Routewijzer themes",
        "The five themes of the routewijzer (wijkinformatiepuntutrecht.nl).",
        {t.id: (t.name["nl"], t.name.get("en", t.name["nl"])) for t in kb.themes.values()},
    )
    taxonomy(
        AUDIENCES_TAXONOMY,
        "Routewijzer audiences",
        "Who a service is for.",
        {a.id: (a.name["nl"], a.name.get("en", a.name["nl"])) for a in kb.audiences.values()},
    )
    for service in kb.services.values():
        _export_service(kb, service, tables, term_ids)
    return tables.rows


def _export_service(
    kb: KnowledgeBase, service: Service, tables: _Tables, term_ids: dict[tuple[str, str], str]
) -> None:
    service_id = _uuid("service", service.id)
    organization_id = _uuid("organization", service.id)
    contact = service.contact
    checked = service.checked_on
    tables.add(
        "organizations",
        {
            "id": organization_id,
            "name": service.name,
            "description": service.description.get("nl", ""),
            "email": contact.email,
            "website": contact.website,
        },
        required=("description",),
    )
    tables.add(
        "services",
        {
            "id": service_id,
            "organization_id": organization_id,
            "name": service.name,
            "description": service.description.get("nl", ""),
            "url": contact.website,
            "email": contact.email,
            "status": "active",
            "fees_description": service.cost.get("nl"),
            "eligibility_description": ", ".join(
                kb.audiences[a].name["nl"] for a in service.audience if a in kb.audiences
            ),
            "assured_date": checked.isoformat() if checked else None,
        },
    )
    for index, number in enumerate(contact.phones):
        tables.add(
            "phones",
            {
                "id": _uuid("phone", f"{service.id}:{index}"),
                "service_id": service_id,
                "number": number,
                "type": "voice",
            },
        )
    if contact.address:
        location_id = _uuid("location", service.id)
        tables.add(
            "locations",
            {
                "id": location_id,
                "location_type": "physical",
                "name": service.name,
                "organization_id": organization_id,
            },
        )
        tables.add(
            "addresses",
            {
                "id": _uuid("address", service.id),
                "location_id": location_id,
                **split_address(contact.address),
                "country": "NL",
                "address_type": "physical",
            },
            # Required by HSDS; left empty rather than guessed when the knowledge lacks them.
            required=("address_1", "city", "state_province", "postal_code"),
        )
        tables.add(
            "service_at_locations",
            {
                "id": _uuid("service_at_location", service.id),
                "service_id": service_id,
                "location_id": location_id,
            },
        )
    weekly = [
        {**fields, "attending_type": ATTENDING_TYPES[channel]}
        for channel, expression in service.opening_hours.items()
        for fields in weekly_schedules(expression)
    ]
    note = service.opening_hours_note.get("nl")
    for index, fields in enumerate(weekly or ([{}] if note else [])):
        tables.add(
            "schedules",
            {
                "id": _uuid("schedule", f"{service.id}:{index}"),
                "service_id": service_id,
                **fields,
                "description": note,
            },
        )
    for area in service.areas:
        tables.add(
            "service_areas",
            {
                "id": _uuid("service_area", f"{service.id}:{area}"),
                "service_id": service_id,
                "name": area,
            },
        )

    values: list[tuple[str, str, str | None]] = [(FIELDS_TAXONOMY, "routewijzer-id", service.id)]
    values += [(THEMES_TAXONOMY, theme, None) for theme in service.themes]
    values += [(AUDIENCES_TAXONOMY, audience, None) for audience in service.audience]
    for field, texts in (
        ("description", service.description),
        ("opening_hours_note", service.opening_hours_note),
        ("cost", service.cost),
    ):
        for lang, text in texts.items():
            if lang != "nl":
                values.append((FIELDS_TAXONOMY, f"{field}-{lang}", text))
    for field, table in (("keyword", service.keywords), ("example", service.examples)):
        for lang, phrases in table.items():
            values += [(FIELDS_TAXONOMY, f"{field}-{lang}", phrase) for phrase in phrases]
    values += [
        (FIELDS_TAXONOMY, f"opening_hours-{channel}", expression)
        for channel, expression in service.opening_hours.items()
    ]
    values += [
        (FIELDS_TAXONOMY, "front-door", service.front_door),
        (FIELDS_TAXONOMY, "checked", service.checked),
        (FIELDS_TAXONOMY, "card", str(service.card) if service.card else None),
        (FIELDS_TAXONOMY, "urgent", "true" if service.urgent else None),
    ]
    values += [(FIELDS_TAXONOMY, "source", source) for source in service.sources]
    index = 0
    for taxonomy, code, value in values:
        if (taxonomy, code) in term_ids and (value is not None or taxonomy != FIELDS_TAXONOMY):
            tables.add(
                "attributes",
                {
                    "id": _uuid("attribute", f"{service.id}:{index}"),
                    "link_id": service_id,
                    "link_entity": "service",
                    "link_type": taxonomy.removeprefix("routewijzer-"),
                    "taxonomy_term_id": term_ids[taxonomy, code],
                    "value": value,
                },
            )
            index += 1


def export_hsds(kb: KnowledgeBase, directory: Path) -> list[Path]:
    """Write the tables as `<table>.json` into `directory`; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table, rows in hsds_tables(kb).items():
        path = directory / f"{table}.json"
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


# ---------------------------------------------------------------------- import


class HsdsError(ValueError):
    """The directory is not an HSDS export this importer can read."""


def _read_tables(directory: Path) -> dict[str, list[dict[str, Any]]]:
    if not (directory / "services.json").is_file():
        raise HsdsError(f"{directory} has no services.json (expected one JSON file per table)")
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        path = directory / f"{table}.json"
        try:
            rows = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
        except json.JSONDecodeError as error:
            raise HsdsError(f"{path}: not valid JSON ({error})") from error
        if not isinstance(rows, list):
            raise HsdsError(f"{path}: expected a JSON array of rows")
        tables[table] = rows
    return tables


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "service"


class _Attributes:
    """One service's attribute values, keyed by (taxonomy name, term code), in export order."""

    def __init__(self, values: dict[tuple[str | None, str], list[str]]):
        self.values = values

    def first(self, code: str) -> str | None:
        found = self.values.get((FIELDS_TAXONOMY, code))
        return found[0] if found else None

    def all(self, code: str) -> list[str]:
        return self.values.get((FIELDS_TAXONOMY, code), [])

    def per_language(self, prefix: str) -> dict[str, list[str]]:
        """'keyword-nl', 'keyword-en' -> {'nl': [...], 'en': [...]}."""
        return {
            code.removeprefix(prefix): found
            for (taxonomy, code), found in self.values.items()
            if taxonomy == FIELDS_TAXONOMY and code.startswith(prefix)
        }

    def codes(self, taxonomy: str) -> list[str]:
        return [code for (name, code) in self.values if name == taxonomy]


def hsds_services(tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """HSDS tables -> services as the knowledge YAML writes them (plain dicts, in order)."""

    def by(table: str, key: str) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in tables[table]:
            grouped[row.get(key, "")].append(row)
        return grouped

    terms = {t["id"]: t for t in tables["taxonomy_terms"]}
    taxonomies = {t["id"]: t.get("name") for t in tables["taxonomies"]}
    attribute_rows = by("attributes", "link_id")
    phones = by("phones", "service_id")
    schedules = by("schedules", "service_id")
    areas = by("service_areas", "service_id")
    at_locations = by("service_at_locations", "service_id")
    addresses = by("addresses", "location_id")

    services = []
    for row in tables["services"]:
        values: dict[tuple[str | None, str], list[str]] = defaultdict(list)
        for attribute in attribute_rows.get(row["id"], []):
            term = terms.get(attribute.get("taxonomy_term_id", ""), {})
            key = (taxonomies.get(term.get("taxonomy_id", "")), term.get("code", ""))
            values[key].append(attribute.get("value", ""))
        found = _Attributes(values)
        description = {"nl": row.get("description", "")}
        for lang, texts in found.per_language("description-").items():
            description[lang] = texts[0]
        cost = {"nl": row.get("fees_description")}
        for lang, texts in found.per_language("cost-").items():
            cost[lang] = texts[0]
        address = next(
            (
                join_address(a)
                for link in at_locations.get(row["id"], [])
                for a in addresses.get(link.get("location_id", ""), [])
            ),
            None,
        )
        numbers = [p["number"] for p in phones.get(row["id"], []) if p.get("number")]
        note = {
            "nl": next(
                (s["description"] for s in schedules.get(row["id"], []) if s.get("description")),
                None,
            )
        }
        for lang, texts in found.per_language("opening_hours_note-").items():
            note[lang] = texts[0]
        hours = {channel: found.first(f"opening_hours-{channel}") for channel in ATTENDING_TYPES}
        card = found.first("card")
        service = {
            "id": found.first("routewijzer-id") or _slug(row.get("name", "")),
            "name": row.get("name", ""),
            "description": description,
            "themes": found.codes(THEMES_TAXONOMY),
            "areas": [a["name"] for a in areas.get(row["id"], []) if a.get("name")],
            "audience": found.codes(AUDIENCES_TAXONOMY),
            "urgent": True if found.first("urgent") == "true" else None,
            "keywords": found.per_language("keyword-"),
            "examples": found.per_language("example-"),
            "contact": _clean(
                {
                    "phone": numbers[0] if len(numbers) == 1 else numbers,
                    "email": row.get("email"),
                    "website": row.get("url"),
                    "address": address,
                }
            ),
            "front_door": found.first("front-door"),
            "opening_hours": _clean(hours) or None,
            "opening_hours_note": _clean(note) or None,
            "cost": _clean(cost) or None,
            "card": int(card) if card and card.isdigit() else None,
            "sources": found.all("source"),
            "checked": found.first("checked") or row.get("assured_date") or "onbekend",
        }
        services.append(_clean(service))
    return services


def import_hsds(source: Path, target: Path, overwrite: bool = False) -> list[Path]:
    """Write the services of the HSDS export in `source` as `<first area>.yaml` files in `target`.

    Refuses to replace existing files unless `overwrite`: the target is often the live
    `knowledge/services`, which others edit too.
    """
    services = hsds_services(_read_tables(source))
    files: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for service in services:
        files[(service.get("areas") or ["imported"])[0]].append(service)
    paths = {area: target / f"{area}.yaml" for area in files}
    existing = [p for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise HsdsError(
            f"would replace {', '.join(str(p) for p in existing)}; "
            "choose an empty directory or pass --force"
        )
    target.mkdir(parents=True, exist_ok=True)
    for area, items in files.items():
        text = yaml.safe_dump(
            {"services": items}, allow_unicode=True, sort_keys=False, width=100
        )
        paths[area].write_text(
            "# yaml-language-server: $schema=../schema/services.schema.json\n"
            "# Imported from HSDS by `run_bot.py import`; run `run_bot.py check` after editing.\n"
            + text,
            encoding="utf-8",
        )
    return list(paths.values())
