"""Running it: the webhook server with /healthz, the health check in polling mode, log lines,
and the Docker image answering through the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
import subprocess
import time
import uuid

import aiohttp
import pytest

from bot.frontends.http_server import _serve_webhook, serve_health_while_polling
from bot.frontends.telegram_bot import build_application
from bot.logging_setup import configure_logging
from tests.conftest import ROOT, TUESDAY_MORNING
from tests.fake_telegram import TOKEN, FakeBotAPI

RESIDENT = 1001
SECRET = "geheim-123"
DEADLINE = 60.0  # generous: a busy machine is slow, never wrong


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _health(http: aiohttp.ClientSession, port: int) -> tuple[int, dict]:
    async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
        return answer.status, await answer.json()


async def _until_healthy(http: aiohttp.ClientSession, port: int) -> dict:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        try:
            status, body = await _health(http, port)
            if status == 200:
                return body
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the health endpoint never said ok")


def _update(text: str) -> dict:
    return {"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": RESIDENT, "type": "private"},
        "from": FakeBotAPI.user(RESIDENT), "text": text}}


async def test_webhook_mode_answers_telegram_and_its_health_endpoint(kb, tmp_path):
    api = FakeBotAPI()
    base_url = await api.start()
    app = build_application(kb, TOKEN, knowledge_dir=ROOT / "knowledge", base_url=base_url,
                            data_dir=tmp_path, clock=lambda: TUESDAY_MORNING)
    port, stop = _free_port(), asyncio.Event()
    server = asyncio.create_task(_serve_webhook(
        app, listen="127.0.0.1", port=port, url_path="telegram",
        webhook_url="https://bot.example.org/telegram", secret=SECRET, stop=stop))
    try:
        async with aiohttp.ClientSession() as http:
            body = await _until_healthy(http, port)
            assert body == {"status": "ok", "services": len(kb.services)}
            assert api.webhook == {"url": "https://bot.example.org/telegram",
                                   "secret_token": SECRET}
            url = f"http://127.0.0.1:{port}/telegram"
            update = json.dumps(_update("ik heb schulden en woon in Lunetten"))
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "fout"}):
                async with http.post(url, data=update, headers={
                        "Content-Type": "application/json", **headers}) as answer:
                    assert answer.status == 403
            async with http.post(url, data=update, headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": SECRET}) as answer:
                assert answer.status == 200
            sent = await api.wait_for_messages(RESIDENT, 1)
            assert "Waarom deze plek" in sent[-1].text
            assert len(api.messages_to(RESIDENT)) == 1  # the refused posts were not handled
    finally:
        stop.set()
        await server
        await api.stop()


async def test_polling_mode_serves_a_health_check_once_running(kb, tmp_path):
    api = FakeBotAPI()
    base_url = await api.start()
    app = build_application(kb, TOKEN, knowledge_dir=ROOT / "knowledge", base_url=base_url,
                            data_dir=tmp_path, clock=lambda: TUESDAY_MORNING)
    port = _free_port()
    serve_health_while_polling(app, "127.0.0.1", port)
    await app.initialize()
    await app.post_init(app)  # what run_polling does: the command menu, then /healthz
    try:
        async with aiohttp.ClientSession() as http:
            status, body = await _health(http, port)
            assert (status, body) == (503, {"status": "starting"})
            await app.start()
            assert (await _until_healthy(http, port))["status"] == "ok"
            await app.stop()
    finally:
        await app.post_shutdown(app)
        await app.shutdown()
        await api.stop()


def test_json_logs_are_one_redacted_line_per_event(capsys):
    configure_logging([TOKEN], log_format="json")
    try:
        logging.getLogger("routewijzer.test").warning(
            "sent to %s with token %s\nsecond line", "06 12345678", TOKEN)
        line = capsys.readouterr().err
        assert line.count("\n") == 1
        entry = json.loads(line)
        assert entry["level"] == "WARNING" and entry["logger"] == "routewijzer.test"
        assert TOKEN not in line and "12345678" not in line and "[token]" in entry["message"]
        configure_logging([TOKEN], log_format="text")
        logging.getLogger("routewijzer.test").warning("first\nsecond")
        assert capsys.readouterr().err.count("\n") == 1
    finally:
        logging.getLogger().handlers.clear()


# ---------------------------------------------------------------- the Docker image


def _docker_available() -> str | None:
    """Why Docker cannot be used here, or None when it can."""
    if shutil.which("docker") is None:
        return "no docker command"
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        return "no Docker daemon reachable"
    return None


async def test_docker_image_builds_and_answers_through_the_fake_bot_api(tmp_path):
    why = _docker_available()
    if why:
        pytest.skip(f"Docker is not available ({why}); CI runs this where it is")
    tag = f"routewijzer-test:{uuid.uuid4().hex[:8]}"
    build = await asyncio.to_thread(
        subprocess.run, ["docker", "build", "-q", "-t", tag, str(ROOT)],
        capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stderr[-2000:]
    api = FakeBotAPI()
    base_url = await api.start()  # on 127.0.0.1: the container shares the host's network
    name = f"routewijzer-test-{uuid.uuid4().hex[:8]}"
    try:
        run = subprocess.run(
            ["docker", "run", "-d", "--rm", "--name", name, "--network", "host",
             "-e", f"TELEGRAM_BOT_TOKEN={TOKEN}", "-e", f"TELEGRAM_API_BASE_URL={base_url}",
             "-e", f"ROUTEWIJZER_HEALTH_PORT={_free_port()}", tag],
            capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        api.message(RESIDENT, "ik heb schulden en woon in Lunetten")
        sent = await api.wait_for_messages(RESIDENT, 1, timeout=180)
        assert "Waarom deze plek" in sent[-1].text
        user = subprocess.run(["docker", "exec", name, "id", "-u"], capture_output=True,
                              text=True, timeout=60)
        assert user.stdout.strip() != "0"  # not root
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=120)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=300)
        await api.stop()
