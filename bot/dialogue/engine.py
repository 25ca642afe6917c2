"""The conversation: (state, event) -> (new state, replies). No transport, no `telegram`.

Flow (see conversation.mmd beside this file): greeting -> free text or theme -> the questions
that change the answer (bot/dialogue/questions/, one object each) -> the best place, with up to
two alternatives and the other needs the message named -> "did this help?". Emergencies are
checked first on every message; every reply ends with a next step (buttons).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.dialogue import buttons
from bot.dialogue.buttons import SKIP, Action, Kind
from bot.dialogue.cards import need_words, reasons, service_card
from bot.dialogue.payload import parse_payload
from bot.dialogue.questions import ALL as QUESTIONS
from bot.dialogue.questions import BY_ID as QUESTION_BY_ID
from bot.dialogue.questions import Question
from bot.dialogue.reading import Reader, Reading, label_matches
from bot.dialogue.state import FORGET_AFTER_DAYS, MAX_QUESTIONS, Conversation
from bot.dialogue.texts import Texts
from bot.dialogue.types import Button, Event, Outcome, Reply
from bot.knowledge.hours import AMSTERDAM, open_state
from bot.knowledge.model import KnowledgeBase, Service
from bot.matching.crisis import TRUST, CrisisDetector, Trust
from bot.matching.index import SearchIndex, word_terms
from bot.matching.languages import OTHER, LanguageGuesser
from bot.matching.languages import warm_up as warm_up_languages
from bot.matching.matcher import MIN_SCORE, Candidate, Hit, Matcher, Ranked, need_of

MAX_ALTERNATIVES = 2
MAX_OTHER_NEEDS = 2
STRONG_SHARE = 0.6  # candidates scoring at least this share of the best decide what to ask
OTHER_NEED_SHARE = 0.4  # a second need must score at least this share of the first
LIST_PAGE = 3  # places per list on one phone screen; "Meer" shows the next
MAX_NO_MATCH_DOORS = 2
BUTTON_LABEL_LIMIT = 40
HEALTH_THEME = "gezondheid"
OFFICE_HOURS = (8, 17)  # weekdays; outside them the huisartsenpost is the doctor
OPEN_NOW = 1.1  # a place open now goes a little before one that is closed
CLOSED_NOW = 0.95
NIGHT_OPEN_HEALTH = 1.8  # at night a health place that is open beats one that is closed
NIGHT_CLOSED_HEALTH = 0.6

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


class Engine:
    def __init__(
        self,
        kb: KnowledgeBase,
        matcher: Matcher | None = None,
        clock: Callable[[], datetime] | None = None,
        forget_after_days: float = FORGET_AFTER_DAYS,
        trust: Trust = TRUST,
    ):
        self.kb = kb
        self.forget_after_days = forget_after_days
        self.matcher = matcher or Matcher(kb, learned=True)
        self.languages = LanguageGuesser(kb)
        self.crisis = CrisisDetector(kb, learned=True, languages=self.languages, trust=trust)
        self.reader = Reader(self.matcher, self.crisis)
        self.clock = clock or (lambda: datetime.now(AMSTERDAM))
        self.city_id = next(a.id for a in kb.areas.values() if a.kind == "city")
        self.country_id = next(a.id for a in kb.areas.values() if a.kind == "country")
        self._crisis_rules = self.crisis.rule_by_id
        self.emergency_lines = frozenset(s for rule in kb.crisis for s in rule.services)
        # Words that say who or where, not what; a "why" line never echoes them, nor words of
        # danger and loss.
        profiles = self.matcher.profiles
        self._who_and_where = frozenset(
            w for name in (*profiles.place_names, *profiles.audience_words) for w in name.split()
        )
        self._never_quote = self.crisis.phrase_words | self._who_and_where
        warm_up_languages()  # lingua's models and the word lists: not while a resident waits

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
            kind_key = f"kind_{event.value}" if say.has(f"kind_{event.value}") else "kind_other"
            reply = Reply(say("unsupported", kind=say(kind_key)), buttons=self._theme_buttons(say))
            return self._then_open_question(Outcome(state, [reply]))
        # Guessed once: the language to answer in, and whether the crisis model may judge.
        language = None if state.lang_chosen else self.languages.guess(event.value)
        other = self._follow_language(state, event.value, language)
        if other is not None:
            return other
        outcome = self._text(state, event.value, language)
        # The resident's own words explain this turn's card ("je schreef ‘schulden’"); they are
        # not kept beyond it, in memory or on disk: later cards say "je vroeg naar schulden".
        outcome.state.candidates = [
            Candidate(c.service_id, c.score, tuple(replace(h, word="") for h in c.hits))
            for c in outcome.state.candidates
        ]
        return outcome

    def _still_known(self, state: Conversation) -> Conversation:
        """Forget what the knowledge no longer has: a state saved before a /reload (or a
        damaged one) may name an area, group, theme, place or question that is gone."""
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
        if state.step == "area_confirm":  # a state saved by an older version
            state.step = "area"
        state.candidates = [c for c in state.candidates if c.service_id in self.kb.services]
        state.shown = [s for s in state.shown if s in self.kb.services]
        state.answers = {k: v for k, v in state.answers.items() if k in QUESTION_BY_ID}
        if state.safety not in self._crisis_rules:
            state.safety = None
        return state

    def language_for(self, hint: str | None) -> str:
        """The language for a new resident from their platform's language code."""
        code = (hint or "").lower()[:2]
        if code == "nl" or not hint:  # tr, ar, pl and uk have texts like en
            return "nl"
        return code if code in self.kb.texts else ("en" if "en" in self.kb.texts else "nl")

    def _follow_language(
        self, state: Conversation, text: str, guess: str | None
    ) -> Outcome | None:
        """Answer in the language the resident writes, unless they chose one with /taal. A
        message in a language the bot does not speak gets the other-language reply (an
        emergency it does recognise still goes first); None: go on with the message."""
        if state.lang_chosen:
            return None
        if guess == OTHER:
            hit = self.crisis.detect(text, guess)
            if hit is None or not hit.certain:
                return self._other_language(state)
        elif guess in self.kb.texts:
            state.lang = guess
        return None

    def _other_language(self, state: Conversation) -> Outcome:
        """Simple Dutch and English: the emergency numbers, the general front doors with their
        phone numbers, and a choice of Dutch or English. Never a guess at the need."""
        texts = [Texts(self.kb, lang) for lang in ("nl", "en") if lang in self.kb.texts]
        lines = [say("other_language") for say in texts]
        emergency = [
            self.kb.services[s] for s in self.kb.emergency_services if s in self.kb.services
        ]
        doors = self._front_doors(replace(state, area=None))
        lines.append("\n".join(_phone_line(s) for s in emergency if s.contact.phones))
        lines.append("\n".join(_phone_line(s) for s in doors if s.contact.phones))
        choices = tuple(
            Button(say(f"button_language_{say.lang}"), buttons.encode(Kind.LANGUAGE, say.lang))
            for say in texts
        )
        state.step = "idle"
        reply = Reply("\n\n".join(line for line in lines if line), buttons=(choices,))
        return Outcome(state, [reply], tag="other_language")

    # ------------------------------------------------------------------ what questions use

    def office_hours(self, now: datetime | None = None) -> bool:
        local = (now or self.clock()).astimezone(AMSTERDAM)
        return local.weekday() < 5 and OFFICE_HOURS[0] <= local.hour < OFFICE_HOURS[1]

    def district_only(self, service: Service) -> bool:
        return all(self.kb.areas[a].kind == "district" for a in service.areas if a in self.kb.areas)

    def ranked(
        self, state: Conversation, candidates: list[Candidate] | None = None
    ) -> list[Ranked]:
        """The candidates in order for this resident: the matcher's profile (district, for
        whom, urgency), the factors of other questions answered, and the clock."""
        ranked = self.matcher.rank(
            state.candidates if candidates is None else candidates, state.profile
        )
        now = self.clock()
        factors = [
            (q, value)
            for q in QUESTIONS
            if q.id in state.answers and (value := q.value(state)) not in (None, SKIP)
        ]
        rescored = []
        for r in ranked:
            factor = self._time_factor(r.service, now)
            for question, value in factors:
                factor *= question.factor(self, r.service, value)
            rescored.append(replace(r, score=round(r.score * factor, 3)))
        rescored.sort(key=lambda r: (not r.serves_area, -r.score, r.service.id))
        return rescored

    def open_now(self, service: Service) -> bool:
        return bool(_open_now(service, self.clock()))

    def _strong(self, state: Conversation) -> list[Candidate]:
        best = max((c.score for c in state.candidates), default=0.0)
        return [c for c in state.candidates if c.score >= STRONG_SHARE * best]

    def strong_services(self, state: Conversation) -> list[Service]:
        """The places the words really point at: a weak match that would win for some other
        group is no reason to ask."""
        return [
            self.kb.services[c.service_id]
            for c in self._strong(state)
            if c.service_id in self.kb.services
        ]

    def best_service(self, state: Conversation) -> Service | None:
        ranked = self.ranked(state, self._strong(state))
        return ranked[0].service if ranked and ranked[0].serves_area else None

    def best_id(self, state: Conversation) -> str | None:
        best = self.best_service(state)
        return best.id if best else None

    def _time_factor(self, service: Service, now: datetime) -> float:
        """Open now goes first when it is known; at night and at the weekend a health need
        goes to the place that is open (the huisartsenpost), not to a closed practice."""
        open_now = _open_now(service, now)
        if open_now is None:
            return 1.0
        if HEALTH_THEME in service.themes and not self.office_hours(now):
            return NIGHT_OPEN_HEALTH if open_now else NIGHT_CLOSED_HEALTH
        return OPEN_NOW if open_now else CLOSED_NOW

    # ------------------------------------------------------------------ start & commands

    def _start(self, state: Conversation, payload: str) -> Outcome:
        """A (deep-link) start: 'oost', 'zuid-gezondheid', 'gezondheid' preset area and theme."""
        preset = parse_payload(self.kb, payload)
        area, theme = preset.area, preset.theme
        fresh = Conversation(lang=state.lang, lang_chosen=state.lang_chosen, area=area)
        replies = [self._greeting(fresh, area)]
        if theme:
            outcome = self._choose_theme(fresh, theme)
            return Outcome(outcome.state, replies + outcome.replies, tag=outcome.tag)
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
            choices = tuple(
                Button(say(f"button_language_{lang}"), buttons.encode(Kind.LANGUAGE, lang))
                for lang in self.kb.texts
                if say.has(f"button_language_{lang}")
            )
            rows = tuple(choices[i : i + 2] for i in range(0, len(choices), 2))
            return Outcome(state, [Reply(say("language_choose"), buttons=rows)])
        if command == "help":
            about = self.kb.about.get(state.lang) or self.kb.about.get("nl", "")
            replies = [Reply(say("help")), Reply(about, title=say("about_title"))]
            return self._then_open_question(Outcome(state, replies), say)
        if command == "privacy":
            forget = ((Button(say("button_forget"), buttons.encode(Kind.CONTROL, "forget")),),)
            days = f"{self.forget_after_days:g}"
            replies = [Reply(say("privacy", days=days), buttons=forget)]
            return self._then_open_question(Outcome(state, replies), say)
        return self._then_open_question(Outcome(state, [Reply(say("unknown_command"))]), say)

    def _then_open_question(self, outcome: Outcome, say: Texts | None = None) -> Outcome:
        """After /help, /privacy or a photo, the question that was open is asked again (its
        buttons, not the theme buttons, come last), or the topics are offered."""
        state = outcome.state
        say = say or Texts(self.kb, state.lang)
        question = QUESTION_BY_ID.get(state.step)
        if question is not None:
            return Outcome(
                state, [*outcome.replies, question.ask(self, state, say)], tag=outcome.tag
            )
        if outcome.replies and not outcome.replies[-1].buttons:
            last = replace(outcome.replies[-1], buttons=self._theme_buttons(say))
            return replace(outcome, replies=[*outcome.replies[:-1], last])
        return outcome

    def _set_language(self, state: Conversation, lang: str) -> Outcome:
        state = replace(state, lang=lang, lang_chosen=True)
        say = Texts(self.kb, lang)
        question = QUESTION_BY_ID.get(state.step)
        if question is not None:
            return Outcome(state, [Reply(say("language_set")), question.ask(self, state, say)])
        return Outcome(
            state,
            [
                Reply(
                    say("language_set") + "\n\n" + say("ask_describe"),
                    buttons=self._theme_buttons(say),
                )
            ],
        )

    def successor(self, kb: KnowledgeBase, index: SearchIndex) -> Engine:
        """An engine on new knowledge, set up like this one (clock, retention, trust, learned
        or not), on a search index already built for it."""
        matcher = Matcher(kb, index=index, learned=self.matcher.learned)
        return Engine(kb, matcher, clock=self.clock, forget_after_days=self.forget_after_days,
                      trust=self.crisis.trust)

    def load_models(self) -> None:
        """Fit the learned models now, or read them from the cache, so that no resident waits
        for it: at start-up, and after a reload before the new knowledge serves."""
        self.matcher.router()
        self.crisis.model()

    # ------------------------------------------------------------------ free text

    def _text(self, state: Conversation, text: str, language: str | None) -> Outcome:
        say = Texts(self.kb, state.lang)
        question = QUESTION_BY_ID.get(state.step)
        reading = self.reader.read(
            text, answering_area=question is not None and question.id == "area", language=language
        )
        if not reading.words:
            return Outcome(state, [Reply(say("ask_describe"), buttons=self._theme_buttons(say))])
        hit = reading.crisis
        if hit and hit.certain:
            return self._crisis(state, hit.service_ids)
        outcome = None
        if question is not None:
            outcome = self._answer_typed(state, question, reading, say)
        if outcome is None:
            outcome = (
                self._small_talk(state, reading.small_talk, say)
                if reading.small_talk
                else self._new_need(state, reading)
            )
        if hit:
            first = hit.leads(need_of(reading.candidates), self.crisis.trust)
            return self._with_safety_net(outcome, hit.rule_ids[0], first=first)
        return outcome

    def _answer_typed(
        self, state: Conversation, question: Question, reading: Reading, say: Texts
    ) -> Outcome | None:
        """A typed answer to the open question; None when the message is a new need instead."""
        value = question.read(self, reading, state, say)
        current = {c.service_id for c in state.candidates}
        # "weet ik niet", "geen idee" or a button's label typed is an answer and nothing more,
        # even when a word of it happens to match a place ("idee", "buiten").
        plain_answer = reading.dont_know or any(
            label_matches(reading.text, b.label)
            for row in question.buttons(self, state, say)
            for b in row
        )
        new_need = (
            not plain_answer
            and reading.has_need
            and reading.candidates[0].service_id not in current
        )
        if value is None:
            if new_need or reading.small_talk:
                return None
            return Outcome(state, [question.ask(self, state, say, again=True)], tag="question")
        question.apply(self, state, value)
        if new_need:
            return None  # "ik woon in Lunetten en ik heb schulden": both are taken
        note = question.note(self, reading, value, say)
        outcome = self._continue(state)
        if note and outcome.replies:
            first = outcome.replies[0]
            outcome.replies[0] = replace(first, text=note + "\n\n" + first.text)
        return outcome

    def _small_talk(self, state: Conversation, kind: str, say: Texts) -> Outcome:
        """Hallo, dank je wel, "hulp": one short question with buttons, not a list of places."""
        return Outcome(
            state, [Reply(say(f"small_{kind}"), buttons=self._theme_buttons(say))], tag="small_talk"
        )

    def _new_need(self, state: Conversation, reading: Reading) -> Outcome:
        say = Texts(self.kb, state.lang)
        state.new_need()
        for question in QUESTIONS:
            implied = question.implied(self, reading, state)
            if implied is not None:
                question.apply(self, state, implied)
        if not reading.candidates:
            place = reading.place
            if place and place.certain:
                note = say("area_noted", area=self.kb.areas[place.area_id].label(state.lang))
                return Outcome(
                    state,
                    [Reply(note + "\n\n" + say("ask_describe"), buttons=self._theme_buttons(say))],
                )
            return self._no_match(state)
        state.candidates = list(reading.candidates)  # with the words, for this turn's card only
        return self._next(state)

    def _with_safety_net(self, outcome: Outcome, rule_id: str, first: bool = False) -> Outcome:
        """Words that may mean danger but need not: answer the need, and add one short line
        with the rule's first line and a way into the emergency reply. With no need found,
        the emergency reply itself is the answer: never only a list of ordinary places.
        `first`: the danger is likely and the need unclear, so the line comes before the
        need's answer instead of after it."""
        state = outcome.state
        services = self._crisis_rules[rule_id].services
        if outcome.tag in ("no_match", "small_talk"):
            return self._crisis(state, services)
        state.safety = rule_id
        say = Texts(self.kb, state.lang)
        line = next((self.kb.services[s] for s in services if s in self.kb.services), None)
        if line is None:
            return outcome
        phone = " / ".join(line.contact.phones)
        key = "safety_first" if first else "safety_line"
        text = (
            say(key, service=line.name, phone=phone)
            if phone
            else say(f"{key}_no_phone", service=line.name)
        )
        button = ((Button(say("button_in_danger"), buttons.encode(Kind.DANGER, rule_id)),),)
        safety = Reply(text, buttons=button)
        replies = [safety, *outcome.replies] if first else [*outcome.replies, safety]
        return replace(outcome, replies=replies)

    # ------------------------------------------------------------------ questions

    def _next(self, state: Conversation) -> Outcome:
        """Ask the next question that would change the answer, or answer."""
        for question in QUESTIONS:
            if question.must_ask(self, state):
                return self._ask(state, question)
        if len(state.asked) < MAX_QUESTIONS and not state.theme:  # a topic list: no quiz
            for question in QUESTIONS:
                if question.id not in state.asked and question.would_change(self, state):
                    return self._ask(state, question)
        return self._answer(state)

    def _ask(self, state: Conversation, question: Question) -> Outcome:
        if question.id not in state.asked:
            state.asked.append(question.id)
        state.step = question.id
        say = Texts(self.kb, state.lang)
        return Outcome(state, [question.ask(self, state, say)], tag="question")

    def _continue(self, state: Conversation) -> Outcome:
        """After an answer: on to the next question or the answer; with no need yet, the
        answer is noted and the resident is asked what they need."""
        if state.candidates:
            return self._next(state)
        say = Texts(self.kb, state.lang)
        if state.theme:
            return self._choose_theme(state, state.theme)
        state.step = "idle"
        note = (
            say("area_noted", area=self.kb.areas[state.area].label(state.lang))
            if state.area
            else say("audience_noted")
        )
        return Outcome(
            state, [Reply(note + "\n\n" + say("ask_describe"), buttons=self._theme_buttons(say))]
        )

    # ------------------------------------------------------------------ answers

    def _answer(self, state: Conversation) -> Outcome:
        ranked = [r for r in self.ranked(state) if r.serves_area]
        if not ranked:
            return self._no_match(state)
        if state.theme:
            return Outcome(state, [self._theme_list(state, ranked, 0)], tag="theme")
        best = self._after_hours(state, ranked) or ranked[0]
        state.step = "answered"
        state.shown = [best.service.id]
        say = Texts(self.kb, state.lang)
        others = self._other_needs(best, ranked[1:])
        alternatives = [r for r in ranked[1:] if all(r is not other for other, _ in others)]
        return Outcome(
            state,
            [self._card(state, best.service, best.hits, alternatives, say, others)],
            tag="answer",
        )

    def _after_hours(self, state: Conversation, ranked: list[Ranked]) -> Ranked | None:
        """At night and at the weekend a health need whose best place is closed leads with the
        area's after-hours place that is open (the huisartsenpost), even when the words did not
        name it ("I need a GP" at half past midnight); the practice stays an alternative."""
        best = ranked[0].service
        if self.office_hours() or HEALTH_THEME not in best.themes or self.open_now(best):
            return None
        need = [h.keyword for h in ranked[0].hits if h.keyword not in self._who_and_where]
        chain = self.kb.area_chain(state.area or self.city_id)
        for service_id in (s for area_id in chain for s in self.kb.areas[area_id].after_hours):
            service = self.kb.services.get(service_id)
            # Only for what it stands in for ("huisarts", "koorts"), not for "vergeetachtig";
            # open outside office hours by what the area says of it, unless its hours say not.
            if (
                service
                and any(self._indexed(service_id, keyword) for keyword in need)
                and _open_now(service, self.clock()) is not False
            ):
                found = next((r for r in ranked if r.service.id == service_id), None)
                return found or Ranked(service, ranked[0].score, True, ())
        return None

    def _indexed(self, service_id: str, keyword: str) -> bool:
        """Whether the knowledge of this service has this word (in any form)."""
        postings = self.matcher.index.postings
        return any(service_id in postings.get(term, {}) for term in word_terms(keyword))

    def _other_needs(self, best: Ranked, rest: list[Ranked]) -> list[tuple[Ranked, str]]:
        """Places for the other needs a message names, each with the word that names the need:
        candidates matched by other words of the message than the best place ("scheiding,
        rekeningen en een gepest kind"), words that say a need (cards.need_words), not a
        place, a time or a word of danger. Words are compared by their place in the message,
        so nothing of the message has to be kept."""
        covered = {at for h in best.hits for at in h.at}
        found: list[tuple[Ranked, str]] = []
        for candidate in rest:
            if candidate.score < OTHER_NEED_SHARE * best.score:
                break
            named = need_words(candidate.service, candidate.hits, self._never_quote)
            where = {at for _, positions in named for at in positions}
            if where and not where & covered:
                found.append((candidate, named[0][0]))
                covered |= {at for h in candidate.hits for at in h.at}
                if len(found) == MAX_OTHER_NEEDS:
                    break
        return found

    def _card(
        self,
        state: Conversation,
        service: Service,
        hits: tuple[Hit, ...],
        others: list[Ranked],
        say: Texts,
        other_needs: list[tuple[Ranked, str]] = (),
    ) -> Reply:
        why = reasons(self.kb, service, hits, state.area, state.theme, say, self._never_quote)
        body = service_card(self.kb, service, self.clock(), say, why)
        alternatives = [r.service for r in others if r.service.id not in state.shown]
        rows: list[tuple[Button, ...]] = [
            (
                Button(
                    _short(say("button_also", need=need)),
                    buttons.encode(Kind.SERVICE, r.service.id),
                ),
            )
            for r, need in other_needs
        ]
        rows += [
            (Button(_short(s.name), buttons.encode(Kind.SERVICE, s.id)),)
            for s in alternatives[:MAX_ALTERNATIVES]
        ]
        if other_needs:
            body += "\n\n" + say("other_needs")
        elif alternatives:
            body += "\n\n" + say("alternatives")
        body += "\n\n" + say("ask_feedback")
        rows.append(self._feedback_row(say))
        rows.append((Button(say("button_person"), buttons.encode(Kind.FEEDBACK, "person")),))
        return Reply(body, title=service.name, buttons=tuple(rows))

    def _feedback_row(self, say: Texts) -> tuple[Button, ...]:
        return (
            Button(say("button_helped"), buttons.encode(Kind.FEEDBACK, "yes")),
            Button(say("button_other"), buttons.encode(Kind.FEEDBACK, "other")),
        )

    def _no_match(self, state: Conversation) -> Outcome:
        """Honest and short: what the bot can help with, two places that take any question,
        and the topics; never a wall of text and never a dead end."""
        say = Texts(self.kb, state.lang)
        state.step = "idle"
        doors = self._front_doors(state)[:MAX_NO_MATCH_DOORS]
        text = say("no_match") + "\n\n" + self._door_list(doors, say, short=True)
        text += "\n\n" + say("no_match_try", examples=say("search_examples"))
        rows = self._door_buttons(doors) + self._theme_buttons(say)
        return Outcome(state, [Reply(text, buttons=rows)], tag="no_match")

    def _front_doors(self, state: Conversation) -> list[Service]:
        chain = self.kb.area_chain(state.area) if state.area else [self.city_id]
        for area_id in chain:
            doors = [
                self.kb.services[s]
                for s in self.kb.areas[area_id].front_doors
                if s in self.kb.services
            ]
            if doors:
                return doors
        return []

    def _talk_now(self, state: Conversation) -> list[Service]:
        """Lines reachable right now to talk to someone: the area's `talk_now` lines that are
        open, the safety line the conversation showed, the huisartsenpost out of hours."""
        now = self.clock()
        chain = self.kb.area_chain(state.area) if state.area else self.kb.area_chain(self.city_id)
        ids = [s for area_id in chain for s in self.kb.areas[area_id].talk_now]
        if state.safety:
            ids = [*self._crisis_rules[state.safety].services[:1], *ids]
        found = []
        for service_id in dict.fromkeys(ids):
            service = self.kb.services.get(service_id)
            if service and _open_now(service, now):
                found.append(service)
        return found

    def _door_list(self, doors: list[Service], say: Texts, short: bool = False) -> str:
        return "\n\n".join(
            f"{s.name}\n{service_card(self.kb, s, self.clock(), say, compact=True, short=short)}"
            for s in doors
        )

    def _door_buttons(self, doors: list[Service]) -> tuple[tuple[Button, ...], ...]:
        return tuple((Button(_short(s.name), buttons.encode(Kind.SERVICE, s.id)),) for s in doors)

    def _crisis(self, state: Conversation, service_ids: tuple[str, ...]) -> Outcome:
        say = Texts(self.kb, state.lang)
        state.step = "idle"
        services = [self.kb.services[s] for s in service_ids if s in self.kb.services]
        # The first line with what it does, the others with just how to reach them: the
        # numbers must fit one screen.
        lines = [self._door_list(services[:1], say), self._door_list(services[1:], say, short=True)]
        text = say("crisis_intro") + "\n\n" + "\n\n".join(line for line in lines if line)
        text += "\n\n" + say("crisis_more")
        rows = ((Button(say("button_continue"), buttons.encode(Kind.FEEDBACK, "other")),),)
        return Outcome(state, [Reply(text, buttons=rows)], tag="crisis")

    # ------------------------------------------------------------------ themes

    def _theme_buttons(self, say: Texts) -> tuple[tuple[Button, ...], ...]:
        themes = [
            Button(t.label(say.lang), buttons.encode(Kind.THEME, t.id))
            for t in self.kb.themes.values()
        ]
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
            return self._ask(state, QUESTION_BY_ID["area"])
        return self._answer(state)

    def _theme_list(self, state: Conversation, ranked: list[Ranked], start: int) -> Reply:
        """Three places at a time, each in one line, and "Meer" for the next three."""
        say = Texts(self.kb, state.lang)
        theme = self.kb.themes[state.theme].label(state.lang)
        area = self.kb.areas[state.area].label(state.lang) if state.area else None
        intro = (
            say("theme_intro_area", theme=theme, area=area)
            if area
            else say("theme_intro", theme=theme)
        )
        shown = ranked[start : start + LIST_PAGE]
        state.step = "answered"
        state.shown = [r.service.id for r in ranked[: start + LIST_PAGE]]
        lines = [
            f"• {r.service.name}: {_first_sentence(r.service.describe(state.lang))}" for r in shown
        ]
        rows: list[tuple[Button, ...]] = [
            (Button(_short(r.service.name), buttons.encode(Kind.SERVICE, r.service.id)),)
            for r in shown
        ]
        if len(ranked) > start + LIST_PAGE:
            rows.append(
                (Button(say("button_more"), buttons.encode(Kind.MORE, str(start + LIST_PAGE))),)
            )
        rows.append((Button(say("button_person"), buttons.encode(Kind.FEEDBACK, "person")),))
        text = intro + "\n\n" + "\n".join(lines) + "\n\n" + say("theme_more")
        return Reply(text, buttons=tuple(rows))

    # ------------------------------------------------------------------ buttons

    def _button(self, state: Conversation, data: str) -> Outcome:
        action = buttons.decode(data)
        outcome = self._action(state, action) if action else None
        if outcome is not None:
            return outcome
        say = Texts(self.kb, state.lang)
        fresh = Conversation(lang=state.lang, lang_chosen=state.lang_chosen, area=state.area)
        greeting = self._greeting(fresh, None)
        return Outcome(
            fresh, [Reply(say("stale_button") + "\n\n" + greeting.text, buttons=greeting.buttons)]
        )

    def _action(self, state: Conversation, action: Action) -> Outcome | None:
        """What a button does; None for one that no longer means anything (a stale chat)."""
        kind, value = action.kind, action.value
        if kind is Kind.THEME and value in self.kb.themes:
            return self._choose_theme(state, value)
        if kind is Kind.ANSWER:
            question = QUESTION_BY_ID.get(action.question or "")
            if question is None or not question.accepts(self, value):
                return None
            if question.id not in state.asked:
                state.asked.append(question.id)
            question.apply(self, state, value)
            return self._continue(state)
        if kind is Kind.SERVICE and value in self.kb.services:
            return self._show_service(state, value)
        if kind is Kind.MORE and value.isdigit() and state.theme:
            ranked = [r for r in self.ranked(state) if r.serves_area]
            if int(value) < len(ranked):
                return Outcome(state, [self._theme_list(state, ranked, int(value))], tag="theme")
        if kind is Kind.FEEDBACK and value in {"yes", "other", "person"}:
            return self._feedback(state, value)
        if kind is Kind.LANGUAGE and value in self.kb.texts:
            return self._set_language(state, value)
        if kind is Kind.DANGER and value in self._crisis_rules:
            return self._crisis(state, self._crisis_rules[value].services)
        if kind is Kind.CONTROL and value == "restart":
            return self._start(state, "")
        if kind is Kind.CONTROL and value == "forget":
            say = Texts(self.kb, state.lang)
            fresh = Conversation(lang=state.lang)
            return Outcome(
                fresh,
                [Reply(say("privacy_forgotten"), buttons=self._theme_buttons(say))],
                forget=True,
            )
        return None

    def _show_service(self, state: Conversation, service_id: str) -> Outcome:
        say = Texts(self.kb, state.lang)
        service = self.kb.services[service_id]
        ranked = [r for r in self.ranked(state) if r.serves_area] if state.candidates else []
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
        return self._person(state, say)

    def _person(self, state: Conversation, say: Texts) -> Outcome:
        """'Praat met iemand': someone reachable now first, then the front doors with their
        phone numbers and whether they are open; buttons to go on."""
        now_lines = self._talk_now(state)
        doors = [d for d in self._front_doors(state) if d not in now_lines]
        parts = []
        if now_lines:
            parts += [say("person_now"), self._door_list(now_lines, say, short=True)]
        intro = (
            say("person_intro_area", area=self.kb.areas[state.area].label(state.lang))
            if state.area
            else say("person_intro")
        )
        parts += [intro, self._door_list(doors, say, short=True)]
        rows = (
            *self._door_buttons([*now_lines, *doors][:4]),
            (Button(say("button_restart"), buttons.encode(Kind.CONTROL, "restart")),),
        )
        return Outcome(state, [Reply("\n\n".join(parts), buttons=rows)], tag="person")


def _open_now(service: Service, now: datetime) -> bool | None:
    """Whether any way in is open now; None when no hours say so."""
    known = False
    for expression in service.opening_hours.values():
        state = open_state(expression, now)
        if state.unknown:
            continue
        known = True
        if state.open or state.always:
            return True
    return False if known else None


def _theme_score(service: Service) -> float:
    """Order within a theme: the card's key places first, district places before city-wide."""
    priority = {1: 3.0, 2: 2.0, 3: 1.0}.get(service.card or 0, 0.0)
    return MIN_SCORE + priority + len(service.keywords.get("nl", ())) / 100


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("." if dot else "")


def _short(label: str) -> str:
    return label if len(label) <= BUTTON_LABEL_LIMIT else label[: BUTTON_LABEL_LIMIT - 1] + "…"


def _phone_line(service: Service) -> str:
    """'Alarmnummer 112: 112' for the other-language reply: a name and a number to call."""
    return f"{service.name}: {' / '.join(service.contact.phones)}"
