"""The web chat in a real headless Chromium, driven by Playwright: what a resident sees and taps.

Uses the system Chromium (`scripts/ensure-browser.sh` installs Debian's on CI), never a browser
Playwright downloads. Skips with the reason when Playwright or Chromium is missing. Every wait
is for something to appear on the page (Playwright's auto-waiting `expect`), never a sleep, so
a busy machine makes the tests slower, not flaky.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator

import pytest

from bot.dialogue.engine import Engine
from bot.frontends.store import StateStore
from bot.frontends.web.server import WebSettings, build_web_app
from bot.sharing import browser
from tests.conftest import TUESDAY_MORNING

playwright_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python is not installed (pip install -e '.[test]')",
)
CHROMIUM = browser.find_browser()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason=f"no Chromium-like browser on PATH ({', '.join(browser.BROWSER_NAMES)}); "
    "install it with: sudo apt-get install chromium (scripts/ensure-browser.sh does on CI)",
)
expect = playwright_api.expect
WAIT_MS = 60_000  # an upper bound for a busy 2-core machine, not a pause
HTML_ATTEMPT = "<b>x</b><script>alert(1)</script>"


class WebServer:
    """The web chat on a free port, in its own thread and event loop, as in production."""

    def __init__(self, engine: Engine, store: StateStore):
        self.app = build_web_app(engine, store, WebSettings())
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        from aiohttp import web

        asyncio.set_event_loop(self.loop)
        self.runner = web.AppRunner(self.app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())

    def __enter__(self) -> WebServer:
        self.thread.start()
        assert self.ready.wait(60), "the web chat did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(60)


@pytest.fixture(scope="module")
def server(kb, tmp_path_factory) -> Iterator[WebServer]:
    store = StateStore(tmp_path_factory.mktemp("web-data"), kind="web")
    with WebServer(Engine(kb, clock=lambda: TUESDAY_MORNING), store) as running:
        yield running
    store.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        # --no-sandbox: Chromium's sandbox refuses to start as root (containers, CI).
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(chromium):
    """A fresh resident: a phone-sized window, an empty cookie jar, Dutch."""
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="nl-NL")
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


def say(page, text: str) -> None:
    page.get_by_label("Jouw bericht").fill(text)
    page.get_by_role("button", name="Versturen").click()


def last_bot_message(page):
    return page.locator("#log .msg.bot").last


@pytest.fixture(scope="module")
def buurthuizen_in_zuid(kb) -> re.Pattern[str]:
    """Any place in Zuid the knowledge calls a buurthuis is a right answer to "ik zoek een
    buurthuis": the web chat is tested for showing the answer, not for which comes first."""
    names = [
        service.name for service in kb.services.values()
        if "buurthuis" in service.keywords.get("nl", ()) and "zuid" in service.areas
    ]
    return re.compile("|".join(re.escape(name) for name in names))


# ---------------------------------------------------------------------- the conversation


def test_the_greeting_names_112_and_113_and_offers_themes(page, server):
    page.goto(server.url)
    greeting = page.locator("#log .msg.bot").first
    expect(greeting).to_contain_text("Bel 112", timeout=WAIT_MS)
    expect(greeting).to_contain_text("Bel 113", timeout=WAIT_MS)
    expect(greeting.get_by_role("button")).to_have_count(5, timeout=WAIT_MS)
    log = page.locator("#log")
    expect(log).to_have_attribute("role", "log", timeout=WAIT_MS)
    expect(log).to_have_attribute("aria-live", "polite", timeout=WAIT_MS)


def test_a_typed_need_is_answered_with_a_card_after_one_tap(page, server, buurthuizen_in_zuid):
    page.goto(server.url)
    say(page, "ik zoek een buurthuis")
    page.get_by_role("button", name="Zuid", exact=True).click()
    card = last_bot_message(page)
    expect(card.get_by_role("heading")).to_have_text(buurthuizen_in_zuid, timeout=WAIT_MS)
    expect(card).to_contain_text("Waarom deze plek", timeout=WAIT_MS)
    expect(card.get_by_role("button", name="Dit helpt")).to_be_visible(timeout=WAIT_MS)
    assert page.url.rstrip("/") == server.url, "JavaScript answered in place, no page load"
    # After a tap the answer has the focus, so its own buttons come next.
    expect(card).to_be_focused(timeout=WAIT_MS)
    expect(page.locator("#log .msg.mine").first).to_contain_text("ik zoek een buurthuis")


