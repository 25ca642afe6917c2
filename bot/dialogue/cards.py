"""The answer card: one service as a resident reads it, in their language.

Says less rather than something wrong: a field the knowledge lacks is left out, and old
facts carry a warning with their year.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.dialogue.texts import Texts
from bot.knowledge.hours import AMSTERDAM, open_state
from bot.knowledge.model import Contact, KnowledgeBase, Service
from bot.knowledge.schema import CHANNELS
from bot.matching.matcher import Hit
from bot.matching.text import STOP_WORDS, WEAK_WORDS, tokens

OLD_AFTER_DAYS = 2 * 365


def opening_lines(service: Service, now: datetime, say: Texts) -> list[str]:
    """One line per way in whose hours are known now, saying which way in it is about.

    'Telefonisch bereikbaar tot 17:00' and 'Langsgaan kan tot 17:00' may differ for one place;
    a way in whose hours are silent now (a holiday marked `PH unknown`) gets no line at all.
    """
    local_now = now.astimezone(AMSTERDAM) if now.tzinfo else now
    lines = []
    for channel in CHANNELS:
        expression = service.opening_hours.get(channel)
        if not expression:
            continue
        state = open_state(expression, now)
        if state.unknown:
            continue
        if state.always:
            lines.append(say(f"hours_always_{channel}"))
            continue
        if state.change is None:
            if not state.open:
                lines.append(say(f"hours_closed_{channel}"))
            continue
        day = _day_name(state.change.date(), local_now.date(), say)
        time = f"{state.change.hour}:{state.change.minute:02d}"
        if not state.open:
            lines.append(say(f"hours_closed_next_{channel}", day=day, time=time))
        elif state.change.date() == local_now.date():
            lines.append(say(f"hours_open_until_{channel}", time=time))
        else:
            lines.append(say(f"hours_open_until_day_{channel}", day=day, time=time))
    return lines


def _day_name(day: date, today: date, say: Texts) -> str:
    if day == today:
        return say("day_today")
    if day == today + timedelta(days=1):
        return say("day_tomorrow")
    return say(f"day_{day.weekday()}")


def is_old(service: Service, today: date) -> bool:
    """Facts of unknown age, or older than two years, may no longer be true."""
    checked = service.checked_on
    return checked is None or (today - checked).days > OLD_AFTER_DAYS


def freshness_line(
    service: Service,
    today: date,
    say: Texts,
    old_key: str = "card_old_data",
    unknown_key: str = "card_unknown_date",
    check: str = "",
) -> str | None:
    """A warning with the year when facts are old or undated; None when they are recent.

    `check` says how to verify with what the card offers (see `how_to_check`). The printed
    Meterkastkaart passes its own (shorter) text keys, so chat and paper warn alike.
    """
    checked = service.checked_on
    if checked is None:
        return say(unknown_key, check=check)
    if is_old(service, today):
        return say(old_key, year=checked.year, check=check)
    return None


def how_to_check(kb: KnowledgeBase, service: Service, say: Texts) -> str:
    """How a resident verifies old facts, naming only what this card offers."""
    contact = service.contact
    if contact.phones and contact.website:
        return say("check_phone_or_website")
    if contact.phones:
        return say("check_phone")
    if contact.website:
        return say("check_website")
    if contact.email:
        return say("check_email")
    if contact.address:
        return say("check_visit")
    door = kb.services.get(service.front_door or "")
    return say("check_front_door", door=door.name) if door else ""


def _first_way_in(contact: Contact, say: Texts) -> str | None:
    """The one way to reach a front door that fits on a line: phone, website, address, e-mail."""
    if contact.phones:
        return say("card_phone", phone=" / ".join(contact.phones))
    if contact.website:
        return say("card_website", website=contact.website)
    if contact.address:
        return say("card_address", address=contact.address)
    if contact.email:
        return say("card_email", email=contact.email)
    return None


def front_door_line(kb: KnowledgeBase, service: Service, say: Texts) -> str | None:
    """'Bereikbaar via Buurtteams Utrecht: 🌐 …' for a place reached through another."""
    door = kb.services.get(service.front_door or "")
    way = _first_way_in(door.contact, say) if door else None
    if door is None or way is None:
        return None
    return say("card_front_door", door=door.name, way=way)


def reasons(
    kb: KnowledgeBase,
    service: Service,
    hits: tuple[Hit, ...],
    area: str | None,
    theme: str | None,
    say: Texts,
    never_quote: frozenset[str] = frozenset(),
) -> str | None:
    """Why this place, in words the resident can check: only what they wrote themselves
    ("je schreef ‘schulden’"), or the need it stands for when they wrote it otherwise ("je
    vroeg naar schulden"), and only words that say what this place is for. Never a stop word,
    a number, a place or person ("Lunetten", "man": the district and audience say those), nor
    a word of danger or loss (`never_quote`): a resident should not see "‘overleden’" echoed."""
    parts = []
    wrote, asked = _why_words(service, hits, never_quote)
    if wrote:
        parts.append(say("why_words", words=", ".join(f"‘{w}’" for w in wrote[:3])))
    elif asked:
        parts.append(say("why_asked", words=", ".join(asked[:2])))
    if theme and theme in kb.themes:
        parts.append(say("why_theme", theme=kb.themes[theme].label(say.lang)))
    if area and area in service.areas and kb.areas[area].kind == "district":
        parts.append(say("why_area_district", area=kb.areas[area].label(say.lang)))
    elif any(kb.areas.get(a) and kb.areas[a].kind == "city" for a in service.areas):
        parts.append(say("why_area_city"))
    elif any(kb.areas.get(a) and kb.areas[a].kind == "country" for a in service.areas):
        parts.append(say("why_area_country"))
    return say("card_why", reasons="; ".join(parts)) if parts else None


_QUOTED_HOW = ("exact", "phrase", "compound")  # the resident's own word met the knowledge's


def need_words(
    service: Service, hits: tuple[Hit, ...], never_quote: frozenset[str] = frozenset()
) -> list[tuple[str, tuple[int, ...]]]:
    """The words that say what the resident asked this place for, each with where it stands
    in the message: the ones the "why" line may quote, and nothing else. A second need's
    button ("Ook: schulden") is named by the first of them; a place found only by "Lunetten",
    "week" or "dood" answers no second need."""
    wrote, asked = _why_words(service, hits, never_quote)
    named = set(wrote) | set(asked)
    found: list[tuple[str, tuple[int, ...]]] = []
    for hit in hits:
        word = hit.word if hit.word in named else hit.keyword if hit.keyword in named else None
        if word and all(word != w for w, _ in found):
            found.append((word, hit.at))
    return found


def _why_words(
    service: Service, hits: tuple[Hit, ...], never_quote: frozenset[str]
) -> tuple[list[str], list[str]]:
    """(words the resident wrote, needs they asked for) that explain this service."""
    own = {w for text in (service.name, *_all_keywords(service)) for w in tokens(text)}

    def says_need(words: list[str]) -> bool:
        return bool(words) and all(
            w not in STOP_WORDS and w not in WEAK_WORDS and w not in never_quote
            and not w.isdigit() and len(w) > 2
            for w in words
        )

    wrote: list[str] = []
    asked: list[str] = []
    for hit in hits:
        keyword = tokens(hit.keyword)
        if not says_need(keyword) or not set(keyword) <= own:
            continue  # a word of a description or an example explains nothing to a resident
        typed = tokens(hit.word)
        if hit.word and hit.how in _QUOTED_HOW and says_need(typed):
            if hit.word not in wrote:
                wrote.append(hit.word)
        elif hit.keyword not in asked:
            asked.append(hit.keyword)
    return wrote, asked


def _all_keywords(service: Service) -> list[str]:
    return [k for words in service.keywords.values() for k in words]


def service_card(
    kb: KnowledgeBase,
    service: Service,
    now: datetime,
    say: Texts,
    why: str | None = None,
    compact: bool = False,
    short: bool = False,
) -> str:
    """The card's body (the service name is the title).

    Every card offers a way to act: the place's own phone, address, website or e-mail, or its
    front door. Only resident texts in the card's language appear; `notes` never do.
    `compact` is the card in a list of places; `short` leaves the description out, so a list
    of places to call still fits one phone screen.
    """
    lines = [] if short else [service.describe(say.lang)]
    contact = service.contact
    if contact.phones:
        lines.append(say("card_phone", phone=" / ".join(contact.phones)))
    # "Nu open" from hours seen years ago could send someone to a closed door: for old
    # facts the card gives the note in plain words and the year instead.
    hours = [] if is_old(service, now.date()) else opening_lines(service, now, say)
    lines += hours
    door = front_door_line(kb, service, say)
    if compact:
        if not contact.phones:
            lines.append(_first_way_in(contact, say) or door or "")
        return "\n".join(line for line in lines if line)
    if contact.address:
        lines.append(say("card_address", address=contact.address))
    if contact.website:
        lines.append(say("card_website", website=contact.website))
    if contact.email:
        lines.append(say("card_email", email=contact.email))
    if door:
        lines.append(door)
    note = service.hours_note(say.lang)
    if note and not hours:
        lines.append(say("card_hours_note", note=note))
    cost = service.cost_text(say.lang)
    if cost:
        lines.append(say("card_cost", cost=cost))
    if why:
        lines.append(why)
    fresh = freshness_line(service, now.date(), say, check=how_to_check(kb, service, say))
    if fresh:
        lines.append(fresh)
    return "\n".join(lines)
