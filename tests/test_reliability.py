"""A resident always gets an answer Telegram accepts; faults around the bot lose nothing.

Property-based tests throw any text at the conversation engine and check every reply the
way Telegram would; the fault tests run the real bot against the fake Bot API while it
fails in the ways networks and servers fail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.dialogue.state import Conversation
from bot.dialogue.types import MAX_BUTTON_DATA_BYTES, Event
from bot.frontends.store import StateStore
from bot.frontends.telegram_bot import FLOOD_MAX_MESSAGES, build_application, render
from bot.logging_setup import configure_logging
from tests.conftest import ROOT, TUESDAY_MORNING
from tests.fake_telegram import DROP, GARBAGE, HANG, TOKEN, FakeBotAPI, parsed_text
from tests.test_telegram import RESIDENT, bot  # noqa: F401 - the running-bot fixture

HOSTILE = [
    "", "   ", "\n\n\t", "a" * 4096, "x" * 4000, "😀🙏🏽💸" * 20, "مرحبا أحتاج مساعدة في الديون",
    "\u200b\u200d\u2060schulden\u200b", "\x00\x07\x1b[31m ik heb schulden \x7f", "<b>hoi</b> &amp; </a>",
    "<script>alert(1)</script> eenzaam", "*_[`schulden`](http://x)_*", "&#x27;&lt;&gt;&", "/",
    "/start " + "z" * 300, "3524" * 500, "ik " * 2000,
]


def _cpu_seconds() -> float:
    """CPU time of this process (the bot's event loop runs here): unlike the wall clock it does
    not grow when other processes share the machine, so bounds on it hold on a busy CI."""
    return time.process_time()


def assert_telegram_accepts(outcome, typed: str) -> None:
    assert outcome.replies, "every message gets a reply"
    for reply in outcome.replies:
        for chunk in render(reply):
            plain = parsed_text(chunk, "HTML")  # raises like Telegram on bad HTML
            assert 0 < len(plain) <= 4096 and plain.strip()
            tags = {part.split(">")[0].split()[0] for part in chunk.split("<")[1:]}
            assert tags <= {"b", "/b"}, f"markup that is not the bot's own: {tags}"
        for row in reply.buttons:
            for button in row:
                assert 0 < len(button.data.encode()) <= MAX_BUTTON_DATA_BYTES
                assert button.label.strip()


@pytest.mark.parametrize("typed", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_messages_get_a_reply_telegram_accepts(engine, typed):
    state = engine.handle(None, Event.start()).state
    started = _cpu_seconds()
    outcome = engine.handle(state, Event.text(typed))
    assert _cpu_seconds() - started < 1.0
    assert_telegram_accepts(outcome, typed)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(messages=st.lists(st.text(max_size=200), min_size=1, max_size=4),
       presses=st.lists(st.integers(min_value=0, max_value=20), max_size=3))
def test_any_conversation_always_answers_in_a_form_telegram_accepts(engine, messages, presses):
    outcome = engine.handle(None, Event.start())
    for typed in messages:
        outcome = engine.handle(outcome.state, Event.text(typed))
        assert_telegram_accepts(outcome, typed)
        buttons = [b for r in outcome.replies for row in r.buttons for b in row]
        for press in presses:
            if buttons:
                outcome = engine.handle(outcome.state, Event.button(buttons[press % len(buttons)].data))
                assert_telegram_accepts(outcome, "")
                buttons = [b for r in outcome.replies for row in r.buttons for b in row]


@settings(max_examples=200, deadline=None)
@given(data=st.text(max_size=80))
def test_any_button_data_even_forged_gets_a_sensible_answer(engine, data):
    state = engine.handle(None, Event.start("oost")).state
    outcome = engine.handle(state, Event.button(data))
    assert_telegram_accepts(outcome, data)


@settings(max_examples=100, deadline=None)
@given(stored=st.dictionaries(
    st.sampled_from(sorted(Conversation.__dataclass_fields__)) | st.text(max_size=12),
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.lists(st.text(max_size=5) | st.integers(), max_size=3), max_size=8))
@example(stored={"asked": None})  # found by hypothesis: once crashed the engine
@example(stored={"lang": 5, "shown": "s:x", "urgent": "ja"})
@example(stored={"lang": "", "area": "0"})  # an area the knowledge no longer has
def test_a_damaged_stored_state_becomes_a_fresh_conversation(engine, stored):
    state = Conversation.from_dict(stored)
    for event in (Event.text("ik heb schulden"), Event.button("f:person"), Event.button("t:wijk")):
        assert_telegram_accepts(engine.handle(state, event), "")


# ------------------------------------------------------------------ one message must not stall all

HUGE_PAYLOAD = "a-" * 2040  # 4,080 characters: once cubic to parse, 26 s for everyone


async def test_a_4080_character_start_payload_makes_nobody_wait(bot):  # noqa: F811
    attacker, neighbour = 7101, 7102

    async def cpu_for(payload: str) -> float:
        """CPU the bot spends on the attacker's /start and a neighbour's, sent together."""
        before = len(bot.api.messages_to(attacker))
        started = _cpu_seconds()
        bot.api.message(attacker, f"/start {payload}")
        greeting = (await bot.say(neighbour, "/start"))[-1]
        await bot.api.wait_for_messages(attacker, before + 1)
        assert "Routewijzer" in greeting.text
        return _cpu_seconds() - started

    normal = await cpu_for("oost")
    hostile = await cpu_for(HUGE_PAYLOAD)
    assert "Routewijzer" in bot.api.messages_to(attacker)[-1].text  # the normal greeting
    assert hostile - normal < 0.1, f"the payload cost the event loop {hostile - normal:.2f} s"


_PAYLOAD_PARTS = st.sampled_from(["a", "-", "_", "oost", "zuid", "gezondheid", "geld", "x" * 9,
                                  "-oost", "zuid_", "--", "0", "Z"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(shape=st.tuples(st.lists(_PAYLOAD_PARTS, min_size=1, max_size=8),
                       st.integers(min_value=1, max_value=1200)),
       spaces=st.booleans())
@example(shape=(["a", "-"], 2040), spaces=False)
@example(shape=(["oost", "_"], 820), spaces=False)
def test_no_start_payload_of_any_shape_or_length_costs_more_than_a_glance(engine, shape, spaces):
    parts, repeat = shape
    payload = ("".join(parts) * repeat)[:4090]
    if spaces:
        payload = payload.replace("_", " ")
    started = _cpu_seconds()
    outcome = engine.handle(None, Event.start(payload))
    assert _cpu_seconds() - started < 0.1
    assert_telegram_accepts(outcome, payload)


def test_terminal_chat_with_a_huge_start_payload_greets_at_once():
    """`run_bot.py chat --start` reads the payload the same way: no stall there either."""

    def chat_cpu(payload: str) -> tuple[float, str]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run([sys.executable, "run_bot.py", "chat", "--start", payload],
                                input="", capture_output=True, text=True, cwd=ROOT, timeout=300)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert result.returncode == 0, result.stderr
        return after.ru_utime - before.ru_utime, result.stdout

    normal, _ = chat_cpu("oost")
    hostile, shown = chat_cpu(HUGE_PAYLOAD)
    assert "Routewijzer" in shown
    assert hostile - normal < 1.0  # imports and loading vary a little; the stall was 26 s


# ------------------------------------------------------------------ flooding


@pytest.mark.parametrize("flood", ["bericht {}", "/start", "/privacy"], ids=["text", "start", "privacy"])
async def test_one_resident_flooding_is_throttled_and_others_are_still_answered(bot, flood):  # noqa: F811
    flooder, neighbour = 7001, 7002
    for number in range(100):
        bot.api.message(flooder, flood.format(number))
    started = _cpu_seconds()
    reply = (await bot.say(neighbour, "ik heb schulden en woon in Lunetten"))[-1]
    assert "Waarom deze plek" in reply.text
    assert _cpu_seconds() - started < 5.0  # the flood costs the bot little work
    await bot.settle()
    to_flooder = bot.api.messages_to(flooder)
    assert len(to_flooder) <= FLOOD_MAX_MESSAGES + 2
    assert sum("Rustig aan" in m.text for m in to_flooder) == 1


# ------------------------------------------------------------------ faults


async def test_an_update_the_library_cannot_read_is_skipped_and_the_others_answered(
    bot, capsys  # noqa: F811
):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging([TOKEN], level=logging.DEBUG)  # the bot's own logging, fully verbose
    try:
        bot.api.message(RESIDENT, "ik heb schulden, mijn naam is Jansen")
        bad = bot.api.raw_update({"poll": {"id": "p1", "question": "Geheime vraag van Pietersen?"}})
        bot.api.message(RESIDENT + 1, "ik ben eenzaam, ik ben Pietersen")
        first = await bot.api.wait_for_messages(RESIDENT, 1, timeout=30)
        second = await bot.api.wait_for_messages(RESIDENT + 1, 1, timeout=30)
        await bot.settle()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    assert len(first) == 1 and len(second) == 1
    logged = capsys.readouterr().err
    assert f"skipped update {bad}" in logged
    assert "Jansen" not in logged and "Pietersen" not in logged


@pytest.mark.parametrize(
    "failures",
    [[(500, "Internal Server Error")], [(GARBAGE, "")], [(DROP, "")],
     [(502, "Bad Gateway"), (DROP, "")]],
    ids=["5xx", "not-json", "dropped-connection", "5xx-then-dropped"],
)
async def test_bot_recovers_from_a_failing_telegram_and_handles_each_update_once(
    bot, failures  # noqa: F811
):
    for status, description in failures:
        bot.api.fail_next("getUpdates", status, description)
    bot.api.message(RESIDENT, "/start")
    bot.api.message(RESIDENT + 1, "/start")
    first = await bot.api.wait_for_messages(RESIDENT, 1, timeout=20)
    second = await bot.api.wait_for_messages(RESIDENT + 1, 1, timeout=20)
    await bot.settle()  # every update fetched and handled: a duplicate would be here now
    assert len(bot.api.messages_to(RESIDENT)) == len(first) == 1
    assert len(bot.api.messages_to(RESIDENT + 1)) == len(second) == 1


async def _answered_once(bot, user: int, before: int, timeout: float = 30) -> list:  # noqa: F811
    """The replies to one message, once the resident's next message has been answered too:
    one resident's updates are handled in order, so a duplicate would have come before."""
    sent = await bot.api.wait_for_messages(user, before + 1, timeout=timeout)
    count = len(sent)
    follow_up = await bot.say(user, "/privacy")  # mid-question, the question comes after it
    assert any("Wis mijn gegevens" in str(message.buttons) for message in follow_up)
    return bot.api.messages_to(user)[before:count]


@pytest.mark.parametrize(("method", "status", "description"), [
    ("sendChatAction", 500, "Internal Server Error"),
    ("sendChatAction", 400, "Bad Request: chat not found"),
    ("sendChatAction", DROP, ""),
    ("sendMessage", 500, "Internal Server Error"),
    ("sendMessage", 502, "Bad Gateway"),
    ("sendMessage", GARBAGE, ""),
    ("sendMessage", DROP, ""),
    ("sendMessage", HANG, ""),
], ids=["typing-5xx", "typing-400", "typing-dropped", "send-5xx", "send-502", "send-not-json",
        "send-dropped", "send-timeout"])
async def test_a_message_is_answered_exactly_once_when_one_call_fails_once(
    bot, method, status, description  # noqa: F811
):
    await bot.say(RESIDENT, "/start")
    bot.api.fail_next(method, status, description)
    bot.api.message(RESIDENT, "ik heb schulden")
    replies = await _answered_once(bot, RESIDENT, before=1)
    assert len(replies) == 1 and "In welke wijk" in replies[0].text, [r.text for r in replies]


@pytest.mark.parametrize(("status", "description"), [
    (400, "Bad Request: query is too old and response timeout expired or query ID is invalid"),
    (500, "Internal Server Error"), (DROP, "")], ids=["too-old", "5xx", "dropped"])
async def test_a_tap_is_answered_when_ending_the_buttons_spinner_fails(bot, status, description):  # noqa: F811
    await bot.say(RESIDENT, "/start")
    question = (await bot.say(RESIDENT, "ik heb schulden"))[-1]
    bot.api.fail_next("answerCallbackQuery", status, description)
    bot.api.callback(RESIDENT, next(b["callback_data"] for b in question.buttons
                                    if b["text"] == "Zuid"))
    replies = await _answered_once(bot, RESIDENT, before=2)
    assert len(replies) == 1 and "Waarom deze plek" in replies[0].text


async def test_a_reply_that_never_arrived_does_not_move_the_conversation_on(bot):  # noqa: F811
    await bot.say(RESIDENT, "/start")
    for _ in range(3):  # every attempt at "I'll speak English now" is lost
        bot.api.fail_next("sendMessage", 500, "Internal Server Error")
    told = (await bot.say(RESIDENT, "/taal en"))[-1]
    assert "er ging bij mij iets mis" in told.text  # told in the language they last saw
    card = (await bot.say(RESIDENT, "ik heb schulden en woon in Lunetten"))[-1]
    assert "Waarom deze plek" in card.text  # still Dutch: the switch was never confirmed


async def test_bot_recovers_when_telegram_is_unreachable_for_a_while(bot):  # noqa: F811
    await bot.api.stop()  # connections are refused from now on
    await asyncio.sleep(1.0)
    await bot.api.start(bot.api.port)
    bot.api.message(RESIDENT, "/start")
    sent = await bot.api.wait_for_messages(RESIDENT, 1, timeout=30)
    assert "Routewijzer" in sent[-1].text


# ------------------------------------------------------------------ persistence


def _damage_in_place(path: Path) -> None:
    """Overwrite a file the bot has open without truncating it (SQLite maps its -shm file)."""
    with path.open("r+b") as file:
        file.write(b"not a database any more!" * (path.stat().st_size // 24 + 1))


async def test_a_store_failing_while_running_gives_the_error_reply_then_recovers(bot):  # noqa: F811
    await bot.say(RESIDENT, "/start")
    data, gone = bot.data_dir, bot.data_dir.with_name("data-gone")
    data.rename(gone)  # the disk goes away under the running bot ...
    for path in gone.iterdir():
        _damage_in_place(path)  # ... and what the bot had open is garbage
    data.write_text("not a directory")
    for user in (RESIDENT, RESIDENT + 1):  # nobody gets silence
        told = (await bot.say(user, "ik heb schulden"))[-1]
        assert "er ging bij mij iets mis" in told.text
    data.unlink()
    data.mkdir()  # the disk is back: no restart needed
    card = (await bot.say(RESIDENT, "ik heb schulden en woon in Lunetten"))[-1]
    assert "Waarom deze plek" in card.text

_SAVER = """
import sys
from bot.dialogue.state import Conversation
from bot.frontends.store import StateStore
from bot.matching.matcher import Candidate, Hit
store = StateStore(sys.argv[1])
n = 0
while True:
    n += 1
    state = Conversation(area="zuid", asked=["area"] * (n % 5),
                         candidates=[Candidate(f"dienst-{i}", float(i), (Hit("", "schulden", "exact"),))
                                     for i in range(n % 20)])
    store.save(n % 50, state)
    if n == 1:
        print("saving", flush=True)  # the parent kills only once something was committed
"""


def test_killing_the_bot_during_saves_never_leaves_an_unreadable_state(tmp_path):
    """Independent of machine load: each round waits for the saver to say it has saved (its
    imports alone can take seconds on a busy machine), then kills it a little later each time,
    so the kill lands at different points of a save."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_ in range(6):
        saver = subprocess.Popen([sys.executable, "-c", _SAVER, str(tmp_path)], env=env,
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert saver.stdout.readline().strip() == "saving"  # blocks until it has saved
            time.sleep(0.02 * round_)
        finally:
            saver.send_signal(signal.SIGKILL)
            saver.wait()
            saver.stdout.close()
        store = StateStore(tmp_path)
        loaded = [store.load(chat) for chat in range(50)]
        assert any(loaded) and all(s is None or s.area == "zuid" for s in loaded)
        store.close()


# ------------------------------------------------------------------ webhook


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def webhook_bot(kb, tmp_path: Path):
    """The bot behind a webhook on a free local port (api, port), stopped afterwards."""
    api = FakeBotAPI()
    base_url = await api.start()
    app = build_application(kb, TOKEN, knowledge_dir=ROOT / "knowledge", base_url=base_url,
                            data_dir=tmp_path, clock=lambda: TUESDAY_MORNING)
    port = _free_port()
    await app.initialize()
    await app.start()
    await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="telegram",
                                    webhook_url="https://bot.example.org/telegram",
                                    secret_token="geheim-123")
    try:
        yield api, app, port
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await api.stop()


async def test_webhook_refuses_requests_without_telegrams_secret_token(kb, tmp_path):
    async with webhook_bot(kb, tmp_path) as (api, app, port):
        assert api.webhook == {"url": "https://bot.example.org/telegram",
                               "secret_token": "geheim-123"}
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": 0, "chat": {"id": RESIDENT, "type": "private"},
            "from": FakeBotAPI.user(RESIDENT), "text": "ik heb schulden en woon in Lunetten"}}
        url = f"http://127.0.0.1:{port}/telegram"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "fout"}):
                async with http.post(url, data=json.dumps(update), headers={
                        "Content-Type": "application/json", **headers}) as answer:
                    assert answer.status == 403
            await app.update_queue.join()  # a refused request never reaches the queue
            assert api.messages_to(RESIDENT) == []
            async with http.post(url, data=json.dumps(update), headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": "geheim-123"}) as answer:
                assert answer.status == 200
        sent = await api.wait_for_messages(RESIDENT, 1)
        assert "Waarom deze plek" in sent[-1].text


async def test_webhook_update_the_library_cannot_read_is_not_logged(kb, tmp_path, capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging([TOKEN], level=logging.DEBUG)
    try:
        async with webhook_bot(kb, tmp_path) as (_, _, port):
            bad = {"update_id": 7, "poll": {"id": "p1", "question": "Geheime vraag van Pietersen?"}}
            async with aiohttp.ClientSession() as http, http.post(
                    f"http://127.0.0.1:{port}/telegram", data=json.dumps(bad), headers={
                        "Content-Type": "application/json",
                        "X-Telegram-Bot-Api-Secret-Token": "geheim-123"}) as answer:
                assert answer.status == 400
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    logged = capsys.readouterr().err
    assert "Received data left out of the log" in logged and "Pietersen" not in logged


def test_state_file_that_is_not_a_database_is_set_aside_not_fatal(tmp_path: Path):
    (tmp_path / "conversations.sqlite3").write_bytes(b"this is not sqlite" * 100)
    store = StateStore(tmp_path)
    store.save(1, Conversation(area="oost"))
    assert store.load(1).area == "oost"
    assert list(tmp_path.glob("conversations.damaged-*"))


def test_damaged_copies_expire_like_conversations(tmp_path: Path):
    (tmp_path / "conversations.sqlite3").write_bytes(b"this is not sqlite" * 100)
    store = StateStore(tmp_path, max_idle_seconds=3600)
    (copy,) = tmp_path.glob("conversations.damaged-*")
    assert copy.stat().st_mode & 0o777 == 0o600
    store.expire()
    assert copy.exists()  # written just now: kept as long as a conversation would be
    os.utime(copy, (time.time() - 3601, time.time() - 3601))
    store.expire()
    assert not copy.exists()


_WORDS = st.sampled_from(
    ["start", "opnieuw", "taal", "help", "privacy", "oost", "zuid-gezondheid", "a:oost",
     "s:buurtteams-utrecht", "f:person", "f:yes", "f:other", "u:1", "w:ouderen", "x:area",
     "c:forget", "l:en", "t:wijk", "3524", "ik heb schulden", "ja", "nee", ""]
) | st.text(max_size=30)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(events=st.lists(st.tuples(st.sampled_from(["start", "text", "button", "command",
                                                  "unsupported"]), _WORDS, _WORDS),
                       min_size=1, max_size=8),
       hint=st.none() | st.text(max_size=5))
def test_any_sequence_of_events_stored_between_each_always_answers(engine, events, hint):
    state = None
    for kind, value, argument in events:
        event = Event.command(value, argument) if kind == "command" else Event(kind, value, argument)
        outcome = engine.handle(state, event, lang_hint=hint)
        assert_telegram_accepts(outcome, value)
        state = Conversation.from_dict(outcome.state.to_dict())  # as the bot stores it
