"""The shape of every knowledge file, defined once.

The same definitions validate the YAML at load time (with file, line and field in every
message) and generate the JSON Schema that lets an editor such as VS Code check and
autocomplete while a maintainer types. Changing a field here changes both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process

from bot.knowledge import formats
from bot.knowledge.yaml_source import LineDict, LineList, Problem

LANGUAGES = ("nl", "en", "tr", "ar", "pl", "uk")
# The languages maintainers write every resident text in; the residents' own languages (tr, ar,
# pl, uk) have the bot's texts, names and place summaries, and fall back to Dutch elsewhere.
MAINTAINED_LANGUAGES = ("nl", "en")
# The ways a resident can reach a place, each with its own hours: a phone line that closes at
# 13:00 must not make the card call the desk closed (gemeente-utrecht, audit 2026-12).
CHANNELS = ("phone", "walk_in", "chat")
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_ID_LENGTH = 48  # leaves room for a prefix inside Telegram's 64-byte callback data

Check = Callable[[str], str | None]


@dataclass(frozen=True)
class Field:
    """One key of a YAML mapping. `kind` is text, number, bool, list, map, object or dict."""

    name: str
    kind: str
    doc: str
    required: bool = False
    item: Field | None = None  # for list and dict values
    fields: tuple[Field, ...] = ()  # for object
    pattern: str | None = None
    check: Check | None = None
    min_items: int = 0
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    one_or_many: bool = False  # a single text may stand where a list is expected
    hint: str = ""  # how to write it, added when the value has the wrong shape


def text(name: str, doc: str, **kw: Any) -> Field:
    return Field(name, "text", doc, **kw)


def texts(name: str, doc: str, **kw: Any) -> Field:
    item = Field("item", "text", doc, check=kw.pop("check", None), pattern=kw.pop("pattern", None))
    return Field(name, "list", doc, item=item, **kw)


def per_language(
    name: str, doc: str, inner: Field, required_nl: bool, every_language: bool = False, **kw: Any
) -> Field:
    """One value per language the bot speaks; `every_language` when residents read it in each."""
    fields = tuple(
        Field(
            lang,
            inner.kind,
            f"{doc} ({lang})",
            required=(every_language and lang in MAINTAINED_LANGUAGES)
            or (required_nl and lang == "nl"),
            item=inner.item,
            min_items=inner.min_items if lang == "nl" else 0,
        )
        for lang in LANGUAGES
    )
    languages = ", ".join(f"{lang}: …" for lang in LANGUAGES)
    hint = kw.pop("hint", "") or f"write one line per language below it: {languages}"
    return Field(name, "object", doc, fields=fields, hint=hint, **kw)


_LOCAL_TEXT = Field("text", "text", "")
_LOCAL_TEXTS = Field("texts", "list", "", item=Field("item", "text", ""))

SERVICE = Field(
    "service",
    "object",
    "A place or line a resident can turn to.",
    fields=(
        text(
            "id",
            "Stable id: lowercase letters, digits and '-'. Never change it.",
            required=True,
            pattern=SLUG,
            max_length=MAX_ID_LENGTH,
        ),
        text("name", "The name residents know it by.", required=True),
        per_language(
            "description",
            "What they do for a resident, in one or two short sentences.",
            _LOCAL_TEXT,
            required_nl=True,
            every_language=True,
            required=True,
        ),
        texts("themes", "Theme ids from themes.yaml.", required=True, min_items=1),
        texts(
            "areas",
            "Area ids it serves: a district, 'utrecht' (whole city) or 'nederland'.",
            required=True,
            min_items=1,
        ),
        texts("audience", "Audience ids from audiences.yaml.", required=True, min_items=1),
        Field("urgent", "bool", "True for services for acute situations."),
        per_language(
            "keywords",
            "Words and phrases residents use for this need.",
            Field("k", "list", "", item=Field("item", "text", ""), min_items=3),
            required_nl=True,
            required=True,
        ),
        per_language(
            "examples",
            "Messages that must route to this service (checked by `check`); at least 3 in Dutch.",
            Field("e", "list", "", item=Field("item", "text", ""), min_items=3),
            required_nl=True,
            required=True,
        ),
        Field(
            "contact",
            "object",
            "How to reach them. Leave out what is not known.",
            fields=(
                Field(
                    "phone",
                    "list",
                    "Phone number(s), e.g. 030-1234567.",
                    item=Field("item", "text", "", check=formats.phone_problem),
                    one_or_many=True,
                ),
                text("email", "E-mail address.", check=formats.email_problem),
                text("website", "Website, https:// only.", check=formats.https_url_problem),
                text("address", "Street, number and town."),
            ),
        ),
        text(
            "front_door",
            "The id of the service residents go through to reach this one (buurtteams-utrecht, "
            "u-centraal, gemeente-utrecht …); required when contact has no phone, address, "
            "website or e-mail.",
            pattern=SLUG,
        ),
        Field(
            "opening_hours",
            "object",
            "Hours per way in, in OpenStreetMap opening_hours format, e.g. "
            "phone: 'Mo-Fr 09:00-17:00; PH off'. Only the ways the source gives hours for.",
            fields=tuple(
                text(
                    channel,
                    f"When residents can reach them by {channel.replace('_', '-')}, "
                    "e.g. 'Mo-Fr 09:00-17:00; PH unknown'.",
                    check=formats.opening_hours_problem,
                )
                for channel in CHANNELS
            ),
            hint="say for which way in: on the next lines write '  phone: \"Mo-Fr 09:00-17:00\"', "
            "'  walk_in: …' (desk, inloop) or '  chat: …'",
        ),
        per_language(
            "opening_hours_note",
            "The opening hours in plain words for residents; sources and years go in notes.",
            _LOCAL_TEXT,
            required_nl=True,
            every_language=True,
        ),
        per_language(
            "cost",
            "What it costs, in plain words for residents.",
            _LOCAL_TEXT,
            required_nl=True,
            every_language=True,
        ),
        Field(
            "card",
            "number",
            "Priority on the printed Meterkastkaart: 1 (must) to 3.",
            choices=("1", "2", "3"),
        ),
        texts(
            "sources",
            "Public web pages the facts come from.",
            required=True,
            min_items=1,
            check=formats.source_url_problem,
        ),
        text(
            "checked",
            "When the facts were last seen true: 2024, 2024-05, 2024-05-17 or onbekend.",
            required=True,
            check=formats.checked_problem,
        ),
        text(
            "notes",
            "For maintainers only: sources, doubts, years, cross-references. No card, message or "
            "export shows it.",
        ),
    ),
)

SERVICES_FILE = Field(
    "services-file",
    "object",
    "A file of services.",
    fields=(Field("services", "list", "The services.", required=True, item=SERVICE, min_items=1),),
)

AREA = Field(
    "area",
    "object",
    "A district, the city or the country.",
    fields=(
        text("id", "Stable id.", required=True, pattern=SLUG, max_length=24),
        per_language(
            "name", "Name shown to residents.", _LOCAL_TEXT, required_nl=True, required=True
        ),
        text(
            "kind",
            "district, city or country.",
            required=True,
            choices=("district", "city", "country"),
        ),
        text("within", "The id of the area this one lies in."),
        texts("postcodes", "4-digit postcodes (or ranges like 3500-3585) that lie in this area."),
        texts(
            "probable_postcodes",
            "Postcodes that probably lie here: the bot asks before using them.",
        ),
        texts("neighbourhoods", "Neighbourhood names residents use, e.g. Lunetten."),
        texts("front_doors", "Service ids to offer when a resident wants to talk to a person."),
        texts(
            "talk_now",
            "Service ids of lines to talk to someone that are reachable when the front doors are "
            "closed (De Luisterlijn): offered first under 'Praat met iemand' when they are open.",
        ),
        texts(
            "after_hours",
            "Service ids of health places open when practices are closed (the huisartsenpost): "
            "at night and at the weekend a health need leads with the one that is open.",
        ),
    ),
)

AREAS_FILE = Field(
    "areas-file",
    "object",
    "Districts, city and country.",
    fields=(Field("areas", "list", "The areas.", required=True, item=AREA, min_items=1),),
)

THEME = Field(
    "theme",
    "object",
    "One of the routewijzer themes.",
    fields=(
        text("id", "Stable id.", required=True, pattern=SLUG, max_length=16),
        per_language(
            "name", "Name shown on the button.", _LOCAL_TEXT, required_nl=True, required=True
        ),
        text("emoji", "One emoji for the button."),
    ),
)

THEMES_FILE = Field(
    "themes-file",
    "object",
    "The themes.",
    fields=(Field("themes", "list", "The themes.", required=True, item=THEME, min_items=1),),
)

AUDIENCE = Field(
    "audience",
    "object",
    "A group of residents a service is for.",
    fields=(
        text("id", "Stable id.", required=True, pattern=SLUG, max_length=16),
        per_language(
            "name", "Name shown to residents.", _LOCAL_TEXT, required_nl=True, required=True
        ),
        per_language(
            "words",
            "Words in a message that say the help is for this group.",
            _LOCAL_TEXTS,
            required_nl=False,
        ),
        Field("ask", "bool", "Offer this group as an answer to 'for whom?'."),
    ),
)

AUDIENCES_FILE = Field(
    "audiences-file",
    "object",
    "The audiences.",
    fields=(
        Field("audiences", "list", "The audiences.", required=True, item=AUDIENCE, min_items=1),
    ),
)

_WORD_LIST = Field(
    "words", "list", "Canonical words.", item=Field("item", "text", ""), one_or_many=True
)

SYNONYMS_FILE = Field(
    "synonyms-file",
    "object",
    "Everyday words to the words services use.",
    fields=(
        Field(
            "synonyms",
            "object",
            "Per language.",
            required=True,
            fields=tuple(
                Field(lang, "dict", f"Synonyms in {lang}.", item=_WORD_LIST) for lang in LANGUAGES
            ),
        ),
    ),
)

CRISIS_RULE = Field(
    "crisis-rule",
    "object",
    "An emergency that goes before everything else.",
    fields=(
        text("id", "Stable id.", required=True, pattern=SLUG, max_length=32),
        texts(
            "services",
            "Emergency service ids to show, most important first.",
            required=True,
            min_items=1,
        ),
        per_language(
            "phrases",
            "Phrases that signal this emergency.",
            _LOCAL_TEXTS,
            required_nl=True,
            required=True,
        ),
        per_language(
            "unless",
            "Words that mean the message is not an emergency (cursus, open dag).",
            _LOCAL_TEXTS,
            required_nl=False,
        ),
        texts(
            "audience",
            "Only when the writer says they are this young ('ik ben 12'): kinderen, jongeren.",
        ),
        texts(
            "situations",
            "Situations that are this emergency in any language: concepts from `concepts` that "
            "must all occur, joined by ' + ' ('@pillen + @veel + @innemen'); '@a|@b' is either.",
        ),
        texts(
            "possible",
            "Situations or phrases that may be this emergency but need not be ('@uitzichtloos'): "
            "the bot answers the need and adds one safety line with this rule's first service.",
        ),
        Field(
            "first",
            "bool",
            "When this rule fires, its services lead, whatever other kind of emergency the "
            "message also looks like (a body in danger: 112 first).",
        ),
    ),
)

def _examples_file(name: str, description: str, labels: str) -> Field:
    """A file of messages under labels, for one of the learned models."""
    return Field(
        name,
        "object",
        description,
        fields=(
            Field(
                "examples",
                "dict",
                labels,
                required=True,
                item=Field("messages", "list", "Messages.", item=Field("item", "text", "")),
            ),
        ),
    )


CRISIS_EXAMPLES_FILE = _examples_file(
    "crisis-examples-file",
    "Messages residents wrote, each under the crisis rule it is (or under `none`): the learned "
    "safety net under the rules learns from them how emergencies are put into words.",
    "A crisis rule id, or none for messages that are no emergency -> messages.",
)

ROUTE_EXAMPLES_FILE = _examples_file(
    "route-examples-file",
    "Messages residents wrote, each under a service that answers it (a message several places "
    "answer stands under each): the learned router learns from them how needs are put into "
    "words.",
    "A service id -> messages.",
)

CRISIS_FILE = Field(
    "crisis-file",
    "object",
    "Crisis rules.",
    fields=(
        Field("crisis", "list", "The rules.", required=True, item=CRISIS_RULE, min_items=1),
        texts(
            "required_services",
            "Emergency lines that must always exist in the knowledge base.",
            required=True,
            min_items=1,
        ),
        texts(
            "not_typos",
            "Ordinary words that look like a typo of an emergency word but are not "
            "(gestolen is not gestoken).",
        ),
        texts(
            "people",
            "Names of concepts (under concepts:) that name a person or home: a message made "
            "only of them says nothing yet about danger, so the learned safety net gives no "
            "opinion on it.",
        ),
        Field(
            "concepts",
            "dict",
            "Named groups of words and phrases, per language, that rules use as '@name': "
            "the means, the signs and the people of a situation.",
            item=Field(
                "concept",
                "object",
                "Words per language.",
                fields=tuple(
                    Field(lang, "list", f"In {lang}.", item=Field("item", "text", ""))
                    for lang in LANGUAGES
                ),
            ),
        ),
        per_language(
            "distance",
            "Words that put one alarming signal at a distance: the past, a story, a course, a "
            "question asked to be ready ('vorig jaar', 'hoe herken je'). Like `unless`, for "
            "every rule.",
            _LOCAL_TEXTS,
            required_nl=False,
        ),
        per_language(
            "frames",
            "Words that put the whole message in a story, a course or a joke ('film', 'cursus', "
            "'haha'): they silence every alarming signal, unless a `now` word is there too.",
            _LOCAL_TEXTS,
            required_nl=False,
        ),
        per_language(
            "now",
            "Words that say it is happening now ('nu', 'weer'): `distance` then silences nothing.",
            _LOCAL_TEXTS,
            required_nl=False,
        ),
        per_language(
            "calm",
            "Words that say it is not urgent now ('niet dringend'): an emergency rule then only "
            "adds a safety line to the ordinary answer.",
            _LOCAL_TEXTS,
            required_nl=False,
        ),
    ),
)

TEXTS_FILE = Field(
    "texts-file",
    "object",
    "Everything the bot says, in one language.",
    fields=(
        Field(
            "texts",
            "dict",
            "Text id to sentence; {name} marks a value filled in by the bot.",
            required=True,
            item=Field("item", "text", ""),
        ),
    ),
)

ABOUT_FILE = Field(
    "about-file",
    "object",
    "About this bot and the district partnership.",
    fields=(
        per_language(
            "about",
            "Shown by /help and the 'about' button.",
            _LOCAL_TEXT,
            required_nl=True,
            required=True,
        ),
        texts(
            "sources",
            "Where the about text comes from.",
            required=True,
            min_items=1,
            check=formats.source_url_problem,
        ),
        text("checked", "When it was last checked.", required=True, check=formats.checked_problem),
    ),
)


# --------------------------------------------------------------------------- validation


@dataclass
class Validation:
    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int | None, path: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, line, path, message, hint))


def validate(spec: Field, value: Any, file: str) -> tuple[Any, list[Problem]]:
    """Check `value` against `spec`; return it with texts normalised, and the problems."""
    result = Validation(file)
    clean = _validate(spec, value, "", getattr(value, "line", 1), result)
    return clean, result.problems


def _wrong_shape(spec: Field, line: int, path: str, out: Validation) -> None:
    out.add(line, path, f"should be {_describe(spec.kind)}", spec.hint)


def _describe(kind: str) -> str:
    return {
        "text": "a piece of text",
        "number": "a number",
        "bool": "true or false",
        "list": "a list (lines starting with '- ')",
        "object": "a block of 'key: value' lines",
        "dict": "a block of 'key: value' lines",
    }[kind]


def _validate(spec: Field, value: Any, path: str, line: int, out: Validation) -> Any:
    if spec.kind == "text":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            out.add(line, path, f"should be {_describe('text')}")
            return None
        value = str(value).strip()
        if not value:
            out.add(line, path, "is empty")
            return None
        if spec.pattern and not re.match(spec.pattern, value):
            out.add(
                line,
                path,
                f"'{value}' is not allowed here",
                "use lowercase letters, digits and '-' only",
            )
            return None
        if spec.max_length and len(value) > spec.max_length:
            out.add(line, path, f"'{value}' is longer than {spec.max_length} characters")
            return None
        if spec.choices and value not in spec.choices:
            out.add(line, path, f"'{value}' is not one of {', '.join(spec.choices)}")
            return None
        if spec.check and (problem := spec.check(value)):
            out.add(line, path, problem)
            return None
        return value
    if spec.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int):
            out.add(line, path, f"should be {_describe('number')}")
            return None
        if spec.choices and str(value) not in spec.choices:
            out.add(line, path, f"'{value}' is not one of {', '.join(spec.choices)}")
            return None
        return value
    if spec.kind == "bool":
        if not isinstance(value, bool):
            out.add(line, path, f"should be {_describe('bool')}")
            return None
        return value
    if spec.kind == "list":
        if spec.one_or_many and isinstance(value, str | int) and not isinstance(value, bool):
            value = LineList([value])
            value.line, value.item_lines = line, [line]
        if not isinstance(value, list):
            out.add(line, path, f"should be {_describe('list')}")
            return None
        assert spec.item is not None
        items = []
        for index, item in enumerate(value):
            item_line = value.line_of(index) if isinstance(value, LineList) else line
            item_path = path
            if spec.item.kind == "object":
                # Name an entry by its id where it has one: "buurtteam-oost.contact.phone".
                item_id = item.get("id") if isinstance(item, dict) else None
                named = isinstance(item_id, str) and re.match(SLUG, item_id)
                item_path = item_id if named else f"{path}[{index + 1}]"
            clean = _validate(spec.item, item, item_path, item_line, out)
            if clean is not None:
                items.append(clean)
        if len(value) < spec.min_items:
            out.add(line, path, f"needs at least {spec.min_items} item(s), has {len(value)}")
        return items
    if spec.kind == "dict":
        if not isinstance(value, dict):
            out.add(line, path, f"should be {_describe('dict')}")
            return None
        assert spec.item is not None
        clean_map = {}
        for key, item in value.items():
            key_line = value.line_of(key) if isinstance(value, LineDict) else line
            clean = _validate(spec.item, item, f"{path}.{key}" if path else key, key_line, out)
            if clean is not None:
                clean_map[str(key).strip()] = clean
        return clean_map
    # object
    if not isinstance(value, dict):
        _wrong_shape(spec, line, path, out)
        return None
    known = {f.name: f for f in spec.fields}
    clean_obj: dict[str, Any] = {"_line": getattr(value, "line", line)}
    for key, item in value.items():
        key_line = value.line_of(key) if isinstance(value, LineDict) else line
        child_path = f"{path}.{key}" if path else key
        if key not in known:
            guess = process.extractOne(key, list(known), score_cutoff=70)
            hint = f"did you mean '{guess[0]}'?" if guess else f"known: {', '.join(known)}"
            out.add(key_line, child_path, "unknown field", hint)
            continue
        clean_obj[key] = _validate(known[key], item, child_path, key_line, out)
    for name, child in known.items():
        if child.required and name not in value:
            out.add(
                getattr(value, "line", line),
                f"{path}.{name}" if path else name,
                "is missing",
                child.doc,
            )
    return clean_obj


# --------------------------------------------------------------------------- JSON Schema


def json_schema(spec: Field, title: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for one kind of knowledge file."""
    schema = _json(spec)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


