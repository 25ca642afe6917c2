"""Load through Telegram's protocol: many residents at once against the real bot.

    python bench/load.py [--residents 1000] [--timeout 300]

Two processes, one core each. The bot process runs the real python-telegram-bot Application
(long polling, everything as in production except Telegram's send-rate limiter, which would
cap the bot at Telegram's own 30 messages/s and hide its speed). The other process runs the
strict fake Bot API server (tests/fake_telegram.py) and the residents: each one starts,
asks a question, answers the district question by button and says the answer helped; a
resident's next step is sent when the bot's reply to the last one arrives. Reported: updates
handled per second, reply latency p50 / p95 (update queued -> reply received), lost and
duplicated updates, errors, and the bot's peak memory.
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
    ("text", "ik heb schulden en weet niet waar ik moet beginnen"),
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve_residents(args.serve, args.timeout))
        return 0
    result = asyncio.run(main_async(args.residents, args.timeout))
    print_table(result)
    return 0 if result["lost"] == result["duplicated"] == result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
