"""The conversation: (state, event) -> (new state, replies). No transport, no `telegram`.

Flow (see conversation.mmd beside this file):
greeting -> free text or theme -> at most three questions that change the answer
(district, for whom, urgency) -> the best place with up to two alternatives -> "did this
help?" Emergencies are checked first on every message. No path ends without a way on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.dialogue.cards import Texts, reasons, service_card
from bot.dialogue.payload import parse_payload
from bot.dialogue.state import FORGET_AFTER_DAYS, MAX_QUESTIONS, QUESTIONS, Conversation
from bot.dialogue.types import Button, Event, Outcome, Reply
from bot.knowledge.hours import AMSTERDAM
from bot.knowledge.model import KnowledgeBase, Service
from bot.matching.crisis import CrisisDetector
from bot.matching.matcher import MIN_SCORE, Candidate, Hit, Matcher, Ranked
from bot.matching.profile import Profile
from bot.matching.text import tokens

MAX_ALTERNATIVES = 2
STRONG_SHARE = 0.6  # candidates scoring at least this share of the best decide what to ask
MAX_THEME_SERVICES = 6
BUTTON_LABEL_LIMIT = 40

COMMANDS = {
    "start": "start",
    "opnieuw": "restart",
    "restart": "restart",
    "reset": "restart",
    "taal": "language",
    "language": "language",
    "help": "help",
    "hulp": "help",
    "over": "help",
    "about": "help",
    "privacy": "privacy",
}

_YES = {"ja", "yes", "jep", "jawel", "klopt", "ok", "oke", "y", "j"}
_NO = {"nee", "no", "nope", "n", "niet"}
_NOW = {"nu", "vandaag", "spoed", "dringend", "snel", "now", "today", "urgent", "asap", "direct"}
_LATER = {"wachten", "later", "morgen", "volgende", "week", "wait", "tomorrow", "niet dringend"}


class Engine:
    def __init__(
        self,
        kb: KnowledgeBase,
        matcher: Matcher | None = None,
        clock: Callable[[], datetime] | None = None,
        forget_after_days: float = FORGET_AFTER_DAYS,
    ):
        self.kb = kb
        self.forget_after_days = forget_after_days
        self.matcher = matcher or Matcher(kb)
        self.crisis = CrisisDetector(kb)
        self._crisis_rules = {rule.id: rule for rule in kb.crisis}
        # Words a "why" line never echoes: danger and loss, places and people.
        self._never_quote = (
            self.crisis.phrase_words
            | frozenset(w for name in self.matcher.profiles.place_names for w in name.split())
            | frozenset(w for key in self.matcher.profiles.audience_words for w in key.split())
        )
        self.clock = clock or (lambda: datetime.now(AMSTERDAM))

    # ------------------------------------------------------------------ entry point

    def handle(
        self, state: Conversation | None, event: Event, lang_hint: str | None = None
    ) -> Outcome:
        """Apply one resident event. `lang_hint` is the platform's language for new users."""
        if state is None:
            state = Conversation(lang=self.language_for(lang_hint))
        else:
            state = self._still_known(state.copy())  # the caller's state stays as it was
        say = Texts(self.kb, state.lang)
        if event.kind == "start":
            return self._start(state, event.value)
        if event.kind == "command":
            return self._command(state, event.value, event.argument)
        if event.kind == "button":
            return self._button(state, event.value)
        if event.kind == "unsupported":
            kind_key = f"kind_{event.value}" if f"kind_{event.value}" in say.table else "kind_other"
            return Outcome(
                state,
                [Reply(say("unsupported", kind=say(kind_key)), buttons=self._theme_buttons(say))],
            )
        outcome = self._text(state, event.value)
        # The resident's own words explain this turn's card ("je schreef ‘schulden’"); they are
        # not kept beyond it, in memory or on disk: later cards say "je vroeg naar schulden".
        outcome.state.candidates = [
            Candidate(c.service_id, c.score, tuple(Hit("", h.keyword, h.how) for h in c.hits))
            for c in outcome.state.candidates
        ]
        return outcome

    def _still_known(self, state: Conversation) -> Conversation:
        """Forget what the knowledge no longer has: a state saved before a /reload (or a
        damaged one) may name an area, group, theme or place that is gone."""
        if state.lang not in self.kb.texts:
            state.lang = "nl"
        if state.area not in self.kb.areas:
            state.area = None
        if state.probable_area not in self.kb.areas:
            state.probable_area = None
        if state.audience not in self.kb.audiences:
            state.audience = None
        if state.theme not in self.kb.themes:
            state.theme = None
        state.candidates = [c for c in state.candidates if c.service_id in self.kb.services]
        state.shown = [s for s in state.shown if s in self.kb.services]
        if state.safety not in self._crisis_rules:
            state.safety = None
        return state

    def language_for(self, hint: str | None) -> str:
        """The language for a new resident from their platform's language code."""
        code = (hint or "").lower()[:2]
        if code == "nl" or not hint:
            return "nl"
        return "en" if "en" in self.kb.texts else "nl"

    # ------------------------------------------------------------------ start & commands

    def _start(self, state: Conversation, payload: str) -> Outcome:
        """A (deep-link) start: 'oost', 'zuid-gezondheid', 'gezondheid' preset area and theme."""
        preset = parse_payload(self.kb, payload)
        area, theme = preset.area, preset.theme
        fresh = Conversation(
            lang=state.lang, lang_chosen=state.lang_chosen, area=area or state.area, audience=None
        )
        if area is None:
            fresh.area = None
        replies = [self._greeting(fresh, area)]
        if theme:
            outcome = self._choose_theme(fresh, theme)
            return Outcome(outcome.state, replies + outcome.replies)
        return Outcome(fresh, replies)

    def _greeting(self, state: Conversation, area: str | None) -> Reply:
        say = Texts(self.kb, state.lang)
        hello = (
            say("greeting_area", area=self.kb.areas[area].label(state.lang))
            if area
            else say("greeting")
        )
        text = "\n\n".join([hello, say("emergency_hint"), say("ask_describe")])
        return Reply(text, buttons=self._theme_buttons(say))

    def _command(self, state: Conversation, name: str, argument: str) -> Outcome:
        command = COMMANDS.get(name)
        say = Texts(self.kb, state.lang)
        if command == "start":
            return self._start(state, argument)
        if command == "restart":
            return self._start(state, "")
        if command == "language":
            if argument.lower()[:2] in self.kb.texts:
                return self._set_language(state, argument.lower()[:2])
            buttons = (
                (
                    Button(say("button_language_nl"), "l:nl"),
                    Button(say("button_language_en"), "l:en"),
                ),
            )
            return Outcome(state, [Reply(say("language_choose"), buttons=buttons)])
        if command == "help":
            about = self.kb.about.get(state.lang) or self.kb.about.get("nl", "")
            return Outcome(
                state,
                [
                    Reply(say("help")),
                    Reply(about, title=say("about_title"), buttons=self._theme_buttons(say)),
                ],
            )
        if command == "privacy":
            buttons = ((Button(say("button_forget"), "c:forget"),),)
            days = f"{self.forget_after_days:g}"
            return Outcome(state, [Reply(say("privacy", days=days), buttons=buttons)])
        return Outcome(state, [Reply(say("unknown_command"))])

    def _set_language(self, state: Conversation, lang: str) -> Outcome:
        state = replace(state, lang=lang, lang_chosen=True)
        say = Texts(self.kb, lang)
        return Outcome(
            state,
            [
                Reply(
                    say("language_set") + "\n\n" + say("ask_describe"),
                    buttons=self._theme_buttons(say),
                )
            ],
        )

    # ------------------------------------------------------------------ free text

    def _text(self, state: Conversation, text: str) -> Outcome:
        say = Texts(self.kb, state.lang)
        if not tokens(text):
            return Outcome(state, [Reply(say("ask_describe"), buttons=self._theme_buttons(say))])
        audience_in_text = self.matcher.profiles.audience(text)
        hit = self.crisis.detect(text)
        if hit and hit.certain:
            return self._crisis(state, hit.service_ids)
        outcome = self._answer_to_question(state, text)
        if outcome is None:
            outcome = self._new_need(state, text, audience_in_text)
        if hit:
            return self._with_safety_net(outcome, hit.rule_ids[0])
        return outcome

    def _with_safety_net(self, outcome: Outcome, rule_id: str) -> Outcome:
        """Words that may mean danger but need not: answer the need, and add one short line
        with the rule's first line and a way into the emergency reply. With no need found,
        the emergency reply itself is the answer: never only a list of ordinary places."""
        state = outcome.state
        services = self._crisis_rules[rule_id].services
        if outcome.tag == "no_match":
            return self._crisis(state, services)
        state.safety = rule_id
        say = Texts(self.kb, state.lang)
        line = next((self.kb.services[s] for s in services if s in self.kb.services), None)
        if line is None:
            return outcome
        phone = " / ".join(line.contact.phones)
        text = say("safety_line", service=line.name, phone=phone) if phone else say(
            "safety_line_no_phone", service=line.name
        )
        button = ((Button(say("button_in_danger"), f"d:{rule_id}"),),)
        return replace(outcome, replies=[*outcome.replies, Reply(text, buttons=button)])

    def _answer_to_question(self, state: Conversation, text: str) -> Outcome | None:
        """A typed answer to the question just asked; None when it is a new need instead."""
        words = set(tokens(text))
        if state.step == "area":
            mention = self.matcher.profiles.area(text, answering=True)
            if mention:
                return self._set_area(state, mention.area_id, mention.certain)
            if not self._has_need(text):
                return self._ask(state, "area", again=True)
        elif state.step == "area_confirm":
            if words & _YES:
                return self._set_area(state, state.probable_area, True)
            if words & _NO:
                return self._set_area(state, self._city_id(), True)
        elif state.step == "audience":
            audience = self.matcher.profiles.audience(text)
            if audience:
                state.audience = audience
                return self._next(state)
        elif state.step == "urgency":
            if words & _NOW or words & _YES:
                state.urgent = True
                return self._next(state)
            if words & _LATER or words & _NO:
                state.urgent = False
                return self._next(state)
        return None

    def _has_need(self, text: str) -> bool:
        return any(c.score >= MIN_SCORE for c in self.matcher.relevance(text))

    def _new_need(self, state: Conversation, text: str, audience: str | None) -> Outcome:
        say = Texts(self.kb, state.lang)
        mention = self.matcher.profiles.area(text)
        state.new_need()
        if mention and mention.certain:
            state.area = mention.area_id
        elif mention and state.area is None:
            state.probable_area = mention.area_id
        if audience:
            state.audience = audience
        place_words = mention.words if mention else frozenset()
        candidates = [c for c in self.matcher.relevance(text, place_words) if c.score >= MIN_SCORE]
        if not candidates:
            if mention and mention.certain:
                note = say("area_noted", area=self.kb.areas[mention.area_id].label(state.lang))
                return Outcome(
                    state,
                    [Reply(note + "\n\n" + say("ask_describe"), buttons=self._theme_buttons(say))],
                )
            return Outcome(state, self._no_match(state), tag="no_match")
        state.candidates = candidates  # with the resident's words, for this turn's card only
        return self._next(state)

    # ------------------------------------------------------------------ questions

    def _next(self, state: Conversation) -> Outcome:
        """Ask the next question that would change the answer, or answer."""
        if len(state.asked) < MAX_QUESTIONS:
            if state.area is None and state.probable_area and "area" not in state.asked:
                return self._ask(state, "area_confirm")
            for question in QUESTIONS:
                if question not in state.asked and self._would_change(state, question):
                    return self._ask(state, question)
        return self._answer(state)

    def _would_change(self, state: Conversation, question: str) -> bool:
        profile = state.profile
        # Only places the words really point at count: a weak match that would win for some
        # other group is no reason to ask.
        best = max((c.score for c in state.candidates), default=0.0)
        strong = [c for c in state.candidates if c.score >= STRONG_SHARE * best]
        if question == "area":
            if profile.area is not None:
                return False
            # Residents of the city are who the bot is for; someone from elsewhere says so.
            options = [
                Profile(a.id, profile.audience, profile.urgent)
                for a in self.kb.areas.values()
                if a.kind in ("district", "city")
            ]
        elif question == "audience":
            if profile.audience is not None or all(
                "iedereen" in self.kb.services[c.service_id].audience
                for c in strong
                if c.service_id in self.kb.services
            ):
                return False  # every place that fits is open to anyone: "for whom" changes nothing
            options = [
                Profile(profile.area, a.id, profile.urgent)
                for a in self.kb.audiences.values()
                if a.ask
            ]
        else:
            if profile.urgent is not None:
                return False
            top = self._ranked(state)[:3]
            if not any(r.service.urgent for r in top) or all(r.service.urgent for r in top):
                return False
            options = [Profile(profile.area, profile.audience, u) for u in (True, False)]
        tops = {self._best_id(strong, option) for option in options}
        return len(tops) > 1

    def _best_id(self, candidates: list[Candidate], profile: Profile) -> str | None:
        ranked = self.matcher.rank(candidates, profile)
        return ranked[0].service.id if ranked and ranked[0].serves_area else None

    def _ask(self, state: Conversation, question: str, again: bool = False) -> Outcome:
        say = Texts(self.kb, state.lang)
        asked = "area" if question == "area_confirm" else question
        if asked not in state.asked:
            state.asked.append(asked)
        state.step = question
        skip = Button(say("button_skip"), f"x:{asked}")
        if question == "area_confirm":
            area = self.kb.areas[state.probable_area].label(state.lang)
            buttons = (
                (
                    Button(say("button_yes"), f"a:{state.probable_area}"),
                    Button(say("button_no"), f"a:{self._city_id()}"),
                ),
            )
            return Outcome(
                state, [Reply(say("ask_area_confirm", area=area), buttons=buttons)], tag="question"
            )
        if question == "area":
            row = [Button(a.label(state.lang), f"a:{a.id}") for a in self.kb.districts()]
            other = [
                Button(say("button_other_city"), f"a:{self._city_id()}"),
                Button(say("button_outside"), f"a:{self._country_id()}"),
            ]
            text = say("ask_area_again") if again else say("ask_area")
            buttons = (tuple(row), tuple(other), (skip,))
            return Outcome(state, [Reply(text, buttons=buttons)], tag="question")
        if question == "audience":
            options = [
                Button(a.label(state.lang), f"w:{a.id}")
                for a in self.kb.audiences.values()
                if a.ask
            ]
            rows = tuple(tuple(options[i : i + 2]) for i in range(0, len(options), 2))
            return Outcome(
                state, [Reply(say("ask_audience"), buttons=(*rows, (skip,)))], tag="question"
            )
        buttons = (
            (Button(say("button_urgent_now"), "u:1"), Button(say("button_urgent_later"), "u:0")),
            (skip,),
        )
        return Outcome(state, [Reply(say("ask_urgency"), buttons=buttons)], tag="question")

    def _city_id(self) -> str:
        return next(a.id for a in self.kb.areas.values() if a.kind == "city")

    def _country_id(self) -> str:
        return next(a.id for a in self.kb.areas.values() if a.kind == "country")

    def _set_area(self, state: Conversation, area: str | None, certain: bool) -> Outcome:
        if area is None or area not in self.kb.areas:
            return self._ask(state, "area", again=True)
        if not certain:
            state.probable_area = area
            return self._ask(state, "area_confirm")
        state.area = area
        state.probable_area = None
        if "area" not in state.asked:
            state.asked.append("area")
        if not state.candidates:
            if state.theme:
                return self._choose_theme(state, state.theme)
            say = Texts(self.kb, state.lang)
            note = say("area_noted", area=self.kb.areas[area].label(state.lang))
            state.step = "idle"
            return Outcome(
                state,
                [Reply(note + "\n\n" + say("ask_describe"), buttons=self._theme_buttons(say))],
            )
        return self._next(state)

    # ------------------------------------------------------------------ answers

    def _ranked(self, state: Conversation) -> list[Ranked]:
        return self.matcher.rank(state.candidates, state.profile)

    def _answer(self, state: Conversation) -> Outcome:
        say = Texts(self.kb, state.lang)
        ranked = [r for r in self._ranked(state) if r.serves_area]
        if not ranked:
            return Outcome(state, self._no_match(state), tag="no_match")
        if state.theme:
            return Outcome(state, [self._theme_list(state, ranked)], tag="theme")
        best = ranked[0]
        state.step = "answered"
        state.shown = [best.service.id]
        return Outcome(
            state, [self._card(state, best.service, best.hits, ranked[1:], say)], tag="answer"
        )

    def _card(
        self,
        state: Conversation,
        service: Service,
        hits: tuple[Hit, ...],
        others: list[Ranked],
        say: Texts,
    ) -> Reply:
        why = reasons(self.kb, service, hits, state.area, state.theme, say, self._never_quote)
        body = service_card(self.kb, service, self.clock(), say, why)
        alternatives = [r.service for r in others if r.service.id not in state.shown]
        rows: list[tuple[Button, ...]] = [
            (Button(_short(s.name), f"s:{s.id}"),) for s in alternatives[:MAX_ALTERNATIVES]
        ]
        if rows:
            body += "\n\n" + say("alternatives")
        body += "\n\n" + say("ask_feedback")
        rows.append((Button(say("button_helped"), "f:yes"), Button(say("button_other"), "f:other")))
        rows.append((Button(say("button_person"), "f:person"),))
        return Reply(body, title=service.name, buttons=tuple(rows))

    def _no_match(self, state: Conversation) -> list[Reply]:
        say = Texts(self.kb, state.lang)
        state.step = "idle"
        doors = self._front_doors(state)
        text = say("no_match") + "\n\n" + self._door_list(doors, say)
        text += "\n\n" + say("no_match_try", examples=say("search_examples"))
        return [Reply(text, buttons=self._door_buttons(doors) + self._theme_buttons(say))]

    def _front_doors(self, state: Conversation) -> list[Service]:
        chain = self.kb.area_chain(state.area) if state.area else [self._city_id()]
        for area_id in chain:
            doors = [
                self.kb.services[s]
                for s in self.kb.areas[area_id].front_doors
                if s in self.kb.services
            ]
            if doors:
                return doors
        return []

    def _door_list(self, doors: list[Service], say: Texts) -> str:
        return "\n\n".join(
            f"{s.name}\n{service_card(self.kb, s, self.clock(), say, compact=True)}" for s in doors
        )

    def _door_buttons(self, doors: list[Service]) -> tuple[tuple[Button, ...], ...]:
        return tuple((Button(_short(s.name), f"s:{s.id}"),) for s in doors)

    def _crisis(self, state: Conversation, service_ids: tuple[str, ...]) -> Outcome:
        say = Texts(self.kb, state.lang)
        state.step = "idle"
        services = [self.kb.services[s] for s in service_ids if s in self.kb.services]
        text = say("crisis_intro") + "\n\n" + self._door_list(services, say)
        text += "\n\n" + say("crisis_more")
        buttons = ((Button(say("button_continue"), "f:other"),),)
        return Outcome(state, [Reply(text, buttons=buttons)], tag="crisis")

    # ------------------------------------------------------------------ themes

    def _theme_buttons(self, say: Texts) -> tuple[tuple[Button, ...], ...]:
        themes = [Button(t.label(say.lang), f"t:{t.id}") for t in self.kb.themes.values()]
        return tuple(tuple(themes[i : i + 2]) for i in range(0, len(themes), 2))

    def _choose_theme(self, state: Conversation, theme: str) -> Outcome:
        state.new_need()
        state.theme = theme
        state.candidates = [
            Candidate(s.id, _theme_score(s), ())
            for s in self.kb.services.values()
            if theme in s.themes and not s.urgent
        ]
        if state.area is None:
            return self._ask(state, "area")
        return self._answer(state)

    def _theme_list(self, state: Conversation, ranked: list[Ranked]) -> Reply:
        say = Texts(self.kb, state.lang)
        theme = self.kb.themes[state.theme].label(state.lang)
        area = self.kb.areas[state.area].label(state.lang) if state.area else None
        intro = (
            say("theme_intro_area", theme=theme, area=area)
            if area
            else say("theme_intro", theme=theme)
        )
        shown = ranked[:MAX_THEME_SERVICES]
        state.step = "answered"
        state.shown = [r.service.id for r in shown]
        lines = [f"• {r.service.name}: {r.service.describe(state.lang)}" for r in shown]
        buttons = tuple((Button(_short(r.service.name), f"s:{r.service.id}"),) for r in shown)
        text = intro + "\n\n" + "\n".join(lines) + "\n\n" + say("theme_more")
        return Reply(text, buttons=(*buttons, (Button(say("button_person"), "f:person"),)))

    # ------------------------------------------------------------------ buttons

    def _button(self, state: Conversation, data: str) -> Outcome:
        say = Texts(self.kb, state.lang)
        kind, _, value = data.partition(":")
        if kind == "t" and value in self.kb.themes:
            return self._choose_theme(state, value)
        if kind == "a" and value in self.kb.areas:
            return self._set_area(state, value, True)
        if kind == "w" and value in self.kb.audiences:
            state.audience = value
            return self._continue_or_prompt(state)
        if kind == "u" and value in {"0", "1"}:
            state.urgent = value == "1"
            return self._continue_or_prompt(state)
        if kind == "x" and value in QUESTIONS:
            if value not in state.asked:
                state.asked.append(value)
            return self._continue_or_prompt(state)
        if kind == "s" and value in self.kb.services:
            return self._show_service(state, value)
        if kind == "f" and value in {"yes", "other", "person"}:
            return self._feedback(state, value)
        if kind == "l" and value in self.kb.texts:
            return self._set_language(state, value)
        if kind == "d" and value in self._crisis_rules:
            return self._crisis(state, self._crisis_rules[value].services)
        if kind == "c" and value == "restart":
            return self._start(state, "")
        if kind == "c" and value == "forget":
            fresh = Conversation(lang=state.lang)
            return Outcome(
                fresh,
                [Reply(say("privacy_forgotten"), buttons=self._theme_buttons(say))],
                forget=True,
            )
        fresh = Conversation(lang=state.lang, lang_chosen=state.lang_chosen, area=state.area)
        greeting = self._greeting(fresh, None)
        return Outcome(
            fresh, [Reply(say("stale_button") + "\n\n" + greeting.text, buttons=greeting.buttons)]
        )

    def _continue_or_prompt(self, state: Conversation) -> Outcome:
        if state.candidates:
            return self._next(state)
        say = Texts(self.kb, state.lang)
        state.step = "idle"
        return Outcome(
            state,
            [
                Reply(
                    say("audience_noted") + "\n\n" + say("ask_describe"),
                    buttons=self._theme_buttons(say),
                )
            ],
        )

    def _show_service(self, state: Conversation, service_id: str) -> Outcome:
        say = Texts(self.kb, state.lang)
        service = self.kb.services[service_id]
        ranked = [r for r in self._ranked(state) if r.serves_area] if state.candidates else []
        hits = next((r.hits for r in ranked if r.service.id == service_id), ())
        if service_id not in state.shown:
            state.shown.append(service_id)
        state.step = "answered"
        others = [r for r in ranked if r.service.id != service_id]
        return Outcome(state, [self._card(state, service, hits, others, say)])

    def _feedback(self, state: Conversation, value: str) -> Outcome:
        say = Texts(self.kb, state.lang)
        if value == "yes":
            state.new_need()
            return Outcome(state, [Reply(say("thanks"), buttons=self._theme_buttons(say))])
        if value == "other":
            state.new_need()
            return Outcome(state, [Reply(say("something_else"), buttons=self._theme_buttons(say))])
        doors = self._front_doors(state)
        intro = (
            say("person_intro_area", area=self.kb.areas[state.area].label(state.lang))
            if state.area
            else say("person_intro")
        )
        text = intro + "\n\n" + self._door_list(doors, say)
        return Outcome(state, [Reply(text, buttons=self._door_buttons(doors))])


def _theme_score(service: Service) -> float:
    """Order within a theme: the card's key places first, district places before city-wide."""
    priority = {1: 3.0, 2: 2.0, 3: 1.0}.get(service.card or 0, 0.0)
    return MIN_SCORE + priority + len(service.keywords.get("nl", ())) / 100


def _short(label: str) -> str:
    return label if len(label) <= BUTTON_LABEL_LIMIT else label[: BUTTON_LABEL_LIMIT - 1] + "…"