def _json(spec: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"description": spec.doc} if spec.doc else {}
    if spec.kind == "text":
        # YAML reads 112 or 3524 as numbers; the loader accepts them, so the editor must too.
        out["type"] = "string" if spec.pattern or spec.choices else ["string", "integer"]
        if spec.pattern:
            out["pattern"] = spec.pattern
        if spec.max_length:
            out["maxLength"] = spec.max_length
        if spec.choices:
            out["enum"] = list(spec.choices)
    elif spec.kind == "number":
        out["type"] = "integer"
        if spec.choices:
            out["enum"] = [int(c) for c in spec.choices]
    elif spec.kind == "bool":
        out["type"] = "boolean"
    elif spec.kind == "list":
        assert spec.item is not None
        as_list: dict[str, Any] = {"type": "array", "items": _json(spec.item)}
        if spec.min_items:
            as_list["minItems"] = spec.min_items
        if spec.one_or_many:
            out["anyOf"] = [_json(spec.item), as_list]
        else:
            out.update(as_list)
    elif spec.kind == "dict":
        assert spec.item is not None
        out["type"] = "object"
        out["additionalProperties"] = _json(spec.item)
    else:
        out["type"] = "object"
        out["properties"] = {f.name: _json(f) for f in spec.fields}
        out["additionalProperties"] = False
        required = [f.name for f in spec.fields if f.required]
        if required:
            out["required"] = required
    return out


