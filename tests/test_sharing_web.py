"""`link` and `card` pointing to the web chat (`--web-url`), instead of or beside Telegram."""

from __future__ import annotations

import io
from datetime import date

import pytest
import segno

from bot.sharing import browser
from bot.sharing.card import build_card, render_card
from bot.sharing.links import make_link, make_web_link
from tests.test_sharing import BOT, run

WEB = "https://hulp.example.org"
TODAY = date.today()


@pytest.fixture(autouse=True)
def _no_defaults_from_the_environment(monkeypatch):
    monkeypatch.delenv("ROUTEWIJZER_BOT_USERNAME", raising=False)
    monkeypatch.delenv("ROUTEWIJZER_WEB_URL", raising=False)


def segno_svg(url: str) -> bytes:
    expected = io.BytesIO()
    segno.make(url, error="m", micro=False).save(expected, kind="svg", scale=10, title=url)
    return expected.getvalue()


def test_link_to_the_web_chat_alone_needs_no_bot(tmp_path):
    code, out = run("link", "zuid-gezondheid", "--web-url", WEB + "/", "--out-dir", str(tmp_path))
    url = f"{WEB}/?start=zuid-gezondheid"
    assert code == 0, out
    assert out.splitlines()[0] == url
    svg = tmp_path / "routewijzer-web-zuid-gezondheid.svg"
    assert svg.read_bytes() == segno_svg(url)
    assert (tmp_path / "routewijzer-web-zuid-gezondheid.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "routewijzer-web-zuid-gezondheid.png", "routewijzer-web-zuid-gezondheid.svg"]


def test_link_with_bot_and_web_chat_makes_both(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTEWIJZER_WEB_URL", WEB)
    code, out = run("link", "oost", "--bot-username", BOT, "--out-dir", str(tmp_path))
    assert code == 0, out
    assert out.splitlines()[:2] == [f"https://t.me/{BOT}?start=oost", f"{WEB}/?start=oost"]
    assert {p.name for p in tmp_path.iterdir()} == {
        "routewijzer-oost.svg", "routewijzer-oost.png",
        "routewijzer-web-oost.svg", "routewijzer-web-oost.png"}


@pytest.mark.parametrize("address,why", [
    ("http://hulp.example.org", "https"),
    ("hulp.example.org", "https"),
    ("https://hulp.example.org/?x=1", "query"),
])
def test_a_web_address_that_would_print_badly_is_refused(tmp_path, address, why):
    code, out = run("link", "oost", "--web-url", address, "--out-dir", str(tmp_path))
    assert code == 2 and why in out
    assert list(tmp_path.iterdir()) == []


def test_a_bad_payload_is_refused_for_the_web_chat_too(tmp_path):
    code, out = run("link", "oost-mars", "--web-url", WEB, "--out-dir", str(tmp_path))
    assert code == 2 and "'mars'" in out


def test_card_for_the_web_chat_has_its_qr_code_and_says_the_browser_opens(kb):
    link = make_web_link(kb, WEB, "oost")
    html = render_card(kb, build_card(kb, "oost", "nl", link, TODAY), TODAY)
    url = f"{WEB}/?start=oost"
    assert segno.make(url, error="m", micro=False).svg_inline(
        omitsize=True, title=url, svgclass="qr") in html
    assert "gaat open in je browser" in html and "Telegram gaat open" not in html
    assert "t.me" not in html


def test_card_with_both_prints_the_telegram_link_beside_the_web_code(kb, tmp_path):
    out_file = tmp_path / "kaart.html"
    code, out = run("card", "--area", "zuid", "--out", str(out_file), "--web-url", WEB,
                    "--bot-username", BOT)
    assert code == 0, out
    assert f"the QR code opens {WEB}/?start=zuid" in out
    html = out_file.read_text(encoding="utf-8")
    assert f"Met Telegram: t.me/{BOT}?start=zuid" in html
    assert f"Of open: {WEB.removeprefix('https://')}/?start=zuid" in html


@pytest.mark.skipif(browser.find_browser() is None,
                    reason=f"no Chromium-like browser on PATH ({', '.join(browser.BROWSER_NAMES)})")
def test_the_real_cards_with_both_links_still_fit(kb, tmp_path):
    found = browser.find_browser()
    for district in kb.districts():
        for lang in kb.languages:
            card = build_card(kb, district.id, lang, make_web_link(kb, WEB, district.id), TODAY,
                              beside=make_link(kb, BOT, district.id))
            html_file = tmp_path / f"{district.id}-{lang}.html"
            html_file.write_text(render_card(kb, card, TODAY), encoding="utf-8")
            layout = browser.check_layout(found, html_file)
            assert layout.checked and layout.fits, (district.id, lang, layout)