def test_theme_and_district_buttons_each_get_the_next_reply(page, server):
    page.goto(server.url)
    page.get_by_role("button", name="Ontmoeten").click()
    expect(last_bot_message(page)).to_contain_text("In welke wijk woon je?", timeout=WAIT_MS)
    page.get_by_role("button", name="Oost", exact=True).click()
    expect(page.locator("#log .msg.bot")).to_have_count(3, timeout=WAIT_MS)
    expect(last_bot_message(page)).not_to_contain_text("In welke wijk", timeout=WAIT_MS)
    expect(page.locator("#log .msg.mine .text")).to_have_text(
        ["☕ Ontmoeten & samen doen", "Oost"], timeout=WAIT_MS)


def test_a_deep_link_presets_the_district_and_theme(page, server):
    page.goto(f"{server.url}/?start=oost-gezondheid")
    expect(page.locator("#log")).to_contain_text("Plekken voor 🩺 Gezondheid & zorg in Oost",
                                                 timeout=WAIT_MS)
    say(page, "ik zoek een buurthuis")
    card = last_bot_message(page)
    # no district question: the link said Oost, and the place is one for Oost
    expect(card).to_contain_text("voor bewoners van Oost", timeout=WAIT_MS)


def test_an_emergency_gets_the_emergency_lines_first(page, server):
    page.goto(server.url)
    say(page, "ik wil niet meer leven")
    crisis = page.locator("#log .msg.bot.crisis")
    expect(crisis).to_contain_text("113", timeout=WAIT_MS)
    expect(crisis).to_contain_text("Dit klinkt ernstig", timeout=WAIT_MS)


def test_the_safety_net_button_leads_to_the_emergency_reply(page, server):
    page.goto(server.url)
    say(page, "ik kan niet meer, de schulden groeien me boven het hoofd. ik woon in Lunetten")
    page.get_by_role("button", name="Ik ben nu in gevaar").click()
    expect(page.locator("#log .msg.bot.crisis")).to_contain_text("113", timeout=WAIT_MS)


def test_html_typed_by_a_resident_is_shown_as_text(page, server):
    page.goto(server.url)
    say(page, HTML_ATTEMPT)
    mine = page.locator("#log .msg.mine .text")
    expect(mine).to_have_text(HTML_ATTEMPT, timeout=WAIT_MS)
    expect(last_bot_message(page)).to_be_visible(timeout=WAIT_MS)
    assert page.locator("#log b, #log script").count() == 0
    assert page.dialogs == [], "the script never ran"


def test_taal_switches_the_page_to_english(page, server):
    page.goto(server.url)
    say(page, "/taal en")
    expect(page.get_by_role("button", name="Send")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_label("Your message")).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate("document.documentElement.lang") == "en"


# ---------------------------------------------------------------------- phone and no script


def test_at_360_px_nothing_scrolls_sideways_and_tap_targets_are_44_px(page, server, tmp_path):
    page.goto(server.url)
    say(page, "ik zoek een buurthuis")
    page.get_by_role("button", name="Zuid", exact=True).click()
    expect(last_bot_message(page).get_by_role("heading")).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(tmp_path / "web-chat-360.png"), full_page=True)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    small = page.evaluate(
        "[...document.querySelectorAll('button, input')]"
        ".map(e => e.getBoundingClientRect())"
        ".filter(r => r.height < 44 || r.width < 44).length"
    )
    assert small == 0, "every button and the text box are at least 44 px"


def test_without_javascript_the_form_answers_with_a_new_page(
    chromium, server, buurthuizen_in_zuid
):
    context = chromium.new_context(java_script_enabled=False, locale="nl-NL",
                                   viewport={"width": 360, "height": 740})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    try:
        tab.goto(f"{server.url}/?start=zuid")
        # (Chromium parses <noscript> as markup only when scripting is off at parse time,
        # which Playwright's switch does not do; its text is checked in tests/test_web.py.)
        expect(tab.locator("noscript")).to_have_count(1, timeout=WAIT_MS)
        tab.get_by_label("Jouw bericht").fill("ik zoek een buurthuis")
        tab.get_by_role("button", name="Versturen").click()
        tab.wait_for_url("**/chat*")
        answer = tab.locator("#log .msg.bot").first
        expect(answer.get_by_role("heading")).to_have_text(buurthuizen_in_zuid,
                                                            timeout=WAIT_MS)
        tab.get_by_role("button", name="Dit helpt").click()
        expect(tab.locator("#log")).to_contain_text("Fijn!", timeout=WAIT_MS)
    finally:
        context.close()
