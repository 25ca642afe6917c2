"""For the people who run the bot: the report in a real browser, `diff`, `/reload`'s guard
and `/stats`' unmet terms through the fake Bot API."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from bot.cli import main
from bot.dialogue import buttons
from bot.dialogue.engine import Engine
from bot.dialogue.types import Event
from bot.frontends.telegram_bot import RELOAD_CONFIRM
from bot.insights import Insights
from bot.insights.report import BAR_COLOUR
from bot.knowledge.loader import DEFAULT_DIRECTORY
from bot.sharing.browser import find_browser
from tests.conftest import TUESDAY_MORNING
from tests.test_insights import resident_says
from tests.test_telegram import ADMIN, RESIDENT, bot  # noqa: F401 (the running bot fixture)

SYNONYM_ANCHOR = "    blut: [geldzorgen, geld]\n"
SUICIDE_LINES = "    services: [zelfmoordpreventie-113, alarmnummer-112]"
SUICIDE_112_FIRST = "    services: [alarmnummer-112, zelfmoordpreventie-113]"


def put_112_before_113(knowledge: Path) -> None:
    """The emergency routing change the tests make: 112 before 113 for suicide."""
    crisis = knowledge / "crisis.yaml"
    crisis.write_text(crisis.read_text(encoding="utf-8").replace(
        SUICIDE_LINES, SUICIDE_112_FIRST, 1), encoding="utf-8")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


def edited(tmp_path: Path, name: str, file: str, old: str, new: str) -> Path:
    target = tmp_path / name
    shutil.copytree(DEFAULT_DIRECTORY, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


# ---------------------------------------------------------------- diff


def test_diff_of_an_added_synonym_lists_the_moved_answers(tmp_path):
    after = edited(tmp_path, "after", "synonyms.yaml", SYNONYM_ANCHOR,
                   SYNONYM_ANCHOR + "    schulden: [voedselbank]\n")
    code, out = run("diff", "--before", str(DEFAULT_DIRECTORY), "--after", str(after))
    assert code == 0, out
    assert "'schulden' [oost]: answer buurtteam-oost → answer voedselbank-utrecht" in out
    assert "EMERGENCY" not in out


def test_diff_of_a_broken_crisis_rule_exits_non_zero(tmp_path):
    after = edited(tmp_path, "after", "crisis.yaml", SUICIDE_LINES, SUICIDE_112_FIRST)
    code, out = run("diff", "--before", str(DEFAULT_DIRECTORY), "--after", str(after))
    assert code == 3
    assert "EMERGENCY" in out and "zelfmoordpreventie-113" in out and "alarmnummer-112" in out


def test_diff_against_a_git_revision(tmp_path):
    """`--rev` reads the knowledge as committed: here a repository whose working copy lost a
    crisis phrase set since its last commit."""
    repo = tmp_path / "repo"
    shutil.copytree(DEFAULT_DIRECTORY, repo / "knowledge")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "knowledge"], check=True)
    put_112_before_113(repo / "knowledge")
    code, out = run("--knowledge", str(repo / "knowledge"), "diff", "--rev", "HEAD")
    assert code == 3 and "EMERGENCY" in out
    code, out = run("diff")
    assert code == 2 and "--rev" in out


# ---------------------------------------------------------------- report in a browser


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat = 8, b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 255
        rows.append(bytes(line))
        previous = line
    return width, channels, rows


def test_html_report_opens_in_a_real_browser_and_shows_its_bars(tmp_path, kb):
    browser = find_browser()
    if browser is None:
        pytest.skip("no Chromium on PATH (apt-get install chromium, or scripts/ensure-browser.sh)")
    data = tmp_path / "data"
    insights = Insights(data, clock=lambda: TUESDAY_MORNING)
    engine = Engine(kb, clock=lambda: TUESDAY_MORNING)
    for resident in (1, 2, 3):
        resident_says(engine, insights, resident, "mijn trompet is ontstemd")
        chat = resident_says(engine, insights, resident, "ik heb schulden, ik woon in Lunetten")
        previous, event = chat.state, Event.button(buttons.encode(buttons.Kind.FEEDBACK, "other"))
        insights.record(event, chat.send(event), f"test:{resident}", previous=previous, kb=kb)
    insights.close()
    page = tmp_path / "report.html"
    code, out = run("report", "--since", "36500d", "--data-dir", str(data), "--out", str(page))
    assert code == 0, out
    with tempfile.TemporaryDirectory() as profile:
        common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  f"--user-data-dir={profile}", "--hide-scrollbars"]
        dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True,
                             text=True, timeout=120, check=True).stdout
        shot = tmp_path / "report.png"
        subprocess.run([*common, f"--screenshot={shot}", "--window-size=1000,2400",
                        page.as_uri()], capture_output=True, timeout=120, check=True)
    for chart in ("themes", "districts", "terms", "rejected"):
        assert f'id="{chart}"' in dom
    assert "trompet" in dom and "Plekken die niemand te zien kreeg" in dom
    _, channels, rows = _png_pixels(shot.read_bytes())
    bar = bytes.fromhex(BAR_COLOUR[1:])
    coloured = sum(
        1 for row in rows for x in range(0, len(row), channels) if row[x:x + 3] == bar
    )
    assert coloured > 2000, "the bars are not drawn"


# ---------------------------------------------------------------- the running bot


async def test_reload_refuses_an_emergency_routing_change_until_the_admin_confirms(bot):  # noqa: F811
    put_112_before_113(bot.knowledge_dir)
    crisis = bot.knowledge_dir / "crisis.yaml"
    reply = (await bot.say(ADMIN, "/reload"))[-1]
    assert "noodgeval" in reply.text and "zelfmoordpreventie-113" in reply.text
    confirm = next(b["callback_data"] for b in reply.buttons
                   if b["callback_data"].startswith(RELOAD_CONFIRM))
    assert len(confirm.encode()) <= 64
    # Still the old routing: 113 first.
    first = (await bot.say(RESIDENT, "ik denk aan zelfmoord"))[0]
    assert first.text.index("113") < first.text.index("112")
    # A resident cannot press the admin's button.
    reply = (await bot.tap(RESIDENT, confirm))[-1]
    assert "Dat commando ken ik niet" in reply.text
    # The files changed again since: the button confirms only what it was shown with.
    crisis.write_text(crisis.read_text(encoding="utf-8").replace(
        "    services: [veilig-thuis-utrecht, alarmnummer-112]",
        "    services: [alarmnummer-112, veilig-thuis-utrecht]", 1), encoding="utf-8")
    reply = (await bot.tap(ADMIN, confirm))[-1]
    assert "noodgeval" in reply.text and "veilig-thuis-utrecht" in reply.text
    confirm = next(b["callback_data"] for b in reply.buttons
                   if b["callback_data"].startswith(RELOAD_CONFIRM))
    reply = (await bot.tap(ADMIN, confirm))[-1]
    assert "opnieuw geladen" in reply.text
    rules = {rule.id: rule for rule in bot.app.bot_data["routewijzer"].engine.kb.crisis}
    assert rules["zelfdoding"].services[0] == rules["huiselijk-geweld"].services[0] == (
        "alarmnummer-112")


async def test_reload_confirm_command_loads_the_change(bot):  # noqa: F811
    put_112_before_113(bot.knowledge_dir)
    reply = (await bot.say(ADMIN, "/reload confirm"))[-1]
    assert "opnieuw geladen" in reply.text


async def test_stats_shows_unmet_terms_of_three_residents_only(bot):  # noqa: F811
    for resident in (5001, 5002, 5003):
        await bot.say(resident, "mijn trompet is ontstemd")
    await bot.say(5004, "mijn saxofoon is ontstemd")
    stats = (await bot.say(ADMIN, "/stats"))[-1]
    assert "trompet 3" in stats.text
    assert "saxofo" not in stats.text and "5001" not in stats.text
