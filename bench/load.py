"""Load through Telegram's protocol and through the web chat: many residents at once.

    python bench/load.py [--mode both|telegram|web] [--residents 1000] [--timeout 300]

Two processes, one core each. The bot process runs the real python-telegram-bot Application
(long polling, everything as in production except Telegram's send-rate limiter, which would
cap the bot at Telegram's own 30 messages/s and hide its speed). The other process runs the
strict fake Bot API server (tests/fake_telegram.py) and the residents: each one starts,
asks a question, answers the district question by button and says the answer helped; a
resident's next step is sent when the bot's reply to the last one arrives. Reported: updates
handled per second, reply latency p50 / p95 (update queued -> reply received), lost and
duplicated updates, errors, and the bot's peak memory.

Web mode does the same conversation against `run_bot.py web` on 127.0.0.1: the real aiohttp
web chat in its own process on one core, the residents (aiohttp clients, each with its own
conversation cookie) on the other. A resident opens the page (GET /), types the question
(POST /api/message), taps the district and "dit helpt"; each request waits for the answer to
the one before. The per-address flood limit is lifted, as all residents share 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.speed import percentile  # noqa: E402
from tests.fake_telegram import TOKEN, FakeBotAPI  # noqa: E402

# What each resident does; a button step is skipped when the bot did not offer that button
# (for example no district question because the answer would not change).
SCRIPT = (
    ("text", "/start"),
    ("text", "ik zoek een buurthuis waar ik mensen kan ontmoeten"),
    ("button", "Zuid"),
    ("button", "Dit helpt"),
)
FIRST_RESIDENT = 500_000


class Residents(FakeBotAPI):
    """The fake Bot API plus the residents who use it, each following SCRIPT."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.first = FIRST_RESIDENT
        self.step: dict[int, int] = {}
        self.pushed_at: dict[int, float] = {}
        self.updates_sent: Counter = Counter()
        self.replies: Counter = Counter()
        self.latencies: list[float] = []
        self.finished = asyncio.Event()
        self.done = 0
        self.started = 0.0
        self.ended = 0.0

    def begin(self, count: int) -> None:
        """A wave of `count` new residents, all starting at once."""
        self.first += self.count
        self.count, self.done, self.ended = count, 0, 0.0
        self.step, self.pushed_at, self.latencies = {}, {}, []
        self.updates_sent, self.replies = Counter(), Counter()
        self.sent, self.finished = [], asyncio.Event()
        self.started = time.perf_counter()
        for user in range(self.first, self.first + count):
            self.step[user] = 0
            self._act(user, None)

    def _act(self, user: int, last_buttons: list[dict] | None) -> None:
        while self.step[user] < len(SCRIPT):
            kind, value = SCRIPT[self.step[user]]
            self.step[user] += 1
            if kind == "text":
                self.message(user, value)
            else:
                data = next((b["callback_data"] for b in last_buttons or []
                             if value.lower() in b["text"].lower()), None)
                if data is None:
                    continue
                self.callback(user, data)
            self.pushed_at[user] = time.perf_counter()
            self.updates_sent[user] += 1
            return
        self.done += 1
        if self.done == self.count:
            self.ended = time.perf_counter()
            self.finished.set()

    async def api_sendmessage(self, params):
        result = await super().api_sendmessage(params)
        user = int(params["chat_id"])
        if params.get("reply_markup") and user in self.step:
            # A reply with buttons ends the bot's answer to one step.
            self.replies[user] += 1
            self.latencies.append((time.perf_counter() - self.pushed_at[user]) * 1000)
            buttons = self.sent[-1].buttons
            asyncio.get_running_loop().call_soon(self._act, user, buttons)
        return result

    def report(self) -> dict:
        lost = sum(max(0, self.updates_sent[u] - self.replies[u]) for u in self.step)
        duplicated = sum(max(0, self.replies[u] - self.updates_sent[u]) for u in self.step)
        elapsed = (self.ended or time.perf_counter()) - self.started
        ordered = sorted(self.latencies) or [0.0]
        return {
            "residents": self.count, "finished": self.done,
            "updates": sum(self.updates_sent.values()), "seconds": elapsed,
            "updates_per_s": sum(self.updates_sent.values()) / elapsed if elapsed else 0.0,
            "p50_ms": statistics.median(ordered),
            "p95_ms": percentile(ordered, 95),
            "lost": lost, "duplicated": duplicated, "rejected": len(self.rejected),
        }


async def serve_residents(port: int, timeout: float) -> None:
    """The residents' process: 'go N' runs a wave of N residents and prints its report."""
    api = Residents()
    await api.start(port)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while (command := (await loop.run_in_executor(None, sys.stdin.readline)).split()):
        if command[0] != "go":
            break
        api.begin(int(command[1]))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(api.finished.wait(), timeout)
        print(json.dumps(api.report()), flush=True)
    await api.stop()


