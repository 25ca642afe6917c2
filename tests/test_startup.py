"""Starting the Telegram bot as an operator does: `run_bot.py` in a real process.

A setting the bot cannot run with, or a token Telegram rejects, gives one clear line and exit
code 2, never a traceback (which would print the token); a Bot API that is not there yet is
waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fake_telegram import TOKEN, FakeBotAPI

RESIDENT = 1001


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(data_dir: Path, base_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTEWIJZER_")}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=base_url,
               ROUTEWIJZER_DATA_DIR=str(data_dir), **settings)
    return env


def _start_bot(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run_bot.py"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def _one_clear_line(result: subprocess.CompletedProcess, *expected: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(part in lines[0] for part in expected), lines[0]
    assert TOKEN.split(":")[1] not in result.stderr + result.stdout


@pytest.mark.parametrize("days", ["abc", "nan", "inf", "0", "-3"])
def test_a_forget_period_the_bot_cannot_keep_is_one_clear_line(tmp_path, days):
    # Nothing listens at this address: the setting must be refused before any network use.
    env = _env(tmp_path / "data", f"http://127.0.0.1:{_free_port()}/bot",
               ROUTEWIJZER_FORGET_AFTER_DAYS=days)
    _one_clear_line(_start_bot(env), "ROUTEWIJZER_FORGET_AFTER_DAYS must be a number of days",
                    repr(days))


def test_a_data_directory_that_is_a_file_is_one_clear_line(tmp_path):
    data = tmp_path / "data"
    data.write_text("not a directory")
    env = _env(data, f"http://127.0.0.1:{_free_port()}/bot")
    _one_clear_line(_start_bot(env), "ROUTEWIJZER_DATA_DIR", str(data))


async def _run_bot_process(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "run_bot.py", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_a_token_telegram_rejects_is_one_clear_line_without_the_token(tmp_path):
    api = FakeBotAPI(token="987654321:AAOtherTokenThatTelegramDoesNotKnow_xyz")
    base_url = await api.start()
    try:
        bot = await _run_bot_process(_env(tmp_path / "data", base_url))
        out, err = await asyncio.wait_for(bot.communicate(), timeout=120)
    finally:
        await api.stop()
    result = subprocess.CompletedProcess([], bot.returncode, out.decode(), err.decode())
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr
    assert TOKEN.split(":")[1] not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "Telegram rejected TELEGRAM_BOT_TOKEN" in errors[0]


async def test_a_bot_api_unreachable_at_start_up_is_waited_for(tmp_path):
    port = _free_port()
    bot = await _run_bot_process(_env(tmp_path / "data", f"http://127.0.0.1:{port}/bot"))
    api = FakeBotAPI()
    try:
        while True:  # until the bot says it is waiting (however long its start takes)
            line = await asyncio.wait_for(bot.stderr.readline(), timeout=120)
            assert line, "the bot exited instead of waiting for the Bot API"
            if b"cannot be reached" in line:
                break
        await api.start(port)  # the Bot API comes up
        api.message(RESIDENT, "/start")
        greeting = await api.wait_for_messages(RESIDENT, 1, timeout=120)
        assert "Routewijzer" in greeting[-1].text
    finally:
        if bot.returncode is None:
            bot.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bot.communicate(), timeout=60)
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        await api.stop()