_WORDS = Field("words", "list", "Words and phrases.", item=Field("item", "text", ""))

TRANSLATIONS_FILE = Field(
    "translations-file",
    "object",
    "Everything of one resident language (tr, ar, pl, uk) beside the bot's texts: a summary of "
    "each place and the words of emergencies. The file name is the language.",
    fields=(
        Field(
            "summaries",
            "dict",
            "Service id -> one sentence: what the place does, a faithful translation of the "
            "first sentence of its Dutch description. The place's name stays as it is.",
            item=Field("item", "text", ""),
        ),
        Field(
            "crisis",
            "object",
            "Emergency words in this language, added to knowledge/crisis.yaml.",
            fields=(
                Field(
                    "concepts",
                    "dict",
                    "Concept name from crisis.yaml -> words and phrases in this language.",
                    item=_WORDS,
                ),
                Field(
                    "phrases",
                    "dict",
                    "Crisis rule id -> phrases in this language that signal it.",
                    item=_WORDS,
                ),
                Field(
                    "unless",
                    "dict",
                    "Crisis rule id -> words in this language that make one signal harmless.",
                    item=_WORDS,
                ),
                Field("calm", "list", "Words that say it is not urgent now.", item=_WORDS.item),
                Field("distance", "list", "The past, a story, a course.", item=_WORDS.item),
                Field("now", "list", "It is happening now.", item=_WORDS.item),
            ),
        ),
    ),
)

