"""Routewijzer in a browser: a chat page and a JSON endpoint on the same engine as Telegram.

Like the terminal and Telegram front ends this module only translates: a form field, a JSON
body or a typed command becomes an engine `Event`; the engine's `Reply`s become HTML (escaped
by Jinja2) or JSON (shown with `textContent` by chat.js). The conversation logic, the texts,
the buttons and the crisis handling are the engine's and the knowledge's.

The page works without JavaScript: every button is a real `<button>` in a form that posts to
`/chat`, which answers with a new page. With JavaScript (static/chat.js) the same forms post
to `/api/message` and the replies are added to the page.

What the web chat keeps is what Telegram keeps: the engine's state, in the same SQLite file
(its own table, stored under a hash of the id), forgotten after the same number of idle days
or at once with "Wis mijn gegevens". The only cookie is one random conversation id. Opening
the page stores nothing: a conversation begins with the resident's first message, so link
previews and crawlers leave no rows behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.dialogue.engine import Engine
from bot.dialogue.payload import TELEGRAM_PAYLOAD
from bot.dialogue.state import FORGET_AFTER_DAYS, Conversation
from bot.dialogue.texts import Texts
from bot.dialogue.types import MAX_BUTTON_DATA_BYTES, Event, Outcome, Reply
from bot.frontends.flood import FloodGate
from bot.frontends.store import StateStore
from bot.insights import Insights
from bot.knowledge.model import KnowledgeBase
from bot.logging_setup import configure_logging

log = logging.getLogger("routewijzer.web")

COOKIE = "rw_conversation"
# secrets.token_urlsafe(32): 256 random bits, 43 characters. Anything else is not ours.
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_TEXT = 2000  # characters; a need is told in a few sentences
# The largest honest body: MAX_TEXT four-byte characters, percent-encoded by a form (x3).
MAX_BODY = 32 * 1024
FLOOD_WINDOW_SECONDS = 10.0
CONVERSATION_LIMIT = 12  # as on Telegram: messages per resident per window
# Per client address: generous, because a library, a care home or a phone network puts many
# residents behind one address; it stops one machine from filling the store.
ADDRESS_LIMIT = 120
STATIC_FILES = {"chat.js": "text/javascript", "chat.css": "text/css"}
UI_KEYS = ("web_title", "web_conversation", "web_you", "web_bot", "web_input_label",
           "web_input_hint", "web_send", "web_offline")
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


@dataclass(frozen=True)
class WebSettings:
    """How the web chat behaves; the defaults are the production rules."""

    forget_after_days: float = FORGET_AFTER_DAYS
    # "auto": Secure when the request came over https (also as told by a trusted proxy);
    # "always" behind an https proxy that does not say so; "never" only for local testing.
    cookie_secure: str = "auto"
    # Behind a reverse proxy every request comes from the proxy: trust its X-Forwarded-For
    # and X-Forwarded-Proto (and nothing else) only when it is really there.
    trust_proxy: bool = False
    flood_window: float = FLOOD_WINDOW_SECONDS
    conversation_limit: int = CONVERSATION_LIMIT
    address_limit: int = ADDRESS_LIMIT


@dataclass
class Turn:
    """One exchange as the page shows it: what the resident sent, and the replies."""

    replies: list[Reply]
    lang: str
    mine: str | None = None
    tag: str = "other"
    status: int = 200
    conversation_id: str | None = None
    forgotten: bool = False


_templates = Environment(
    loader=PackageLoader("bot.frontends.web", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _static(name: str) -> bytes:
    return resources.files("bot.frontends.web").joinpath("static", name).read_bytes()


def event_for_text(text: str) -> Event:
    """Typed text as the terminal reads it: `/taal en` is a command, anything else a message."""
    if text.startswith("/"):
        name, _, argument = text[1:].partition(" ")
        name = name.split("@")[0]
        if name.lower() == "start":
            return Event.start(argument.strip())
        return Event.command(name, argument.strip())
    return Event.text(text)


def lang_hint(request: web.Request) -> str | None:
    """The browser's first language ("nl-NL,nl;q=0.9" -> "nl-NL"), like Telegram's hint."""
    header = request.headers.get("Accept-Language", "")
    first = header.split(",")[0].split(";")[0].strip()
    return first or None


def start_payload(raw: str | None) -> str:
    """A deep-link payload as Telegram would deliver it; anything else is no payload."""
    return raw if raw and TELEGRAM_PAYLOAD.match(raw) else ""


class WebChat:
    """The handlers, the store and the limits of one web chat."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        store: StateStore,
        settings: WebSettings = WebSettings(),
        insights: Insights | None = None,
    ) -> None:
        # A callable, so that beside Telegram an admin's /reload reaches the web chat too.
        self.engine = engine
        self.store = store
        self.insights = insights  # the unmet-needs counts, shared with Telegram beside it
        self.settings = settings
        self.per_conversation = FloodGate(settings.flood_window, settings.conversation_limit)
        self.per_address = FloodGate(settings.flood_window, settings.address_limit)
        self.static = {name: _static(name) for name in STATIC_FILES}
        self.versions = {
            name: hashlib.sha256(body).hexdigest()[:12] for name, body in self.static.items()
        }

    # ------------------------------------------------------------------ the conversation

    def converse(
        self, conversation_id: str | None, event: Event, hint: str | None, start: str | None
    ) -> Turn:
        """Load, let the engine answer, store (or forget). No await in here: one event loop
        runs one turn at a time, so a resident's state is never read and written by two."""
        engine = self.engine()
        state = self.store.load(conversation_id) if conversation_id else None
        if state is None:
            conversation_id = None  # never adopt an id this server did not hand out
        if start is not None:
            # The first message from a freshly opened page: the link's /start comes first.
            state = engine.handle(state, Event.start(start), lang_hint=hint).state
        outcome = engine.handle(state, event, lang_hint=hint)
        if outcome.forget:
            if conversation_id:
                self.store.delete(conversation_id)
            return self._turn(outcome, None, forgotten=True)
        conversation_id = conversation_id or secrets.token_urlsafe(32)
        self._count_needs(event, outcome, conversation_id, state, engine)
        self.store.save(conversation_id, outcome.state)
        return self._turn(outcome, conversation_id)

    def _count_needs(self, event: Event, outcome: Outcome, conversation_id: str,
                     previous: Conversation | None, engine: Engine) -> None:
        """The same anonymous counts as Telegram's; a failure there never costs an answer."""
        if self.insights is None:
            return
        try:
            resident = "web:" + hashlib.sha256(conversation_id.encode()).hexdigest()
            self.insights.record(event, outcome, resident, previous=previous, kb=engine.kb)
        except Exception:
            log.warning("counting needs failed", exc_info=True)

    def _turn(self, outcome: Outcome, conversation_id: str | None, forgotten: bool = False
              ) -> Turn:
        state = outcome.state
        lang = state.lang if isinstance(state, Conversation) else "nl"
        return Turn(outcome.replies, lang, tag=outcome.tag, conversation_id=conversation_id,
                    forgotten=forgotten)

    def greeting(self, conversation_id: str | None, hint: str | None, start: str) -> Turn:
        """What a freshly opened page shows: the engine's /start, stored nowhere."""
        engine = self.engine()
        state = self.store.load(conversation_id) if conversation_id else None
        outcome = engine.handle(state, Event.start(start), lang_hint=hint)
        return self._turn(outcome, None)

    def _refusal(self, request: web.Request, key: str, status: int) -> Turn:
        """A short answer in the resident's language instead of reading the message."""
        conversation_id = self._conversation_id(request)
        state = self.store.load(conversation_id) if conversation_id else None
        lang = state.lang if state else self.engine().language_for(lang_hint(request))
        say = Texts(self.engine().kb, lang)
        return Turn([Reply(say(key))], say.lang, status=status)

    def _limited(self, request: web.Request) -> Turn | None:
        """The flood limits: per client address, then per conversation."""
        if self.per_address.flooding(self.per_address.record(self.client_address(request))):
            log.warning("web: one client address is sending too much")
            return self._refusal(request, "slow_down", 429)
        conversation_id = self._conversation_id(request)
        if conversation_id and self.per_conversation.flooding(
            self.per_conversation.record(conversation_id)
        ):
            return self._refusal(request, "slow_down", 429)
        return None

    # ------------------------------------------------------------------ requests

    def client_address(self, request: web.Request) -> str:
        """The resident's address; behind a trusted proxy the one the proxy saw."""
        if self.settings.trust_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
            try:
                return str(ipaddress.ip_address(forwarded))
            except ValueError:
                pass
        return request.remote or "unknown"

    def _https(self, request: web.Request) -> bool:
        if self.settings.trust_proxy and request.headers.get("X-Forwarded-Proto") == "https":
            return True
        return request.scheme == "https"

    def _conversation_id(self, request: web.Request) -> str | None:
        value = request.cookies.get(COOKIE, "")
        return value if CONVERSATION_ID.match(value) else None

    def _same_origin(self, request: web.Request) -> bool:
        """Refuse other sites' forms and scripts (the SameSite=Strict cookie already keeps
        them out of conversations). Browsers say where a request comes from in
        Sec-Fetch-Site; older ones only in Origin, which under Referrer-Policy no-referrer
        is "null" for the page's own forms, so "null" cannot be refused."""
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None:
            return site in {"same-origin", "none"}
        origin = request.headers.get("Origin")
        if origin is None or origin == "null":
            return True
        return urlsplit(origin).netloc == request.host

    def _set_cookie(self, request: web.Request, response: web.StreamResponse, turn: Turn
                    ) -> None:
        secure = {"always": True, "never": False}.get(
            self.settings.cookie_secure, self._https(request)
        )
        if turn.forgotten:
            response.del_cookie(COOKIE, path="/", secure=secure, httponly=True,
                                samesite="Strict")
        elif turn.conversation_id:
            response.set_cookie(
                COOKIE, turn.conversation_id, path="/", httponly=True, samesite="Strict",
                secure=secure, max_age=int(self.settings.forget_after_days * 24 * 3600),
            )

    async def page(self, request: web.Request) -> web.Response:
        """GET /: the greeting (with the link's preset), as plain HTML."""
        if (limited := self._limited(request)) is not None:
            return self._page(limited, start=None)
        start = start_payload(request.query.get("start"))
        turn = self.greeting(self._conversation_id(request), lang_hint(request), start)
        return self._page(turn, start=start)

    async def form(self, request: web.Request) -> web.Response:
        """POST /chat: the no-JavaScript way, a form field in, a whole page out."""
        if not self._same_origin(request):
            raise web.HTTPForbidden(text="cross-site form")
        if request.content_type != "application/x-www-form-urlencoded":
            raise web.HTTPUnsupportedMediaType(text="send a form")
        fields = await request.post()
        data = {key: value for key, value in fields.items() if isinstance(value, str)}
        turn = self._answer(request, data)
        response = self._page(turn, start=None)
        self._set_cookie(request, response, turn)
        return response

    async def api(self, request: web.Request) -> web.Response:
        """POST /api/message: {"text": ...} or {"button": ...} in, the replies as JSON out."""
        if not self._same_origin(request):
            raise web.HTTPForbidden(text="cross-site request")
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="send application/json")
        try:
            data = json.loads(await request.text())
        except ValueError as error:
            raise web.HTTPBadRequest(text="not JSON") from error
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="send a JSON object")
        turn = self._answer(request, data)
        response = web.json_response(self._json(turn), status=turn.status)
        self._set_cookie(request, response, turn)
        return response

    def _answer(self, request: web.Request, data: dict[str, Any]) -> Turn:
        """The turn for a form or JSON body; both carry the same fields."""
        if (limited := self._limited(request)) is not None:
            return limited
        text, button = data.get("text"), data.get("button")
        if isinstance(button, str) and button:
            if len(button.encode()) > MAX_BUTTON_DATA_BYTES:
                raise web.HTTPBadRequest(text="not a button")
            event, mine = Event.button(button), None
        elif isinstance(text, str):
            text = text.strip()
            if len(text) > MAX_TEXT:
                return self._refusal(request, "web_too_long", 413)
            event, mine = event_for_text(text), text
        else:
            raise web.HTTPBadRequest(text="send text or button")
        fresh = data.get("fresh") in (True, "1")
        start = start_payload(str(data.get("start") or "")) if fresh else None
        try:
            turn = self.converse(self._conversation_id(request), event, lang_hint(request), start)
        except Exception:
            # Logged without the message; the resident is told how to go on, as on Telegram.
            log.exception("web: handling a %s failed", event.kind)
            return self._refusal(request, "error", 500)
        turn.mine = mine
        return turn

    # ------------------------------------------------------------------ rendering

    def _page(self, turn: Turn, start: str | None) -> web.Response:
        say = Texts(self.engine().kb, turn.lang)
        html = _templates.get_template("chat.html.j2").render(
            say=say, lang=say.lang, turn=turn, start=start, versions=self.versions,
            max_text=MAX_TEXT,
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            status=turn.status)

    def _json(self, turn: Turn) -> dict[str, Any]:
        say = Texts(self.engine().kb, turn.lang)
        return {
            "lang": say.lang,
            "ui": {key: say(key) for key in UI_KEYS},
            "tag": turn.tag,
            "forgotten": turn.forgotten,
            "replies": [
                {
                    "title": reply.title,
                    "text": reply.text,
                    "buttons": [
                        [{"label": b.label, "data": b.data} for b in row] for row in reply.buttons
                    ],
                }
                for reply in turn.replies
            ],
        }

    async def static_file(self, request: web.Request) -> web.Response:
        """Only the page's own script and style sheet: no directory is ever served."""
        name = request.match_info["name"]
        if name not in self.static:
            raise web.HTTPNotFound()
        return web.Response(
            body=self.static[name], content_type=STATIC_FILES[name], charset="utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def expire_now_and_then(self, app: web.Application) -> None:
        """Delete idle conversations every so often, as the Telegram bot does."""
        while True:
            removed = self.store.expire()
            if removed:
                log.info("web: forgot %d idle conversation(s)", removed)
            await asyncio.sleep(max(min(self.store.max_idle / 10, 3600), 1.0))


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, also errors: no inline code, no framing, no referrer, no sniffing."""
    response.headers.update(SECURITY_HEADERS)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"  # a conversation is nobody else's


CHAT = web.AppKey("chat", WebChat)


async def _to_the_page(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/")


def build_web_app(
    engine: Engine | Callable[[], Engine],
    store: StateStore,
    settings: WebSettings = WebSettings(),
    insights: Insights | None = None,
) -> web.Application:
    """The web chat as an aiohttp application, ready for `web.run_app` or a test client."""
    chat = WebChat(engine if callable(engine) else (lambda: engine), store, settings, insights)
    app = web.Application(client_max_size=MAX_BODY)
    app[CHAT] = chat
    app.router.add_get("/", chat.page)
    app.router.add_post("/chat", chat.form)
    # After a form post the address bar says /chat: reloading or sharing it opens the page.
    app.router.add_get("/chat", _to_the_page)
    app.router.add_post("/api/message", chat.api)
    app.router.add_get("/static/{name}", chat.static_file)
    app.on_response_prepare.append(_security_headers)

    async def expiry(app: web.Application):
        task = asyncio.create_task(chat.expire_now_and_then(app))
        yield
        task.cancel()

    app.cleanup_ctx.append(expiry)
    return app


# ---------------------------------------------------------------------- running it


def settings_from_env(
    cookie_secure: str | None = None, trust_proxy: bool | None = None
) -> WebSettings:
    """Settings from the command line, else the environment (shared with the Telegram bot)."""
    env_secure = os.environ.get("ROUTEWIJZER_WEB_COOKIE_SECURE", "auto")
    env_proxy = os.environ.get("ROUTEWIJZER_WEB_TRUST_PROXY", "") in {"1", "true", "yes"}
    return WebSettings(
        forget_after_days=float(
            os.environ.get("ROUTEWIJZER_FORGET_AFTER_DAYS", FORGET_AFTER_DAYS)
        ),
        cookie_secure=cookie_secure or env_secure,
        trust_proxy=env_proxy if trust_proxy is None else trust_proxy,
    )


def _store(data_dir: Path, settings: WebSettings) -> StateStore:
    return StateStore(data_dir, max_idle_seconds=settings.forget_after_days * 24 * 3600,
                      kind="web")


def run_web(kb: KnowledgeBase, host: str, port: int, settings: WebSettings) -> int:
    """`run_bot.py web`: the web chat alone. No access log: it would hold residents'
    addresses and links."""
    configure_logging([])
    data_dir = Path(os.environ.get("ROUTEWIJZER_DATA_DIR", "data"))
    engine = Engine(kb, forget_after_days=settings.forget_after_days)
    engine.load_models()  # before the first resident, who should not wait for a fit
    insights = Insights(data_dir, forget_after_days=settings.forget_after_days)
    app = build_web_app(engine, _store(data_dir, settings), settings, insights)
    log.info("web chat on http://%s:%d/", host, port)
    web.run_app(app, host=host, port=port, access_log=None, print=None)
    return 0


def attach_to_telegram(
    application: Any, host: str, port: int, settings: WebSettings
) -> web.Application:
    """Serve the web chat from the Telegram bot's process and event loop: it starts after the
    bot's own start-up and stops before its shutdown, and answers with the bot's engine, so
    an admin's /reload changes both."""
    services = application.bot_data["routewijzer"]
    store = _store(services.store.path.parent, settings)
    app = build_web_app(lambda: services.engine, store, settings, services.insights)
    runner = web.AppRunner(app, access_log=None)
    bot_init, bot_shutdown = application.post_init, application.post_shutdown

    async def start(app_: Any) -> None:
        if bot_init:
            await bot_init(app_)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        log.info("web chat beside Telegram on http://%s:%d/", host, port)

    async def stop(app_: Any) -> None:
        await runner.cleanup()
        store.close()
        if bot_shutdown:
            await bot_shutdown(app_)

    application.post_init = start
    application.post_shutdown = stop
    return app