class _ErrorCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class BotUnderLoad:
    """The real bot in this process, and the residents' process beside it."""

    def __init__(self, timeout: float, forget_after_days: float | None = None):
        self.timeout = timeout
        self.forget_after_days = forget_after_days
        self.errors = _ErrorCounter()
        self.data_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"routewijzer-load-{os.getpid()}"

    async def __aenter__(self) -> BotUnderLoad:
        from bot.frontends.telegram_bot import build_application
        from bot.knowledge.loader import load_knowledge

        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {0})  # the bot gets one core; the residents the other
        port = _free_port()
        self.child = subprocess.Popen(
            _pinned([sys.executable, __file__, "--serve", str(port), "--timeout",
                     str(self.timeout)], 1 if (os.cpu_count() or 1) > 1 else 0),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.child.stdout.readline().strip() == "ready"
        logging.getLogger().addHandler(self.errors)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        extra = {} if self.forget_after_days is None else {
            "forget_after_days": self.forget_after_days}
        self.app = build_application(
            load_knowledge(), TOKEN, knowledge_dir=ROOT / "knowledge",
            base_url=f"http://127.0.0.1:{port}/bot", data_dir=self.data_dir, rate_limit=False,
            **extra)
        await self.app.initialize()
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=5)
        return self

    async def wave(self, residents: int) -> dict:
        """Send `residents` new residents through whole conversations; their report."""
        self.child.stdin.write(f"go {residents}\n")
        self.child.stdin.flush()
        line = await asyncio.get_running_loop().run_in_executor(None, self.child.stdout.readline)
        result = json.loads(line)
        result["errors"] = self.errors.count
        result["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return result

    async def __aexit__(self, *exc) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()
        self.child.stdin.write("stop\n")
        self.child.stdin.flush()
        self.child.wait(timeout=30)
        logging.getLogger().removeHandler(self.errors)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pinned(command: list[str], core: int) -> list[str]:
    return ["taskset", "-c", str(core), *command] if shutil.which("taskset") else command


async def main_async(residents: int, timeout: float) -> dict:
    async with BotUnderLoad(timeout) as bot:
        await asyncio.sleep(0.5)  # polling has started
        return await bot.wave(residents)


def print_table(result: dict, out=sys.stdout) -> None:
    rows = [
        ("residents (full conversations)", f"{result['finished']:,} of {result['residents']:,}"),
        ("updates handled", f"{result['updates']:,} in {result['seconds']:.1f} s"),
        ("updates per second", f"{result['updates_per_s']:,.0f}   (target >= 300)"),
        ("reply latency p50 / p95", f"{result['p50_ms']:.0f} ms / {result['p95_ms']:.0f} ms"),
        ("lost / duplicated updates", f"{result['lost']} / {result['duplicated']}"),
        ("errors (bot) / rejected (API)", f"{result['errors']} / {result['rejected']}"),
        ("bot peak memory", f"{result['peak_memory_mb']:.0f} MB"),
    ]
    for name, value in rows:
        out.write(f"{name:<32} {value}\n")
    out.write("\nThe bot on one core, the fake Bot API and the residents on the other; "
              "all residents start at once.\n")


# ---------------------------------------------------------------------- the web chat


def serve_web(port: int, data_dir: Path) -> None:
    """The web chat process: serves until stdin says stop, then prints its peak memory."""
    from aiohttp import web

    from bot.dialogue.engine import Engine
    from bot.frontends.store import StateStore
    from bot.frontends.web.server import WebSettings, build_web_app
    from bot.knowledge.loader import load_knowledge

    async def run() -> None:
        settings = WebSettings(address_limit=10**9)  # every resident is 127.0.0.1 here
        store = StateStore(data_dir, kind="web")
        app = build_web_app(Engine(load_knowledge()), store, settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        stored = store.count()
        await runner.cleanup()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"peak_memory_mb": peak, "stored": stored}), flush=True)

    asyncio.run(run())