SCHEMAS: dict[str, tuple[Field, str]] = {
    "services": (SERVICES_FILE, "Routewijzer services file (knowledge/services/*.yaml)"),
    "areas": (AREAS_FILE, "Routewijzer areas (knowledge/areas.yaml)"),
    "themes": (THEMES_FILE, "Routewijzer themes (knowledge/themes.yaml)"),
    "audiences": (AUDIENCES_FILE, "Routewijzer audiences (knowledge/audiences.yaml)"),
    "synonyms": (SYNONYMS_FILE, "Routewijzer synonyms (knowledge/synonyms.yaml)"),
    "crisis": (CRISIS_FILE, "Routewijzer crisis rules (knowledge/crisis.yaml)"),
    "crisis_examples": (
        CRISIS_EXAMPLES_FILE,
        "Routewijzer crisis examples (knowledge/crisis_examples.yaml)",
    ),
    "route_examples": (
        ROUTE_EXAMPLES_FILE,
        "Routewijzer route examples (knowledge/route_examples.yaml)",
    ),
    "texts": (TEXTS_FILE, "Routewijzer texts (knowledge/texts/*.yaml)"),
    "about": (ABOUT_FILE, "Routewijzer about text (knowledge/about.yaml)"),
    "translations": (
        TRANSLATIONS_FILE,
        "Routewijzer resident language (knowledge/translations/*.yaml)",
    ),
}
