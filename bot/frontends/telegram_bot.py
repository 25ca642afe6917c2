"""Routewijzer on Telegram: translates updates into engine events and replies into messages.

All conversation logic lives in the engine; this module only knows Telegram: HTML escaping,
the 4096-character limit, inline keyboards, commands, deep links, groups, persistence of the
engine's state, admin commands and errors.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import html
import logging
import math
import operator
import os
import re
import time
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.changes import Router, all_questions, compare, labelled_questions
from bot.checks import Report, run_checks
from bot.dialogue.engine import Engine
from bot.dialogue.payload import PayloadError
from bot.dialogue.state import FORGET_AFTER_DAYS, Conversation
from bot.dialogue.texts import Texts
from bot.dialogue.types import Button, Event, Outcome, Reply
from bot.frontends.aiohttp_request import AiohttpRequest, UpdatesRequest
from bot.frontends.flood import FloodGate
from bot.frontends.http_server import run_webhook, serve_health_while_polling
from bot.frontends.store import StateStore, StoreUnavailable
from bot.insights import Insights
from bot.knowledge.model import KnowledgeBase
from bot.logging_setup import configure_logging
from bot.sharing.links import make_link

log = logging.getLogger("routewijzer.telegram")

MAX_MESSAGE = 4096
MAX_TITLE = 200
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
FLOOD_WINDOW_SECONDS = 10.0
FLOOD_MAX_MESSAGES = 12
CONCURRENT_UPDATES = 32  # residents are served side by side; one resident's updates in order
CONNECTION_POOL = 8
SEND_ATTEMPTS = 3  # a reply the way to Telegram lost is sent again, twice at most
RESEND_PAUSE_SECONDS = 0.5
STARTUP_RETRY_FIRST_SECONDS = 1.0  # Bot API unreachable at start-up: 1, 2, 4, ... 60 s
STARTUP_RETRY_MAX_SECONDS = 60.0

# Telegram command -> engine command. Telegram allows only a-z, 0-9 and _ in command names.
ENGINE_COMMANDS = {"start": "start", "opnieuw": "restart", "taal": "language", "help": "help",
                   "privacy": "privacy"}
MENU = (("start", "command_start"), ("opnieuw", "command_restart"), ("taal", "command_language"),
        ("help", "command_help"), ("privacy", "command_privacy"))
UNSUPPORTED = (
    (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE, "voice"),
    (filters.PHOTO | filters.VIDEO, "photo"),
    (filters.Sticker.ALL, "sticker"),
    (filters.Document.ALL, "document"),
    (filters.LOCATION | filters.VENUE, "location"),
    (filters.CONTACT, "contact"),
    (filters.Dice.ALL, "dice"),
    (filters.POLL, "other"),
)


class MentionsThisBot(filters.MessageFilter):
    """A message naming this bot (@its_username), not just anyone: in a group the bot
    answers only what is addressed to it."""

    def filter(self, message: Message) -> bool:
        username = (message.get_bot().username or "").lower()
        mentions = message.parse_entities([MessageEntity.MENTION])
        return bool(username) and any(m.lower() == f"@{username}" for m in mentions.values())


@dataclass
class BotServices:
    """What the handlers share, kept in `application.bot_data['routewijzer']`."""

    engine: Engine
    store: StateStore
    knowledge_dir: Path
    admin_ids: frozenset[int]
    usage: Counter = field(default_factory=Counter)
    flood: FloodGate = field(
        default_factory=lambda: FloodGate(FLOOD_WINDOW_SECONDS, FLOOD_MAX_MESSAGES)
    )
    locks: weakref.WeakValueDictionary = field(default_factory=weakref.WeakValueDictionary)
    last_expiry: float = field(default_factory=time.monotonic)
    insights: Insights | None = None

    def texts(self, lang: str) -> Texts:
        return Texts(self.engine.kb, lang)

    def lock_for(self, user_id: int) -> asyncio.Lock:
        """One resident's updates are handled one after another, so their state stays whole;
        the lock disappears by itself once nobody waits on it."""
        lock = self.locks.get(user_id)
        if lock is None:
            lock = asyncio.Lock()
            self.locks[user_id] = lock
        return lock


def render(reply: Reply) -> list[str]:
    """The reply as HTML chunks of at most 4096 characters, split between lines."""
    lines = reply.text.split("\n")
    chunks: list[str] = []
    current = ""
    if reply.title:
        current = f"<b>{html.escape(reply.title[:MAX_TITLE])}</b>"
    for line in lines:
        for piece in _fit(line):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) > MAX_MESSAGE:
                chunks.append(current)
                current = piece
            else:
                current = candidate
    if current.strip():
        chunks.append(current)
    return chunks or ["…"]


def _fit(line: str) -> list[str]:
    """Escape one line; a line too long for one message is cut between characters."""
    escaped = html.escape(line)
    if len(escaped) <= MAX_MESSAGE:
        return [escaped]
    pieces, current = [], ""
    for char in line:
        piece = html.escape(char)
        if len(current) + len(piece) > MAX_MESSAGE:
            pieces.append(current)
            current = ""
        current += piece
    return [*pieces, current] if current else pieces


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def _services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data["routewijzer"]


def _worth_retrying(error: TelegramError) -> bool:
    """A failure of the way to Telegram (5xx, dropped connection, timeout, a body that is not
    JSON), not a refusal of what was sent (400, 403): sending again may well work."""
    if isinstance(error, BadRequest):  # PTB counts it as a NetworkError; Telegram said no
        return False
    return isinstance(error, NetworkError) or type(error) is TelegramError


async def send_replies(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]
                       ) -> None:
    """Every reply, as HTML chunks; a chunk the way to Telegram loses is sent again.

    A resident's message must never go unanswered because one request failed. The other
    side of that choice: a request that reached Telegram but whose answer was lost (a
    timeout) is sent twice, which a resident notices far less than silence."""
    chat_id = update.effective_chat.id
    for reply in replies:
        chunks = render(reply)
        for index, chunk in enumerate(chunks):
            markup = keyboard(reply) if index == len(chunks) - 1 else None
            for attempt in range(1, SEND_ATTEMPTS + 1):
                try:
                    await context.bot.send_message(chat_id, chunk, parse_mode=ParseMode.HTML,
                                                   reply_markup=markup,
                                                   disable_web_page_preview=True)
                    break
                except RetryAfter as error:
                    if attempt == SEND_ATTEMPTS:
                        raise
                    await asyncio.sleep(_seconds(error.retry_after))
                except TelegramError as error:
                    if attempt == SEND_ATTEMPTS or not _worth_retrying(error):
                        raise
                    log.warning("sending a reply failed (%s); sending it again",
                                type(error).__name__)
                    await asyncio.sleep(RESEND_PAUSE_SECONDS * attempt)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def side_call(call: Awaitable[object], what: str) -> None:
    """A call the answer does not depend on (typing indicator, ending a button's spinner):
    its failure is logged and never stops the resident's message from being answered."""
    try:
        await call
    except TelegramError as error:
        log.info("%s failed (%s); answering anyway", what, type(error).__name__)


async def run_engine(update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
    """Load this resident's state, let the engine answer, reply, then store the new state.

    The state is saved only once the replies are out: if sending fails, the resident's last
    message has not moved the conversation on, so sending it again gives the same answer."""
    services = _services(context)
    user = update.effective_user
    if user is None or update.effective_chat is None:
        return
    _expire_idle_conversations(services)
    async with services.lock_for(user.id):
        state = services.store.load(user.id)
        outcome = services.engine.handle(state, event, lang_hint=user.language_code)
        if outcome.forget:  # privacy first: deleted before it is confirmed
            services.store.forget(user.id)
        await send_replies(update, context, outcome.replies)
        if not outcome.forget:
            services.store.save(user.id, outcome.state)
        services.usage[f"event:{event.kind}"] += 1
        services.usage[f"reply:{outcome.tag}"] += 1
        _count_needs(services, event, outcome, user.id, state)


def _count_needs(services: BotServices, event: Event, outcome: Outcome, user_id: int,
                 previous: Conversation | None) -> None:
    """Feed the unmet-needs counts; a failure there must never cost a resident the answer."""
    if services.insights is None:
        return
    try:
        services.insights.record(event, outcome, f"telegram:{user_id}", previous=previous,
                                 kb=services.engine.kb)
    except Exception:
        log.warning("counting needs failed", exc_info=True)


def _expire_idle_conversations(services: BotServices) -> None:
    """Now and then delete conversations idle for longer than the privacy promise allows."""
    now = time.monotonic()
    if now - services.last_expiry >= min(services.store.max_idle / 10, 3600):
        services.last_expiry = now
        removed = services.store.expire()
        if removed:
            log.info("forgot %d idle conversation(s)", removed)


def _lang(services: BotServices, update: Update) -> str:
    """The resident's language: as stored, or from Telegram when the store has none or is
    unavailable (so even the error reply for a broken store reaches them)."""
    user = update.effective_user
    try:
        state = services.store.load(user.id) if user else None
    except StoreUnavailable:
        state = None
    if state:
        return state.lang
    return services.engine.language_for(user.language_code if user else None)


# ---------------------------------------------------------------------- handlers


async def only_from_a_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Updates without a person behind them (channel posts) are not for the bot: no handler
    sees them, so nothing is answered, and no error is ever posted into a channel."""
    if update.effective_user is None or update.effective_chat is None:
        raise ApplicationHandlerStop


def flood_guarded(handler):
    """A resident sending more than the bot can sensibly read gets one "slow down" and is not
    read until they slow down. Commands, buttons and other messages count as much as text,
    so no kind of message can be repeated to keep the bot busy for everyone else."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        services = _services(context)
        user = update.effective_user
        sent = services.flood.record(user.id) if user is not None else 0
        if services.flood.flooding(sent):
            if sent == FLOOD_MAX_MESSAGES + 1 and update.effective_chat:
                say = services.texts(_lang(services, update))
                await send_replies(update, context, [Reply(say("slow_down"))])
            return
        await handler(update, context)

    return guarded


@flood_guarded
async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [payload], /opnieuw, /taal, /help, /privacy: the engine's commands."""
    name = update.effective_message.text.split()[0][1:].split("@")[0].lower()
    argument = " ".join(context.args or [])
    if name == "start":
        await run_engine(update, context, Event.start(argument))
    else:
        await run_engine(update, context, Event.command(ENGINE_COMMANDS[name], argument))


@flood_guarded
async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Free text: the resident describes a need, or answers a question."""
    text = update.effective_message.text or ""
    if update.effective_chat.type != ChatType.PRIVATE:
        text = re.sub(re.escape(f"@{context.bot.username}"), " ", text, flags=re.IGNORECASE)
    await side_call(context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING),
                    "typing indicator")
    await run_engine(update, context, Event.text(text))


@flood_guarded
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an inline button, also one from an old message."""
    query = update.callback_query
    await side_call(query.answer(), "answering the button")
    await run_engine(update, context, Event.button(query.data or ""))


@flood_guarded
async def on_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Voice, photo, sticker, file or location: say kindly what the bot can read."""
    kind = next((k for f, k in UNSUPPORTED if f.check_update(update)), "other")
    await run_engine(update, context, Event.unsupported(kind))


@flood_guarded
async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other command, including admin commands used by someone who is not an admin."""
    services = _services(context)
    say = services.texts(_lang(services, update))
    await send_replies(update, context, [Reply(say("unknown_command"))])


@flood_guarded
async def on_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/link oost-gezondheid: the deep link a neighbourhood team can share."""
    services = _services(context)
    kb = services.engine.kb
    say = services.texts(_lang(services, update))
    try:
        link = make_link(kb, context.bot.username, (context.args or [""])[0])
    except PayloadError as error:
        examples = ", ".join(error.suggestions)
        await send_replies(update, context, [Reply(say("link_invalid", examples=examples))])
        return
    area, theme = link.preset.area, link.preset.theme
    what = " + ".join(
        label for label in (
            kb.areas[area].label(say.lang) if area else None,
            kb.themes[theme].label(say.lang) if theme else None,
        ) if label
    )
    await send_replies(update, context, [Reply(say("link_made", what=what, link=link.url))])


def admin_only(handler):
    """For anyone but an admin the command answers like any unknown one: nothing reveals it."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None or user.id not in _services(context).admin_ids:
            await on_unknown_command(update, context)
            return
        await handler(update, context)

    return guarded


def _checked_engine(knowledge_dir: Path, old: Engine) -> tuple[Report, Engine | None]:
    """The checks of `run_bot.py check`, and an engine on the new knowledge if it passes,
    ready to serve: on the search index the checks already built (not a second one), with the
    learned models as the old engine had them, fitted here rather than by a resident's message."""
    report = run_checks(knowledge_dir)
    if report.kb is None or report.problems:
        return report, None
    engine = old.successor(report.kb, report.matcher.index)
    engine.load_models()
    return report, engine


RELOAD_CONFIRM = "admin:reload-confirm"
ANY_CHANGES = "*"  # `/reload confirm`, typed: whatever the files now change
MAX_LISTED_CHANGES = 15


@admin_only
async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: re-read the knowledge base; keep the old one if the new one has errors, and
    ask first when it would change what happens in an emergency."""
    confirmed = [a.lower() for a in context.args or []] == ["confirm"]
    await reload_knowledge(update, context, confirmed=ANY_CHANGES if confirmed else None)


@admin_only
async def on_reload_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: the "Ja, laden" button under a refused reload. It confirms the changes it was
    shown with: if the files changed again since, the admin sees the new list first."""
    await update.callback_query.answer()
    shown = (update.callback_query.data or "").removeprefix(RELOAD_CONFIRM + ":")
    await reload_knowledge(update, context, confirmed=shown)


def _fingerprint(changes: list[str]) -> str:
    return hashlib.sha256("\n".join(changes).encode()).hexdigest()[:16]


def emergency_changes(old: Engine, new: Engine) -> list[str]:
    """The questions whose emergency routing the new knowledge would change, before → after:
    every example question and the labelled emergencies, so the guard takes seconds, not
    minutes. `run_bot.py diff` also asks the labelled look-alikes."""
    before = Router(old.kb, crisis=old.crisis, answers=False)
    after = Router(new.kb, crisis=new.crisis, answers=False)
    questions = all_questions(old.kb, new.kb, labelled_questions(emergencies_only=True))
    return [str(c) for c in compare(before, after, questions) if c.emergency]


async def reload_knowledge(update: Update, context: ContextTypes.DEFAULT_TYPE, *,
                           confirmed: str | None) -> None:
    """Load the knowledge directory if it is valid and, when it changes an emergency's routing,
    if `confirmed` is ANY_CHANGES or the fingerprint of exactly these changes."""
    services = _services(context)
    say = services.texts(_lang(services, update))
    report, engine = await asyncio.to_thread(_checked_engine, services.knowledge_dir,
                                             services.engine)
    if engine is None:
        problems = "\n".join(str(p) for p in report.problems[:15])
        if len(report.problems) > 15:
            problems += f"\n… (+{len(report.problems) - 15})"
        log.warning("reload refused: %d problem(s)", len(report.problems))
        await send_replies(update, context, [Reply(say("reload_failed", problems=problems))])
        return
    old = services.engine
    # A few seconds of crisis detection: off the event loop, so residents are answered meanwhile.
    changes = await asyncio.to_thread(emergency_changes, old, engine)
    if changes and confirmed not in (ANY_CHANGES, _fingerprint(changes)):
        listed = "\n".join(changes[:MAX_LISTED_CHANGES])
        if len(changes) > MAX_LISTED_CHANGES:
            listed += f"\n… (+{len(changes) - MAX_LISTED_CHANGES})"
        log.warning("reload held back: %d emergency routing change(s)", len(changes))
        button = Button(say("button_reload_confirm"), f"{RELOAD_CONFIRM}:{_fingerprint(changes)}")
        await send_replies(update, context, [
            Reply(say("reload_emergency_changed", changes=listed), buttons=((button,),))])
        return
    if changes:
        log.warning("reload confirmed with %d emergency routing change(s)", len(changes))
    services.engine = engine
    log.info("knowledge reloaded: %d services", len(report.kb.services))
    await send_replies(update, context,
                       [Reply(say("reload_ok", services=len(report.kb.services)))])


@admin_only
async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: anonymous usage counts since the bot started."""
    services = _services(context)
    say = services.texts(_lang(services, update))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(services.usage.items())) or "-"
    counts += f", conversations stored {services.store.count()}"
    text = say("stats", counts=counts)
    if services.insights is not None:
        unmet = services.insights.summary(days=7).terms.most_common(10)
        terms = ", ".join(f"{term} {n}" for term, n in unmet) or "-"
        text += "\n\n" + say("stats_unmet", terms=terms)
    await send_replies(update, context, [Reply(text)])


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed (no message text, names or token) and tell the resident how to go on."""
    log.error("handling an update failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        services = _services(context)
        try:
            say = services.texts(_lang(services, update))
            await send_replies(update, context, [Reply(say("error"))])
        except Exception:
            log.warning("could not tell the resident about the error")


async def start_up(application: Application) -> None:
    """Before the first update: the learned models, fitted or read from the cache off the event
    loop (from a fresh cache that takes seconds, which no resident should wait for), then the
    command menu."""
    await asyncio.to_thread(application.bot_data["routewijzer"].engine.load_models)
    await register_commands(application)


async def register_commands(application: Application) -> None:
    """The command menu in Dutch (default) and English. Only a convenience: if Telegram
    refuses it now, the bot still starts (the menu stays as it was)."""
    kb = application.bot_data["routewijzer"].engine.kb
    for lang in kb.texts:
        say = Texts(kb, lang)
        commands = [BotCommand(name, say(key)) for name, key in MENU]
        language = None if lang == "nl" else lang  # Dutch is what everyone else sees
        await side_call(application.bot.set_my_commands(commands, language_code=language),
                        "registering the command menu")


class TokenRejected(Exception):
    """Telegram refused TELEGRAM_BOT_TOKEN. Unlike python-telegram-bot's InvalidToken its
    message does not hold the token, and PTB's start-up loop lets it through unlogged."""


class PatientApplication(Application):
    """Waits for the Bot API at start-up instead of exiting: after a reboot the network
    (or a self-hosted Bot API server) is often up a little later than the bot. Each wait is
    logged, so an operator sees why it is not answering yet. A rejected token is final."""

    async def initialize(self) -> None:
        delay = STARTUP_RETRY_FIRST_SECONDS
        while True:
            try:
                await super().initialize()
                return
            except InvalidToken:
                await self.bot.shutdown()  # close the connections opened to check the token
                raise TokenRejected from None  # the InvalidToken's message holds the token
            except NetworkError as error:
                log.warning("the Bot API cannot be reached (%s); trying again in %g s",
                            type(error).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, STARTUP_RETRY_MAX_SECONDS)


# ---------------------------------------------------------------------- wiring


def build_application(kb: KnowledgeBase, token: str, *, knowledge_dir: Path,
                      base_url: str = DEFAULT_BASE_URL, data_dir: Path = Path("data"),
                      admin_ids: frozenset[int] = frozenset(),
                      clock: Callable[[], datetime] | None = None,
                      forget_after_days: float = FORGET_AFTER_DAYS,
                      rate_limit: bool = True) -> Application:
    """The bot, wired. `rate_limit=False` only where no real Telegram is behind `base_url`."""
    builder = ApplicationBuilder().token(token).base_url(base_url).post_init(start_up)
    builder = builder.application_class(PatientApplication)
    builder = builder.concurrent_updates(CONCURRENT_UPDATES)  # per-resident lock in run_engine
    # aiohttp instead of httpx: the HTTP client was most of the bot's CPU under load. A few
    # connections carry all the bot may send (Telegram allows about 30 messages a second).
    builder = builder.request(AiohttpRequest(connection_pool_size=CONNECTION_POOL))
    builder = builder.get_updates_request(UpdatesRequest(connection_pool_size=1))
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    application.bot_data["routewijzer"] = BotServices(
        engine=Engine(kb, clock=clock, forget_after_days=forget_after_days),
        store=StateStore(data_dir, max_idle_seconds=forget_after_days * 24 * 3600),
        knowledge_dir=knowledge_dir, admin_ids=admin_ids,
        insights=Insights(data_dir, forget_after_days=forget_after_days, clock=clock),
    )
    private = filters.ChatType.PRIVATE
    mentioned = MentionsThisBot()
    application.add_handler(TypeHandler(Update, only_from_a_person), group=-1)
    application.add_handler(CommandHandler(list(ENGINE_COMMANDS), on_command))
    application.add_handler(CommandHandler("link", on_link))
    application.add_handler(CommandHandler("reload", on_reload))
    application.add_handler(CommandHandler("stats", on_stats))
    application.add_handler(MessageHandler(filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(filters.TEXT & (private | mentioned), on_text))
    application.add_handler(CallbackQueryHandler(on_reload_button, pattern=f"^{RELOAD_CONFIRM}"))
    application.add_handler(CallbackQueryHandler(on_button))
    unsupported = functools.reduce(operator.or_, (found for found, _ in UNSUPPORTED))
    application.add_handler(MessageHandler(private & unsupported, on_unsupported))
    application.add_error_handler(on_error)
    return application


def admin_ids_from_env() -> frozenset[int]:
    raw = os.environ.get("ROUTEWIJZER_ADMIN_IDS", "")
    return frozenset(int(part) for part in re.split(r"[,\s]+", raw) if part.strip().isdigit())


class ConfigurationError(ValueError):
    """A setting the bot cannot run with; its message is the one line the operator reads."""


def forget_after_days_from_env() -> float:
    """ROUTEWIJZER_FORGET_AFTER_DAYS: a finite number of days above 0. 'nan' or 'inf' would
    keep conversations for ever, 0 or less would forget them between two messages."""
    raw = os.environ.get("ROUTEWIJZER_FORGET_AFTER_DAYS", "").strip()
    if not raw:
        return FORGET_AFTER_DAYS
    try:
        days = float(raw)
    except ValueError:
        days = math.nan
    if not (math.isfinite(days) and days > 0):
        raise ConfigurationError(
            f"ROUTEWIJZER_FORGET_AFTER_DAYS must be a number of days above 0 (e.g. 30), "
            f"not {raw[:20]!r}")
    return days


def run_telegram(kb: KnowledgeBase, args) -> int:
    """Run the bot; a setting it cannot run with, or a token Telegram rejects, is one clear
    line on stderr and exit code 2, never a traceback (which would print the token)."""
    token = os.environ["TELEGRAM_BOT_TOKEN"]
    configure_logging([token])
    data_dir = Path(os.environ.get("ROUTEWIJZER_DATA_DIR", "data"))
    try:
        application = build_application(
            kb, token,
            knowledge_dir=Path(args.knowledge),
            base_url=os.environ.get("TELEGRAM_API_BASE_URL", DEFAULT_BASE_URL),
            data_dir=data_dir,
            admin_ids=admin_ids_from_env(),
            forget_after_days=forget_after_days_from_env(),
        )
        application.bot_data["routewijzer"].store.expire()
        if getattr(args, "web_port", None):
            from bot.frontends.web.server import attach_to_telegram, settings_from_env

            attach_to_telegram(application, args.web_host, args.web_port, settings_from_env())
    except ConfigurationError as error:
        log.error("%s", error)
        return 2
    except StoreUnavailable as error:
        log.error("ROUTEWIJZER_DATA_DIR: cannot keep conversations in '%s' (%s)", data_dir,
                  error)
        return 2
    try:
        if getattr(args, "webhook_url", None):
            secret = args.webhook_secret or os.environ.get("ROUTEWIJZER_WEBHOOK_SECRET")
            if not secret:
                log.error("webhook mode needs --webhook-secret or ROUTEWIJZER_WEBHOOK_SECRET")
                return 2
            run_webhook(application, listen=args.listen, port=args.port,
                        url_path=args.url_path, webhook_url=args.webhook_url,
                        secret=secret)  # with /healthz
        else:
            if getattr(args, "health_port", None) is not None:
                serve_health_while_polling(application, args.listen, args.health_port)
            log.info("starting long polling")
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except TokenRejected:
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN; copy it again from @BotFather")
        return 2
    return 0