class WebResidents:
    """Residents in a browser: one conversation cookie each, one request at a time each."""

    def __init__(self, base: str):
        self.base = base
        self.latencies: list[float] = []
        self.requests = 0
        self.errors = 0
        self.finished = 0

    async def _request(self, session, method: str, path: str, cookie: str | None,
                       body: dict | None = None) -> tuple[dict | None, str | None]:
        from aiohttp import ClientError

        headers = {"Accept-Language": "nl-NL", **({"Cookie": cookie} if cookie else {})}
        began = time.perf_counter()
        self.requests += 1
        try:
            async with session.request(method, self.base + path, json=body,
                                       headers=headers) as response:
                payload = await (response.json() if body is not None else response.read())
                if response.status != 200:
                    self.errors += 1
                    return None, cookie
                set_cookie = response.cookies.get("rw_conversation")
                if set_cookie is not None:
                    cookie = f"rw_conversation={set_cookie.value}"
        except (ClientError, OSError, ValueError):
            self.errors += 1
            return None, cookie
        self.latencies.append((time.perf_counter() - began) * 1000)
        return (payload if isinstance(payload, dict) else {}), cookie

    async def resident(self, session) -> None:
        page, cookie = await self._request(session, "GET", "/", None)
        if page is None:
            return
        data, cookie = await self._request(session, "POST", "/api/message", cookie,
                                           {"text": SCRIPT[1][1], "fresh": True, "start": ""})
        for _, label in SCRIPT[2:]:
            if data is None:
                return
            button = next((b["data"] for r in data["replies"] for row in r["buttons"]
                           for b in row if label.lower() in b["label"].lower()), None)
            if button is None:
                continue
            data, cookie = await self._request(session, "POST", "/api/message", cookie,
                                               {"button": button})
        if data is not None:
            self.finished += 1


async def web_main_async(residents: int, timeout: float) -> dict:
    """`residents` conversations at once against the web chat in its own process."""
    from aiohttp import ClientSession, ClientTimeout, DummyCookieJar, TCPConnector

    cores = os.cpu_count() or 1
    pinned = hasattr(os, "sched_setaffinity") and cores > 1
    if pinned:
        before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {1})  # the residents get one core; the web chat the other
    port = _free_port()
    data_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"routewijzer-webload-{os.getpid()}"
    shutil.rmtree(data_dir, ignore_errors=True)
    child = subprocess.Popen(
        _pinned([sys.executable, __file__, "--serve-web", str(port), "--data-dir",
                 str(data_dir)], 0),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        crowd = WebResidents(f"http://127.0.0.1:{port}")
        connector = TCPConnector(limit=0)  # every resident has a connection, as in browsers
        async with ClientSession(connector=connector, cookie_jar=DummyCookieJar(),
                                 timeout=ClientTimeout(total=timeout)) as session:
            started = time.perf_counter()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(crowd.resident(session) for _ in range(residents))),
                    timeout)
            elapsed = time.perf_counter() - started
    finally:
        child.stdin.write("stop\n")
        child.stdin.flush()
        server = json.loads(child.stdout.readline() or "{}")
        child.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
        if pinned:
            os.sched_setaffinity(0, before)
    ordered = sorted(crowd.latencies) or [0.0]
    return {
        "residents": residents, "finished": crowd.finished, "updates": crowd.requests,
        "seconds": elapsed, "updates_per_s": crowd.requests / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(ordered), "p95_ms": percentile(ordered, 95),
        "lost": residents - crowd.finished, "duplicated": 0, "errors": crowd.errors,
        "rejected": 0, "stored": server.get("stored", 0),
        "peak_memory_mb": server.get("peak_memory_mb", 0.0),
    }


def print_side_by_side(results: dict[str, dict], out=sys.stdout) -> None:
    """Telegram and web figures in one table: same residents, same conversation."""
    names = list(results)
    rows = [
        ("residents (full conversations)",
         lambda r: f"{r['finished']:,} of {r['residents']:,}"),
        ("updates / requests handled", lambda r: f"{r['updates']:,} in {r['seconds']:.1f} s"),
        ("per second", lambda r: f"{r['updates_per_s']:,.0f}"),
        ("latency p50 / p95", lambda r: f"{r['p50_ms']:.0f} ms / {r['p95_ms']:.0f} ms"),
        ("lost / errors", lambda r: f"{r['lost']} / {r['errors']}"),
        ("server peak memory", lambda r: f"{r['peak_memory_mb']:.0f} MB"),
    ]
    out.write(f"{'':<32} " + " ".join(f"{name:<24}" for name in names) + "\n")
    for label, cell in rows:
        out.write(f"{label:<32} " + " ".join(f"{cell(results[n]):<24}" for n in names) + "\n")
    out.write("\nTelegram: updates through long polling and a fake Bot API; web: HTTP requests "
              "(page, question, two taps) on 127.0.0.1. The server on one core, the residents "
              "on the other; all residents start at once.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["both", "telegram", "web"], default="both")
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-web", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve_residents(args.serve, args.timeout))
        return 0
    if args.serve_web:
        serve_web(args.serve_web, args.data_dir)
        return 0
    results = {}
    if args.mode in ("both", "telegram"):
        results["Telegram"] = asyncio.run(main_async(args.residents, args.timeout))
    if args.mode in ("both", "web"):
        results["web chat"] = asyncio.run(web_main_async(args.residents, args.timeout))
    if len(results) == 1 and "Telegram" in results:
        print_table(results["Telegram"])
    else:
        print_side_by_side(results)
    return 0 if all(r["lost"] == r["duplicated"] == r["errors"] == 0
                    for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
