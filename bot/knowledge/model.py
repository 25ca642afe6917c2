"""The knowledge base as plain, immutable data: what every other layer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.knowledge.formats import checked_date


@dataclass(frozen=True)
class Contact:
    phones: tuple[str, ...] = ()
    email: str | None = None
    website: str | None = None
    address: str | None = None

    @property
    def any(self) -> bool:
        """Whether a resident can act on it: something to call, visit, open or write to."""
        return bool(self.phones or self.email or self.website or self.address)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    description: dict[str, str]
    themes: tuple[str, ...]
    areas: tuple[str, ...]
    audience: tuple[str, ...]
    keywords: dict[str, tuple[str, ...]]
    examples: dict[str, tuple[str, ...]]
    sources: tuple[str, ...]
    checked: str
    contact: Contact = Contact()
    urgent: bool = False
    # Way in (phone, walk_in, chat) -> OpenStreetMap opening_hours of that way in.
    opening_hours: dict[str, str] = field(default_factory=dict)
    # Resident texts per language; maintainers' doubts and sources live in `notes` only.
    opening_hours_note: dict[str, str] = field(default_factory=dict)
    cost: dict[str, str] = field(default_factory=dict)
    front_door: str | None = None
    card: int | None = None
    notes: str | None = None
    file: str = ""
    line: int = 0
    # One sentence per resident language (tr, ar, pl, uk) from knowledge/translations/.
    summary: dict[str, str] = field(default_factory=dict)

    def describe(self, lang: str) -> str:
        return self.description.get(lang) or self.summary.get(lang) or self.description["nl"]

    def hours_note(self, lang: str) -> str | None:
        return self.opening_hours_note.get(lang) or self.opening_hours_note.get("nl")

    def cost_text(self, lang: str) -> str | None:
        return self.cost.get(lang) or self.cost.get("nl")

    @property
    def checked_on(self) -> date | None:
        return checked_date(self.checked)


@dataclass(frozen=True)
class Area:
    id: str
    name: dict[str, str]
    kind: str
    within: str | None = None
    postcodes: frozenset[str] = frozenset()
    probable_postcodes: frozenset[str] = frozenset()
    neighbourhoods: tuple[str, ...] = ()
    front_doors: tuple[str, ...] = ()
    talk_now: tuple[str, ...] = ()
    after_hours: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.name.get(lang) or self.name["nl"]

    @property
    def place_names(self) -> tuple[str, ...]:
        """Every name a resident may use for this area: neighbourhoods, its names, its id."""
        return (*self.neighbourhoods, *self.name.values(), self.id)


@dataclass(frozen=True)
class Theme:
    id: str
    name: dict[str, str]
    emoji: str = ""

    def label(self, lang: str) -> str:
        name = self.name.get(lang) or self.name["nl"]
        return f"{self.emoji} {name}".strip()


@dataclass(frozen=True)
class Audience:
    id: str
    name: dict[str, str]
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ask: bool = False

    def label(self, lang: str) -> str:
        return self.name.get(lang) or self.name["nl"]


@dataclass(frozen=True)
class CrisisRule:
    id: str
    services: tuple[str, ...]
    phrases: dict[str, tuple[str, ...]]
    unless: dict[str, tuple[str, ...]] = field(default_factory=dict)
    audience: tuple[str, ...] = ()
    situations: tuple[str, ...] = ()
    possible: tuple[str, ...] = ()
    first: bool = False  # its services lead whenever it fires


@dataclass(frozen=True)
class KnowledgeBase:
    services: dict[str, Service]
    areas: dict[str, Area]
    themes: dict[str, Theme]
    audiences: dict[str, Audience]
    synonyms: dict[str, dict[str, tuple[str, ...]]]
    crisis: tuple[CrisisRule, ...]
    texts: dict[str, dict[str, str]]
    about: dict[str, str]
    directory: str = ""
    crisis_not_typos: tuple[str, ...] = ()
    # crisis.yaml's required_services, most important first: the lines that must always exist.
    emergency_services: tuple[str, ...] = ()
    # crisis.yaml's concepts (name -> language -> words) and its calm words per language.
    crisis_concepts: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # crisis.yaml's `people`: the concepts that name a person; alone they say nothing of danger.
    crisis_people: tuple[str, ...] = ()
    crisis_calm: dict[str, tuple[str, ...]] = field(default_factory=dict)
    crisis_distance: dict[str, tuple[str, ...]] = field(default_factory=dict)
    crisis_now: dict[str, tuple[str, ...]] = field(default_factory=dict)
    crisis_frames: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # crisis_examples.yaml: rule id (or "none") -> messages the learned safety net learns from.
    crisis_examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # route_examples.yaml: service id -> messages residents wrote that this place answers.
    route_examples: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.texts)

    def area_chain(self, area_id: str) -> list[str]:
        """The area and everything it lies in: zuid -> [zuid, utrecht, nederland]."""
        chain: list[str] = []
        current: str | None = area_id
        while current and current not in chain and current in self.areas:
            chain.append(current)
            current = self.areas[current].within
        return chain

    def serves(self, service: Service, area_id: str | None) -> bool:
        """Whether a resident of `area_id` can go to `service` (unknown area: every service)."""
        if area_id is None:
            return True
        chain = self.area_chain(area_id)
        return any(area in chain for area in service.areas)

    def districts(self) -> list[Area]:
        return [a for a in self.areas.values() if a.kind == "district"]
