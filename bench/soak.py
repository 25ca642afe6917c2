"""Soak: many residents over time; memory must stay flat and nothing may fail.

    python bench/soak.py [--updates 20000] [--wave 1000] [--forget-after-seconds 20]

Drives waves of new residents through whole conversations (bench/load.py's real bot and
fake Bot API, four updates each) until `--updates` have been handled, and prints per wave:
the bot's resident memory, the conversations it still stores, the per-resident entries it
holds in memory (flood control, locks, python-telegram-bot's user and chat data), errors, lost
and duplicated updates. Conversations idle longer than `--forget-after-seconds` expire (in
production: ROUTEWIJZER_FORGET_AFTER_DAYS, 30 days), so what the bot holds stays bounded too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import SCRIPT, BotUnderLoad  # noqa: E402


def resident_memory_mb() -> float:
    """Memory the bot process holds now (not its peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def soak(updates: int, wave: int, forget_after_seconds: float, timeout: float) -> list[dict]:
    rows = []
    async with BotUnderLoad(timeout, forget_after_days=forget_after_seconds / 86400) as bot:
        await asyncio.sleep(0.5)
        handled = 0
        while handled < updates:
            result = await bot.wave(wave)
            handled += result["updates"]
            services = bot.app.bot_data["routewijzer"]
            rows.append({**result, "handled": handled, "rss_mb": resident_memory_mb(),
                         "stored": services.store.count(), "in_memory": len(services.flood)
                         + len(services.locks) + len(bot.app.user_data) + len(bot.app.chat_data)})
            await asyncio.sleep(forget_after_seconds / 4)  # time passes between waves
    return rows


def print_table(rows: list[dict], out=sys.stdout) -> None:
    out.write(f"{'updates':>8} {'memory':>8} {'stored':>7} {'in memory':>10} {'updates/s':>10} "
              f"{'p95':>8} {'lost':>5} {'dup':>4} {'errors':>7}\n")
    for row in rows:
        out.write(f"{row['handled']:>8,} {row['rss_mb']:>6.0f}MB {row['stored']:>7,} "
                  f"{row['in_memory']:>10,} "
                  f"{row['updates_per_s']:>10,.0f} {row['p95_ms']:>6.0f}ms {row['lost']:>5} "
                  f"{row['duplicated']:>4} {row['errors']:>7}\n")
    first, last = rows[0]["rss_mb"], rows[-1]["rss_mb"]
    out.write(f"\nMemory after the first wave {first:.0f} MB, after the last {last:.0f} MB "
              f"({last - first:+.0f} MB over {rows[-1]['handled']:,} updates). "
              f"Each resident sends {len(SCRIPT)} updates at most.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--wave", type=int, default=1000, help="new residents per wave")
    parser.add_argument("--forget-after-seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    rows = asyncio.run(soak(args.updates, args.wave, args.forget_after_seconds, args.timeout))
    print_table(rows)
    failed = any(r["lost"] or r["duplicated"] or r["errors"] for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
