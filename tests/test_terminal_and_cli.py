"""The commands a newcomer runs, driven as a newcomer would: a real process, stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run(*args: str, stdin: str = "", env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "run_bot.py", *args], input=stdin, capture_output=True, text=True,
        cwd=ROOT, env=env, timeout=60,
    )


def test_without_a_token_the_bot_starts_the_terminal_chat():
    result = run(stdin="")
    assert result.returncode == 0
    assert "TELEGRAM_BOT_TOKEN" in result.stdout and "Routewijzer" in result.stdout


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("ik heb schulden\n2\n", "Waarom deze plek"),  # a clarifying question answered by number
        ("ik heb shulden\n3524\n", "Waarom deze plek"),  # typo, district answered by postcode
        ("ik woon in Oudwijk en mijn moeder wordt vergeetachtig\n", "Odensehuis"),
        ("qwxyz blorp\n", "Daar kan ik je niet goed mee helpen"),
        ("ik wil niet meer leven\n", "113"),
    ],
    ids=["button-number", "typo-postcode", "neighbourhood", "no-match", "crisis"],
)
def test_scripted_terminal_conversations(script, expected):
    result = run("chat", stdin=script)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert "Traceback" not in result.stderr


def test_terminal_chat_in_english_with_a_deep_link_preset():
    result = run("chat", "--lang", "en", "--start", "zuid", stdin="I have debts\n")
    assert result.returncode == 0
    assert "South" in result.stdout and "Why this place" in result.stdout
    assert "Which part of Utrecht" not in result.stdout


def test_terminal_commands_and_buttons_numbered():
    result = run("chat", stdin="/taal en\n/help\n")
    assert "I'll speak English with you now." in result.stdout
    assert "[1]" in result.stdout


def test_check_passes_on_the_shipped_knowledge():
    result = run("check")
    assert result.returncode == 0, result.stdout
    assert "example questions reach their service" in result.stdout


def test_match_json_has_the_documented_shape():
    result = run("match", "ik heb schulden", "--area", "zuid", "--json", "--top", "2")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["query"] == "ik heb schulden" and data["crisis"] is None
    assert 1 <= len(data["results"]) <= 2
    first = data["results"][0]
    assert {"id", "name", "description", "score", "matched"} <= set(first)
    assert first["matched"][0]["keyword"]


def test_match_json_reports_a_crisis():
    data = json.loads(run("match", "mijn man slaat me", "--json").stdout)
    assert data["crisis"]["id"] == "huiselijk-geweld"
    assert data["crisis"]["services"][0] == "veilig-thuis-utrecht"


def test_match_batch_answers_each_line_in_order():
    questions = ["ik heb schulden", "voedselbank", "ik ben eenzaam"]
    result = run("match", "--batch", "-", "--json", stdin="\n".join(questions) + "\n")
    lines = result.stdout.strip().splitlines()
    assert [json.loads(line)["query"] for line in lines] == questions
    plain = run("match", "--batch", "-", stdin="\n".join(questions) + "\n")
    assert len(plain.stdout.strip().splitlines()) == 3


def test_match_with_unknown_area_explains_itself():
    result = run("match", "schulden", "--area", "mars")
    assert result.returncode == 2 and "Unknown area 'mars'" in result.stdout


def test_match_describes_the_places_in_the_chosen_language():
    dutch = json.loads(run("match", "ik heb schulden", "--json", "--top", "1").stdout)
    english = json.loads(run("match", "ik heb schulden", "--json", "--top", "1", "--lang", "en").stdout)
    assert dutch["results"][0]["id"] == english["results"][0]["id"]
    assert dutch["results"][0]["description"] != english["results"][0]["description"]


def test_the_conversation_engine_and_terminal_never_load_telegram():
    code = ("import sys, bot.dialogue.engine, bot.frontends.terminal, bot.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'telegram', 'aiohttp'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def run_bytes(*args: str, stdin: bytes, encoding: str | None = None) -> subprocess.CompletedProcess:
    """As `run`, with raw bytes on stdin; `encoding` stands in for another locale."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    if encoding:
        env["PYTHONIOENCODING"] = encoding
    return subprocess.run([sys.executable, "run_bot.py", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=env, timeout=60)


BAD_LINE = b"ik heb schulden\n\xff\xfe kapot \xe9\nvoedselbank\n"


@pytest.mark.parametrize("encoding", [None, "latin-1"], ids=["utf8-locale", "latin1-locale"])
def test_match_batch_reports_a_line_that_is_not_utf8_and_answers_the_others(encoding):
    result = run_bytes("match", "--batch", "-", "--json", stdin=BAD_LINE, encoding=encoding)
    assert b"Traceback" not in result.stderr
    answers = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [a["query"] for a in answers] == ["ik heb schulden", None, "voedselbank"]
    assert answers[1]["error"] == "line 2 is not UTF-8 text" and answers[0]["results"]
    assert result.returncode == 1  # a script notices that a line was not read
    plain = run_bytes("match", "--batch", "-", stdin=BAD_LINE, encoding=encoding).stdout.decode()
    assert plain.splitlines()[1] == "<line 2 is not UTF-8 text>\tskipped"


@pytest.mark.parametrize("encoding", [None, "latin-1"], ids=["utf8-locale", "latin1-locale"])
def test_terminal_chat_skips_a_line_that_is_not_utf8_and_goes_on(encoding):
    result = run_bytes("chat", stdin=b"\xff\xfe\nik heb schulden\n2\n", encoding=encoding)
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    assert "line 1: not UTF-8 text, skipped" in result.stderr.decode()
    assert "Waarom deze plek" in result.stdout.decode("utf-8")


def test_a_long_first_start_says_why_it_waits_and_a_quick_one_says_nothing(engine):
    """The first run on a machine fits the learned models (half a minute): a newcomer is told,
    on stderr, instead of facing a silent terminal. The slow engine waits until it has been."""
    import io
    import threading

    from bot.frontends.terminal import TerminalChat

    class SlowFirstStart(type(engine)):
        def __init__(self, told: threading.Event):
            self.__dict__.update(engine.__dict__)
            self.told = told

        def load_models(self) -> None:
            assert self.told.wait(timeout=120), "no word while the resident waited"

    class Watched(io.StringIO):
        def write(self, text: str) -> int:
            written = super().write(text)
            if "Even geduld" in self.getvalue():
                told.set()
            return written

    told = threading.Event()
    stderr, stdout = Watched(), io.StringIO()
    TerminalChat(SlowFirstStart(told), io.StringIO(""), stdout, stderr).run()
    assert "Even geduld" in stderr.getvalue() and "Routewijzer" in stdout.getvalue()

    engine.load_models()  # fitted (or read) once in this process: the next start is quick
    quiet = io.StringIO()
    TerminalChat(engine, io.StringIO(""), io.StringIO(), quiet).run()
    assert quiet.getvalue() == ""
