"""The Meterkastkaart: a printable card with a district's key places, for people without the bot.

Two A5 pages, printed front and back. The front has the emergency lines (crisis.yaml's
`required_services`) and a QR code that opens the bot with the district preset; the back has,
per routewijzer theme, the few key places for the district with phone number and address.

Which places appear is data, not code: services with `card: 1`, `2` or `3` that serve the
district (its own, city-wide, or national lines), best priority first and, at equal priority,
the district's own before city-wide before national. Each place appears once, under the first
of its own themes that still has room (at most MAX_PLACES_PER_THEME), so a service listed
under four themes does not fill the card four times. Every sentence comes from the knowledge
texts (`card_print_*`); old facts carry their year, as in the bot.

The card's HTML carries a small script that, in the browser, moves theme sections from the
back to the front while the back is too full, and then marks any page whose content still
does not fit (`data-overflow`) and any text smaller than 12pt (`data-small-text`), so
`bot.sharing.browser.check_layout` and the tests can tell a card that prints well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.dialogue.cards import freshness_line
from bot.dialogue.texts import RIGHT_TO_LEFT, Texts
from bot.knowledge.model import KnowledgeBase, Service
from bot.sharing.links import DeepLink, WebLink, qr_svg_inline

MAX_PLACES_PER_THEME = 4
CARD_PRIORITIES = (1, 2, 3)
TEMPLATE = "meterkastkaart.html.j2"


@dataclass(frozen=True)
class CardPlace:
    """One entry on the card: who, how to reach them, and how old that is."""

    service_id: str
    name: str
    phones: tuple[str, ...]
    address: str | None
    # Only when there is no phone: a place on paper needs some way to reach it.
    website: str | None
    age: str | None
    # 0 = most important. When the printing browser finds the card too full, it leaves off
    # the highest rank first (see the template's script).
    rank: int = 0


@dataclass(frozen=True)
class CardSection:
    theme_id: str
    title: str
    places: tuple[CardPlace, ...]


@dataclass(frozen=True)
class CardContent:
    """Everything printed on one district's card, in one language."""

    area_id: str
    lang: str
    link: DeepLink | WebLink  # what the QR code opens
    emergency: tuple[CardPlace, ...]
    sections: tuple[CardSection, ...]
    # Services with `card:` that serve the district but are not on it; maintainers should know.
    no_room: tuple[str, ...] = ()  # their themes already had MAX_PLACES_PER_THEME places
    unreachable: tuple[str, ...] = ()  # no phone, address or website: nothing to print
    # With the web chat in the QR code, the Telegram link printed beside it (if there is a bot).
    beside: DeepLink | None = None

    @property
    def service_ids(self) -> list[str]:
        """Every service printed on the card, emergency lines first."""
        return [p.service_id for p in self.emergency] + [
            p.service_id for s in self.sections for p in s.places
        ]


@dataclass(frozen=True)
class Selection:
    """Which services with `card:` go on a district's card, and why the others do not."""

    by_theme: dict[str, list[Service]]  # themes.yaml order, best first; empty themes left out
    ranked: list[Service]  # the same services, most important first
    no_room: list[Service]
    unreachable: list[Service]


def select_places(kb: KnowledgeBase, area_id: str) -> Selection:
    """The key places for `area_id`: see the module docstring for the rules."""
    chain = kb.area_chain(area_id)
    emergency = set(kb.emergency_services)

    def specificity(service: Service) -> int:
        return min(chain.index(a) for a in service.areas if a in chain)

    candidates = sorted(
        (
            s
            for s in kb.services.values()
            if s.card in CARD_PRIORITIES and s.id not in emergency and kb.serves(s, area_id)
        ),
        key=lambda s: (s.card, specificity(s), s.name.lower()),
    )
    by_theme: dict[str, list[Service]] = {theme_id: [] for theme_id in kb.themes}
    ranked: list[Service] = []
    no_room: list[Service] = []
    unreachable: list[Service] = []
    for service in candidates:
        contact = service.contact
        if not (contact.phones or contact.address or contact.website):
            unreachable.append(service)
            continue
        room = [
            t for t in service.themes if t in by_theme and len(by_theme[t]) < MAX_PLACES_PER_THEME
        ]
        if room:
            by_theme[room[0]].append(service)
            ranked.append(service)
        else:
            no_room.append(service)
    return Selection(
        {t: places for t, places in by_theme.items() if places}, ranked, no_room, unreachable
    )


def _place(service: Service, say: Texts, today: date, rank: int = 0) -> CardPlace:
    contact = service.contact
    website = None
    if not contact.phones and contact.website:
        website = contact.website.removeprefix("https://").removeprefix("www.").rstrip("/")
    return CardPlace(
        service_id=service.id,
        name=service.name,
        phones=contact.phones,
        address=contact.address,
        website=website,
        age=freshness_line(
            service, today, say, "card_print_old_data", "card_print_unknown_date"
        ),
        rank=rank,
    )


def build_card(
    kb: KnowledgeBase,
    area_id: str,
    lang: str,
    link: DeepLink | WebLink,
    today: date,
    beside: DeepLink | None = None,
) -> CardContent:
    """The card's content for `area_id`; `today` decides which facts count as old. `link`
    is what the QR code opens; `beside` a Telegram link printed as text next to a web one."""
    say = Texts(kb, lang)
    selection = select_places(kb, area_id)
    rank = {s.id: index for index, s in enumerate(selection.ranked)}
    return CardContent(
        area_id=area_id,
        lang=say.lang,
        link=link,
        emergency=tuple(
            _place(kb.services[s], say, today) for s in kb.emergency_services if s in kb.services
        ),
        sections=tuple(
            CardSection(
                theme_id,
                kb.themes[theme_id].name.get(say.lang) or kb.themes[theme_id].name["nl"],
                tuple(_place(s, say, today, rank[s.id]) for s in places),
            )
            for theme_id, places in selection.by_theme.items()
        ),
        no_room=tuple(s.id for s in selection.no_room),
        unreachable=tuple(s.id for s in selection.unreachable),
        beside=beside,
    )


_environment = Environment(
    loader=PackageLoader("bot.sharing", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_card(kb: KnowledgeBase, card: CardContent, today: date) -> str:
    """The card as one self-contained HTML file: inline CSS, inline SVG QR code, no network."""
    say = Texts(kb, card.lang)
    area = kb.areas[card.area_id].label(card.lang)
    return _environment.get_template(TEMPLATE).render(
        card=card,
        say=say,
        area=area,
        rtl=card.lang in RIGHT_TO_LEFT,
        qr_svg=Markup(qr_svg_inline(card.link.url)),  # segno's own SVG: safe to embed as is
        link_text=card.link.url.removeprefix("https://"),
        # A phone camera opens a web link in the browser, a t.me link in Telegram: say which.
        bot_text_key="card_print_bot_text_web" if isinstance(card.link, WebLink)
        else "card_print_bot_text",
        beside_text=card.beside.url.removeprefix("https://") if card.beside else None,
        made_on=today.strftime("%d-%m-%Y"),
    )
