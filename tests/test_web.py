"""The web chat over HTTP with aiohttp's test client: the JSON API, the no-JavaScript form, the
security headers, size and flood limits, the cookie, and forgetting. Fast and without a browser;
tests/test_web_browser.py drives the same page in Chromium."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient, TestServer

from bot.dialogue.engine import Engine
from bot.frontends.store import StateStore
from bot.frontends.web.server import (
    CHAT,
    CONTENT_SECURITY_POLICY,
    COOKIE,
    MAX_BODY,
    MAX_TEXT,
    WebSettings,
    attach_to_telegram,
    build_web_app,
)
from tests.conftest import TUESDAY_MORNING

ROOT = Path(__file__).resolve().parents[1]
FORGET_DAYS = 30
HTML_ATTEMPT = "<b>x</b><script>alert(1)</script>"


class Web:
    """A browser without JavaScript, or a script calling the JSON API: one cookie jar."""

    def __init__(self, client: TestClient, store: StateStore):
        self.client, self.store = client, store

    @property
    def chat(self):
        return self.client.server.app[CHAT]

    async def page(self, query: str = "", **headers) -> str:
        response = await self.client.get(f"/{query}", headers=headers)
        assert response.status == 200
        return await response.text()

    async def send(self, status: int = 200, headers: dict | None = None, **body) -> dict:
        response = await self.client.post("/api/message", json=body, headers=headers)
        assert response.status == status, await response.text()
        self.last_response = response
        return await response.json()

    def cookie(self) -> str | None:
        found = self.client.session.cookie_jar.filter_cookies(self.client.make_url("/"))
        return found[COOKIE].value if COOKIE in found else None


@pytest.fixture
async def web(engine, tmp_path):
    store = StateStore(tmp_path, max_idle_seconds=FORGET_DAYS * 86400, kind="web")
    app = build_web_app(engine, store, WebSettings(forget_after_days=FORGET_DAYS))
    client = TestClient(TestServer(app))
    await client.start_server()
    yield Web(client, store)
    await client.close()
    store.close()


def text_of(data: dict) -> str:
    return "\n".join(f"{r['title'] or ''}\n{r['text']}" for r in data["replies"])


def buttons_of(data: dict) -> dict[str, str]:
    return {b["label"]: b["data"] for r in data["replies"] for row in r["buttons"] for b in row}


def press(data: dict, label_part: str) -> str:
    for label, value in buttons_of(data).items():
        if label_part.lower() in label.lower():
            return value
    raise AssertionError(f"no button like {label_part!r} in {list(buttons_of(data))}")


# ---------------------------------------------------------------------- the conversation


async def test_the_page_greets_with_112_and_113_and_real_theme_buttons(web):
    page = await web.page()
    assert "Bel 112" in page and "Bel 113" in page
    assert '<html lang="nl">' in page
    assert page.count('<button type="submit" name="button" value=') == 5
    assert '<label for="message">Jouw bericht</label>' in page
    assert "<noscript><p class=\"note\">JavaScript staat uit." in page
    assert web.cookie() is None and web.store.count() == 0, "opening the page stores nothing"


async def test_a_debt_question_in_zuid_is_answered_with_a_card_through_the_api(web):
    question = await web.send(text="ik zoek een buurthuis", fresh=True, start="")
    assert question["tag"] == "question" and "In welke wijk" in text_of(question)
    answer = await web.send(button=press(question, "Zuid"))
    assert answer["tag"] == "answer"
    card = answer["replies"][0]
    assert card["title"] and "Buurtcentrum" in card["title"]
    assert "Waarom deze plek" in card["text"] and "Dit helpt" in " ".join(buttons_of(answer))


async def test_a_deep_link_presets_district_and_theme_like_telegrams_start(web):
    page = await web.page("?start=oost-gezondheid")
    assert "te vinden in Oost" in page and "Plekken voor 🩺 Gezondheid &amp; zorg in Oost" in page
    assert '<input type="hidden" name="start" value="oost-gezondheid">' in page
    # The first message from that page starts the conversation with the same preset.
    answer = await web.send(text="ik zoek een buurthuis", fresh=True, start="oost-gezondheid")
    assert answer["tag"] == "answer", "the district is known: no question"
    assert "Oost" in answer["replies"][0]["title"]


@pytest.mark.parametrize("payload", ["<script>", "oost'\"><b>", "x" * 65])
async def test_a_payload_telegram_would_refuse_gives_the_normal_greeting(web, payload):
    page = await web.page(f"?start={payload}")
    assert "Ik help je de juiste plek te vinden voor je vraag" in page
    assert "<script>" not in page.split("</head>")[1] and "<b>" not in page


async def test_emergency_and_the_safety_net_button(web):
    crisis = await web.send(text="ik wil niet meer leven", fresh=True, start="")
    assert crisis["tag"] == "crisis" and "113" in text_of(crisis)
    worried = await web.send(
        text="ik kan niet meer, de schulden groeien me boven het hoofd. ik woon in Lunetten"
    )
    assert worried["replies"][0]["title"], "the debt question itself is answered"
    danger = await web.send(button=press(worried, "Ik ben nu in gevaar"))
    assert danger["tag"] == "crisis" and "113" in text_of(danger)


async def test_languages_follow_the_browser_and_taal(web):
    page = await web.page(**{"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page and "Call 112" in page and ">Send</button>" in page
    switched = await web.send(text="/taal en", fresh=True, start="")
    assert switched["lang"] == "en" and switched["ui"]["web_send"] == "Send"
    choose = await web.send(text="/taal")
    back = await web.send(button=press(choose, "Nederlands"))
    assert back["lang"] == "nl" and back["ui"]["web_input_label"] == "Jouw bericht"


async def test_commands_are_typed_as_on_telegram(web):
    helped = await web.send(text="/help", fresh=True, start="")
    assert "Over Routewijzer" in text_of(helped)
    unknown = await web.send(text="/reload")
    assert "Dat commando ken ik niet" in text_of(unknown), "admin commands do not exist here"


# ---------------------------------------------------------------------- without JavaScript


async def test_the_form_works_without_javascript_and_shows_html_as_text(web):
    response = await web.client.post("/chat", data={"text": HTML_ATTEMPT, "fresh": "1",
                                                    "start": ""})
    assert response.status == 200
    page = await response.text()
    assert "&lt;b&gt;x&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<b>x" not in page
    assert 'name="fresh"' not in page, "the next message continues the conversation"
    assert web.cookie() is not None
    # A button in the returned page is a form post too.
    theme = re.search(r'value="([^"]+)">☕ Ontmoeten', page).group(1)
    response = await web.client.post("/chat", data={"button": theme})
    page = await response.text()
    assert "In welke wijk woon je?" in page and ">Zuid</button>" in page


# ---------------------------------------------------------------------- headers and limits


@pytest.mark.parametrize("method,path", [("GET", "/"), ("POST", "/api/message"),
                                         ("GET", "/static/chat.js"), ("GET", "/nothing")])
async def test_every_response_carries_the_security_headers(web, method, path):
    response = await web.client.request(method, path, json={"text": "hallo"})
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


async def test_the_page_has_no_inline_script_or_style(web):
    page = await web.page()
    assert re.findall(r"<script[^>]*>", page) == [
        f'<script src="/static/chat.js?v={web.chat.versions["chat.js"]}" defer>']
    assert "<style" not in page and "style=" not in page
    assert re.search(r"\son[a-z]+=", page) is None, "no inline event handlers"


async def test_only_the_pages_own_files_are_served(web):
    script = await web.client.get("/static/chat.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    assert "textContent" in await script.text() and "innerHTML" not in await script.text()
    for path in ("/static/server.py", "/static/..%2Fserver.py", "/static/"):
        assert (await web.client.get(path)).status == 404


async def test_requests_are_limited_in_size_and_kind(web):
    too_big = await web.client.post("/api/message", data=b"x" * (MAX_BODY + 1),
                                     headers={"Content-Type": "application/json"})
    assert too_big.status == 413
    long_text = await web.send(413, text="hulp " * (MAX_TEXT // 5 + 1))
    assert "te lang" in text_of(long_text)
    assert (await web.client.post("/api/message", json={"button": "x" * 65})).status == 400
    assert (await web.client.post("/api/message", json=["text"])).status == 400
    assert (await web.client.post("/api/message", data="text=hoi")).status == 415
    assert (await web.client.post("/chat", json={"text": "hoi"})).status == 415
    assert web.store.count() == 0


async def test_other_sites_cannot_post_into_the_chat(web):
    evil = {"Origin": "https://evil.example"}
    assert (await web.client.post("/api/message", json={"text": "hoi"}, headers=evil)
            ).status == 403
    assert (await web.client.post("/chat", data={"text": "hoi"}, headers=evil)).status == 403
    sibling = {"Sec-Fetch-Site": "same-site", "Origin": "null"}
    assert (await web.client.post("/chat", data={"text": "hoi"}, headers=sibling)
            ).status == 403
    same = {"Origin": str(web.client.make_url("")).rstrip("/")}
    assert (await web.client.post("/api/message", json={"text": "hoi"}, headers=same)
            ).status == 200
    own_form = {"Sec-Fetch-Site": "same-origin", "Origin": "null"}  # under no-referrer
    assert (await web.client.post("/chat", data={"text": "hoi"}, headers=own_form)
            ).status == 200


async def test_one_conversation_flooding_is_slowed_down_without_slowing_others(web, engine):
    web.chat.per_conversation.clock = lambda: 1000.0  # all at one instant: no timing luck
    await web.send(text="hallo", fresh=True, start="")  # the conversation begins here
    for _ in range(web.chat.settings.conversation_limit):
        await web.send(text="hallo")
    slowed = await web.send(429, text="hallo")
    assert "Rustig aan" in text_of(slowed)
    async with TestClient(web.client.server) as other:  # a second resident, own cookie jar
        other_answer = await other.post("/api/message", json={"text": "hallo"})
        assert other_answer.status == 200


async def test_one_address_flooding_is_slowed_down_also_with_new_conversations(engine, tmp_path):
    store = StateStore(tmp_path, kind="web")
    settings = WebSettings(address_limit=3, trust_proxy=True)
    app = build_web_app(engine, store, settings)
    app[CHAT].per_address.clock = lambda: 1000.0
    async with TestClient(TestServer(app)) as client:
        client.session.cookie_jar.clear()
        one = {"X-Forwarded-For": "203.0.113.7"}
        statuses = []
        for _ in range(4):
            client.session.cookie_jar.clear()
            response = await client.post("/api/message", json={"text": "hoi"}, headers=one)
            statuses.append(response.status)
        assert statuses == [200, 200, 200, 429]
        other = {"X-Forwarded-For": "198.51.100.2"}
        client.session.cookie_jar.clear()
        assert (await client.post("/api/message", json={"text": "hoi"}, headers=other)
                ).status == 200
    store.close()


# ---------------------------------------------------------------------- cookie and storage


async def test_the_only_cookie_is_a_random_conversation_id_with_strict_rules(web):
    await web.send(text="ik zoek een buurthuis", fresh=True, start="")
    cookies = web.last_response.headers.getall("Set-Cookie")
    assert len(cookies) == 1
    cookie = cookies[0]
    value = re.match(rf"{COOKIE}=([A-Za-z0-9_-]+);", cookie).group(1)
    assert len(value) == 43
    for rule in ("HttpOnly", "SameSite=Strict", "Path=/", f"Max-Age={FORGET_DAYS * 86400}"):
        assert rule in cookie
    assert "Secure" not in cookie, "plain http on 127.0.0.1: a Secure cookie would be lost"
    await web.send(text="zuid")
    assert web.cookie() == value, "one conversation keeps its id"


@pytest.mark.parametrize("setting,headers,secure", [
    ("always", {}, True),
    ("auto", {"X-Forwarded-Proto": "https"}, True),  # trusted proxy says https
    ("never", {"X-Forwarded-Proto": "https"}, False),
])
async def test_the_cookie_is_secure_when_configured(engine, tmp_path, setting, headers, secure):
    store = StateStore(tmp_path, kind="web")
    app = build_web_app(engine, store, WebSettings(cookie_secure=setting, trust_proxy=True))
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/api/message", json={"text": "hoi"}, headers=headers)
        assert ("Secure" in response.headers["Set-Cookie"]) is secure
    store.close()


async def test_no_message_text_is_stored_and_web_ids_never_meet_telegram_ids(web, tmp_path):
    await web.send(text="meneer Pietersen uit de Kwakkelstraat helpt niet meer met boodschappen",
                   fresh=True, start="")
    conversation = web.cookie()
    telegram = StateStore(tmp_path, kind="telegram")
    assert web.store.count() == 1 and telegram.count() == 0
    web.store.close()
    with sqlite3.connect(tmp_path / "conversations.sqlite3") as db:
        rows = db.execute("SELECT conversation, state FROM web_conversations").fetchall()
    dump = repr(rows)
    assert "Pietersen" not in dump and "Kwakkelstraat" not in dump
    assert conversation not in dump, "the id is stored as a hash: a stolen file resumes nothing"
    telegram.close()
    web.store = StateStore(tmp_path, kind="web")  # the fixture closes it


async def test_wis_mijn_gegevens_deletes_the_conversation_and_the_cookie(web):
    await web.send(text="ik zoek een buurthuis", fresh=True, start="")
    assert web.store.count() == 1 and web.cookie()
    privacy = await web.send(text="/privacy")
    assert "30 dagen" in text_of(privacy)
    gone = await web.send(button=press(privacy, "Wis mijn gegevens"))
    assert "gewist" in text_of(gone) and gone["forgotten"]
    assert web.store.count() == 0 and web.cookie() is None
    assert "Max-Age=0" in web.last_response.headers["Set-Cookie"]


async def test_an_unknown_or_expired_id_is_never_adopted(web):
    forged = "A" * 43
    web.client.session.cookie_jar.update_cookies({COOKIE: forged}, web.client.make_url("/"))
    await web.send(text="hoi")
    assert web.cookie() != forged and web.store.load(forged) is None


async def test_idle_conversations_are_forgotten_after_the_same_period(web, tmp_path):
    await web.send(text="ik zoek een buurthuis", fresh=True, start="")
    first = web.cookie()
    # 31 days pass without a message (the clock is the row's, not this test's).
    web.store._db.execute("UPDATE web_conversations SET updated = updated - ?",
                          ((FORGET_DAYS + 1) * 86400,))
    assert web.store.expire() == 1 and web.store.count() == 0
    await web.send(text="hoi")
    assert web.cookie() != first, "a forgotten conversation starts fresh under a new id"


# ---------------------------------------------------------------------- beside Telegram


async def test_the_web_chat_runs_beside_the_telegram_bot_on_its_engine(kb, tmp_path):
    from bot.frontends.telegram_bot import build_application
    from tests.fake_telegram import TOKEN, FakeBotAPI

    api = FakeBotAPI()
    base_url = await api.start()
    app = build_application(kb, TOKEN, knowledge_dir=ROOT / "knowledge", base_url=base_url,
                            data_dir=tmp_path, clock=lambda: TUESDAY_MORNING, rate_limit=False)
    port = _free_port()
    web_app = attach_to_telegram(app, "127.0.0.1", port, WebSettings())
    await app.initialize()
    await app.post_init(app)  # what run_polling and run_webhook call
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        assert api.commands[""], "the bot's own start-up still ran"
        async with ClientSession() as session, session.post(
            f"http://127.0.0.1:{port}/api/message", json={"text": "ik zoek een buurthuis"}
        ) as response:
            assert response.status == 200
        api.message(1001, "/start")
        greeting = (await api.wait_for_messages(1001, 1))[0]
        assert "112" in greeting.text
        services = app.bot_data["routewijzer"]
        services.engine = Engine(kb, clock=lambda: TUESDAY_MORNING)  # what /reload does
        assert web_app[CHAT].engine() is services.engine
        assert services.store.count() == 1, "Telegram's table holds the Telegram chat only"
    finally:
        await app.updater.stop()
        await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()
        await api.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_engine_never_loads_web_code():
    code = ("import sys, bot.dialogue.engine, bot.frontends.terminal; "
            "print(sorted(m for m in sys.modules if m.startswith('bot.frontends.web')"
            " or m.split('.')[0] == 'aiohttp'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


async def test_reloading_the_form_address_opens_the_page(web):
    response = await web.client.get("/chat", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"


async def test_a_failure_inside_tells_the_resident_how_to_go_on(web, caplog):
    class Broken:
        kb = web.chat.engine().kb

        def handle(self, *args, **kwargs):
            raise RuntimeError("boom")

        def language_for(self, hint):
            return "nl"

    web.chat.engine = lambda: Broken()
    answer = await web.send(500, text="mijn geheime vraag", fresh=True, start="")
    assert "er ging bij mij iets mis" in text_of(answer)
    assert "mijn geheime vraag" not in caplog.text and "handling a text failed" in caplog.text


# ---------------------------------------------------------------------- run_bot.py


def test_web_port_beside_telegram_attaches_the_web_chat(monkeypatch, tmp_path):
    from telegram.ext import Application

    from bot.cli import main

    started = {}

    def fake_polling(self, **kwargs):
        started["post_init"] = self.post_init.__qualname__
        started["post_shutdown"] = self.post_shutdown.__qualname__

    monkeypatch.setattr(Application, "run_polling", fake_polling)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("ROUTEWIJZER_DATA_DIR", str(tmp_path))
    assert main(["--web-port", str(_free_port())]) == 0
    assert started == {"post_init": "attach_to_telegram.<locals>.start",
                       "post_shutdown": "attach_to_telegram.<locals>.stop"}


def test_web_port_without_a_token_serves_only_the_web_chat(monkeypatch, tmp_path):
    import io

    from bot.cli import main
    from bot.frontends.web import server

    served = {}
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setattr(server, "run_web", lambda kb, host, port, settings: served.update(
        host=host, port=port) or 0)
    out = io.StringIO()
    assert main(["--web-port", "8099"], stdout=out) == 0
    assert served == {"host": "127.0.0.1", "port": 8099}
    assert "only the web chat" in out.getvalue()


async def test_web_residents_are_counted_in_the_unmet_needs_like_telegrams(engine, tmp_path):
    """Three web conversations that found no place for the same word make it show; the counts
    hold neither the message nor the conversation id."""
    from bot.insights import Insights

    store = StateStore(tmp_path, max_idle_seconds=FORGET_DAYS * 86400, kind="web")
    insights = Insights(tmp_path, forget_after_days=FORGET_DAYS)
    app = build_web_app(engine, store, WebSettings(forget_after_days=FORGET_DAYS), insights)
    ids = []
    for _ in range(3):
        client = TestClient(TestServer(app))  # a fresh browser: a new conversation each time
        await client.start_server()
        resident = Web(client, store)
        reply = await resident.send(text="mijn trompet is ontstemd", fresh=True, start="")
        assert reply["tag"] == "no_match"
        ids.append(resident.cookie())
        await client.close()
    assert insights.summary().terms["trompet"] == 3
    dump = "\n".join(str(row) for row in insights.rows())
    assert "trompet is ontstemd" not in dump
    assert not any(conversation_id and conversation_id in dump for conversation_id in ids)
    insights.close()
    store.close()
