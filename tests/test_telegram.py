"""The real python-telegram-bot Application, over HTTP, against the strict fake Bot API."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.dialogue.types import Button, Reply
from bot.frontends.telegram_bot import build_application, render, start_up
from bot.knowledge.loader import DEFAULT_DIRECTORY
from bot.logging_setup import configure_logging
from tests.conftest import TUESDAY_MORNING
from tests.fake_telegram import TOKEN, FakeBotAPI

ADMIN = 4242
RESIDENT = 1001


class Bot:
    """One running bot plus its fake Telegram, restartable on the same data directory."""

    def __init__(self, kb, api: FakeBotAPI, data_dir: Path, knowledge_dir: Path):
        self.kb, self.api, self.data_dir, self.knowledge_dir = kb, api, data_dir, knowledge_dir
        self.app = None

    async def start(self, base_url: str) -> None:
        self.app = build_application(
            self.kb, TOKEN, knowledge_dir=self.knowledge_dir, base_url=base_url,
            data_dir=self.data_dir, admin_ids=frozenset({ADMIN}), clock=lambda: TUESDAY_MORNING,
        )
        await self.app.initialize()
        await start_up(self.app)
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=1)

    async def stop(self) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()

    async def say(self, user: int, text: str, **kw) -> list:
        before = len(self.api.messages_to(kw.get("chat_id", user)))
        self.api.message(user, text, **kw)
        return (await self.api.wait_for_messages(kw.get("chat_id", user), before + 1))[before:]

    async def tap(self, user: int, data: str) -> list:
        before = len(self.api.messages_to(user))
        self.api.callback(user, data)
        return (await self.api.wait_for_messages(user, before + 1))[before:]

    async def settle(self, timeout: float = 60.0) -> None:
        """Until every update sent so far has been handled, replies and errors included:
        the bot has asked for the updates after the last one, and its queue is done."""
        last = self.api._update_id
        deadline = time.monotonic() + timeout
        while self.api.acknowledged < last:
            assert time.monotonic() < deadline, "the bot never fetched all updates"
            await asyncio.sleep(0.01)
        await asyncio.wait_for(self.app.update_queue.join(), timeout)


@pytest.fixture
async def bot(kb, tmp_path):
    api = FakeBotAPI()
    base_url = await api.start()
    knowledge_dir = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIRECTORY, knowledge_dir)
    running = Bot(kb, api, tmp_path / "data", knowledge_dir)
    running.base_url = base_url
    await running.start(base_url)
    yield running
    await running.stop()
    await api.stop()


def button(sent, label_part: str) -> str:
    for b in sent.buttons:
        if label_part.lower() in b["text"].lower():
            return b["callback_data"]
    raise AssertionError(f"no button {label_part!r} in {[b['text'] for b in sent.buttons]}")


async def test_commands_are_registered_in_dutch_and_english(bot):
    assert [c["command"] for c in bot.api.commands[""]] == ["start", "opnieuw", "taal", "help", "privacy"]
    assert bot.api.commands["en"][1]["description"] == "Start over"


async def test_full_conversation_from_start_to_answer_card(bot, kb):
    greeting = (await bot.say(RESIDENT, "/start"))[-1]
    assert "112" in greeting.text and len(greeting.buttons) == 5
    question = (await bot.say(RESIDENT, "ik zoek een buurthuis"))[-1]
    assert "wijk" in question.text.lower()
    assert any(s.method == "sendChatAction" for s in bot.api.sent)
    card = (await bot.tap(RESIDENT, button(question, "Zuid")))[-1]
    assert card.params["parse_mode"] == "HTML" and card.text.startswith("<b>")
    assert "Waarom deze plek" in card.text
    assert any(s.method == "answerCallbackQuery" for s in bot.api.sent)
    assert bot.api.rejected == []


@pytest.mark.parametrize(("payload", "expect"), [("oost", "Oost"), ("zuid", "Zuid"),
                                                 ("oost-gezondheid", "Gezondheid"),
                                                 ("onbekend", "Routewijzer")])
async def test_deep_links(bot, payload, expect):
    await bot.say(RESIDENT, f"/start {payload}")
    await bot.settle()  # a theme payload answers with a greeting and then the theme's places
    assert any(expect in s.text for s in bot.api.messages_to(RESIDENT))
    assert bot.api.rejected == []


async def test_typed_answer_to_a_clarifying_question(bot):
    await bot.say(RESIDENT, "/start")
    await bot.say(RESIDENT, "ik heb schulden")
    card = (await bot.say(RESIDENT, "Lunetten"))[-1]
    assert "Waarom deze plek" in card.text


async def test_something_else_and_talk_to_a_person(bot):
    await bot.say(RESIDENT, "/start oost")
    card = (await bot.say(RESIDENT, "ik heb schulden"))[-1]
    other = (await bot.tap(RESIDENT, button(card, "Iets anders")))[-1]
    assert "Waar zoek je dan hulp" in other.text
    card = (await bot.say(RESIDENT, "ik heb schulden"))[-1]
    person = (await bot.tap(RESIDENT, button(card, "Praat met iemand")))[-1]
    assert "Oost voor Elkaar" in person.text or "Oost" in person.text


async def test_crisis_message_gets_emergency_numbers_first(bot):
    sent = await bot.say(RESIDENT, "ik wil niet meer leven")
    assert "113" in sent[0].text and "0800-0113" in sent[0].text


@pytest.mark.parametrize(("extra", "word"), [
    ({"voice": {"file_id": "v", "file_unique_id": "v", "duration": 2}}, "spraakberichten"),
    ({"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}, "foto"),
    ({"sticker": {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                  "is_animated": False, "is_video": False, "type": "regular"}}, "stickers"),
    ({"document": {"file_id": "d", "file_unique_id": "d"}}, "bestanden"),
    ({"location": {"latitude": 52.08, "longitude": 5.14}}, "locaties"),
    ({"contact": {"phone_number": "+31612345678", "first_name": "Jan"}}, "contactkaarten"),
    ({"dice": {"emoji": "🎲", "value": 3}}, "dobbelstenen"),
])
async def test_non_text_messages_get_a_kind_reply(bot, extra, word):
    bot.api.message(RESIDENT, None, **extra)
    sent = await bot.api.wait_for_messages(RESIDENT, 1)
    assert word in sent[-1].text


async def test_language_switch_with_taal(bot):
    await bot.say(RESIDENT, "/taal")
    sent = (await bot.tap(RESIDENT, "l:en"))[-1]
    assert "English" in sent.text
    card = (await bot.say(RESIDENT, "I have debts and live in Lunetten"))[-1]
    assert "Why this place" in card.text


async def test_english_telegram_user_is_answered_in_english(bot):
    bot.api.message(2002, "/start", language_code="en")
    sent = await bot.api.wait_for_messages(2002, 1)
    assert "Tell me in your own words" in sent[-1].text


async def test_group_chat_answers_only_commands_and_mentions(bot):
    group = -100555
    bot.api.message(RESIDENT, "ik heb schulden", chat_type="supergroup", chat_id=group)
    bot.api.message(RESIDENT, "@buurvrouw_anna ik heb schulden", chat_type="supergroup",
                    chat_id=group)  # a mention of someone else is not for the bot
    await bot.settle()
    assert bot.api.messages_to(group) == []
    sent = await bot.say(RESIDENT, "@routewijzer_test_bot ik heb schulden",
                         chat_type="supergroup", chat_id=group)
    assert sent


async def test_a_channel_post_mentioning_the_bot_gets_no_answer_and_no_error(bot, caplog):
    channel = -100777
    bot.api.message(None, "@routewijzer_test_bot ik heb schulden", chat_type="channel",
                    chat_id=channel)
    bot.api.message(None, "/start", chat_type="channel", chat_id=channel)
    await bot.settle()
    assert bot.api.messages_to(channel) == []  # nothing posted into the channel
    assert "handling an update failed" not in caplog.text
    assert "Waarom deze plek" in (await bot.say(RESIDENT, "ik heb schulden in Lunetten"))[-1].text


async def test_conversation_survives_a_restart(bot):
    await bot.say(RESIDENT, "/start")
    question = (await bot.say(RESIDENT, "ik heb schulden"))[-1]
    await bot.stop()
    await bot.start(bot.base_url)
    card = (await bot.tap(RESIDENT, button(question, "Zuid")))[-1]
    assert "Waarom deze plek" in card.text


async def test_stale_button_is_answered_gracefully(bot):
    sent = (await bot.tap(RESIDENT, "q:from-an-old-version"))[-1]
    assert "eerder gesprek" in sent.text and sent.buttons


async def test_flood_control_429_is_respected(bot):
    bot.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    started = time.monotonic()
    sent = await bot.say(RESIDENT, "/start")
    assert sent and sent[-1].at - started >= 1.0


async def test_admin_reload_with_broken_file_keeps_old_knowledge(bot):
    services = bot.knowledge_dir / "services"
    broken = next(iter(sorted(services.glob("*.yaml"))))
    broken.write_text(broken.read_text().replace("contact:", "contcat:", 1))
    reply = (await bot.say(ADMIN, "/reload"))[-1]
    assert "fouten" in reply.text and "unknown field" in reply.text
    card = (await bot.say(RESIDENT, "voedselbank, ik woon in Lunetten"))[-1]
    assert "Voedselbank" in card.text


async def test_admin_reload_of_good_knowledge_and_stats(bot):
    reply = (await bot.say(ADMIN, "/reload"))[-1]
    assert "opnieuw geladen" in reply.text
    await bot.say(RESIDENT, "/start")
    await bot.say(RESIDENT, "ik heb schulden en woon in Lunetten")
    stats = (await bot.say(ADMIN, "/stats"))[-1]
    assert "event:start 1" in stats.text and "reply:answer 1" in stats.text
    assert "schulden" not in stats.text and str(RESIDENT) not in stats.text  # anonymous


async def test_residents_are_answered_while_a_reload_runs_and_the_index_is_built_once(
    bot, monkeypatch
):
    import bot.frontends.telegram_bot as telegram_bot
    from bot.matching.index import SearchIndex

    entered, release = threading.Event(), threading.Event()
    built: list[SearchIndex] = []
    real_build = SearchIndex.build

    def held_checks(directory, **kwargs):
        entered.set()
        release.wait(timeout=120)  # the reload takes as long as the test wants
        return real_checks(directory, **kwargs)

    def counted_build(kb):
        built.append(index := real_build(kb))
        return index

    real_checks = telegram_bot.run_checks
    monkeypatch.setattr(telegram_bot, "run_checks", held_checks)
    monkeypatch.setattr(SearchIndex, "build", staticmethod(counted_build))
    bot.api.message(ADMIN, "/reload")
    while not entered.is_set():  # the event loop gets here only if the reload does not block it
        await asyncio.sleep(0.01)
    greeting = (await bot.say(RESIDENT, "/start"))[-1]
    assert "Routewijzer" in greeting.text
    assert bot.api.messages_to(ADMIN) == []  # answered while the reload was still running
    release.set()
    reply = (await bot.api.wait_for_messages(ADMIN, 1, timeout=120))[-1]
    assert "opnieuw geladen" in reply.text
    assert len(built) == 1


async def test_after_a_reload_the_bot_still_understands_situations_without_keywords(bot):
    """The reloaded engine keeps the learned router: no keyword says "debts" here."""
    message = "de enveloppen stapelen zich op, ik maak ze niet meer open"
    helpers = ("Buurtteam", "U Centraal", "schulden", "Geldfit")
    await bot.say(RESIDENT, "/start")
    before = await bot.say(RESIDENT, message)
    assert any(name in m.text for m in before for name in helpers)
    assert "opnieuw geladen" in (await bot.say(ADMIN, "/reload"))[-1].text
    await bot.say(RESIDENT, "/start")
    after = await bot.say(RESIDENT, message)
    assert any(name in m.text for m in after for name in helpers)


async def test_non_admin_gets_the_unknown_command_reply(bot):
    for command in ("/reload", "/stats"):
        reply = (await bot.say(RESIDENT, command))[-1]
        assert "Dat commando ken ik niet" in reply.text


async def test_link_command_prints_the_deep_link(bot):
    reply = (await bot.say(RESIDENT, "/link zuid-gezondheid"))[-1]
    assert "https://t.me/routewijzer_test_bot?start=zuid-gezondheid" in reply.text
    reply = (await bot.say(RESIDENT, "/link mars"))[-1]
    assert "kan ik niet maken" in reply.text
    # The same validation as `run_bot.py link`: a half-understood payload is refused too.
    reply = (await bot.say(RESIDENT, "/link oost-mars"))[-1]
    assert "kan ik niet maken" in reply.text and "oost-gezondheid" in reply.text


async def test_privacy_deletes_the_stored_state(bot):
    await bot.say(RESIDENT, "/start zuid")
    database = bot.data_dir / "conversations.sqlite3"

    def stored_chats() -> list[int]:
        with sqlite3.connect(database) as db:
            return [row[0] for row in db.execute("SELECT chat_id FROM conversations")]

    assert stored_chats() == [RESIDENT]
    await bot.say(RESIDENT, "/privacy")
    await bot.tap(RESIDENT, "c:forget")
    assert stored_chats() == []


def _files_holding(directory: Path, marker: bytes) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if marker in p.read_bytes())


async def test_privacy_deletion_leaves_nothing_readable_on_disk(bot):
    await bot.say(RESIDENT, "/start")
    await bot.say(RESIDENT, "ik heb schulden")  # stored: the keyword 'schulden' it matched
    await bot.say(RESIDENT + 1, "ik ben eenzaam")  # a neighbour's conversation stays
    # A copy set aside when the database was once damaged may hold this resident too.
    (bot.data_dir / "conversations.damaged-1700000000").write_bytes(b"...schulden...")
    assert _files_holding(bot.data_dir, b"schulden")
    await bot.say(RESIDENT, "/privacy")
    await bot.tap(RESIDENT, "c:forget")
    assert _files_holding(bot.data_dir, b"schulden") == []  # not in the WAL, not freed pages
    with sqlite3.connect(bot.data_dir / "conversations.sqlite3") as db:
        assert [r[0] for r in db.execute("SELECT chat_id FROM conversations")] == [RESIDENT + 1]


async def test_the_data_directory_and_files_are_readable_by_the_bot_only(bot):
    await bot.say(RESIDENT, "ik heb schulden")
    assert bot.data_dir.stat().st_mode & 0o777 == 0o700
    files = list(bot.data_dir.iterdir())
    assert files and {f.name: f.stat().st_mode & 0o777 for f in files} == {
        f.name: 0o600 for f in files}


async def test_errors_are_logged_without_text_or_token_and_the_resident_is_told(bot, capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging([TOKEN], level=logging.DEBUG)  # the bot's own logging, fully verbose
    try:
        bot.api.fail_next("sendMessage", 400, "Bad Request: chat not found")
        sent = await bot.say(RESIDENT, "mijn geheime naam is Jansen 0612345678")
        await bot.settle()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    assert "mis" in sent[-1].text  # "er ging bij mij iets mis": the resident is told
    logged = capsys.readouterr().err
    assert "handling an update failed" in logged  # the failure itself is logged ...
    assert "Jansen" not in logged and "0612345678" not in logged  # ... without what they wrote
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged


def test_long_replies_are_split_under_the_limit_and_escaped():
    reply = Reply("<script>&" + ("lange regel " * 50 + "\n") * 30, title="A & B <c>",
                  buttons=((Button("x", "s:x"),),))
    chunks = render(reply)
    assert len(chunks) > 1 and all(len(c) <= 4096 for c in chunks)
    assert chunks[0].startswith("<b>A &amp; B &lt;c&gt;</b>")
    assert "&lt;script&gt;&amp;" in chunks[0]
    one_word = render(Reply("x" * 9000))
    assert all(len(c) <= 4096 for c in one_word) and sum(len(c) for c in one_word) == 9000
