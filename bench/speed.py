"""Speed and scale: load, index and answer at 100, 1,000 and 10,000 services.

    python bench/speed.py [--sizes 100 1000 10000] [--queries 3000]

Each size runs in a fresh process (so memory numbers are its own) on one core: it writes a
synthetic knowledge base (bench/synthetic.py), times loading and indexing it, measures the
memory the loaded knowledge and index take, then answers the same resident-like questions
with Routewijzer's matcher and with the naive baseline (rapidfuzz WRatio over every keyword,
as bench/quality.py defines it), and prints latency p50 / p99 and queries per second.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synthetic import questions, write_knowledge  # noqa: E402
from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.matching.matcher import Matcher  # noqa: E402
from bot.matching.profile import Profile  # noqa: E402

NAIVE_QUERY_LIMIT = 300  # the baseline is slow at scale; this many questions give stable numbers


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(answer, asked: list[str]) -> dict:
    latencies = []
    started = time.perf_counter()
    for question in asked:
        t = time.perf_counter()
        answer(question)
        latencies.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - started
    return {"p50_ms": statistics.median(latencies), "p99_ms": percentile(latencies, 99),
            "qps": len(asked) / total, "queries": len(asked)}


def measure_one(size: int, query_count: int) -> dict:
    """Everything for one knowledge base size; runs inside its own process."""
    from bench.quality import Item, naive_fuzzy

    with tempfile.TemporaryDirectory() as tmp:
        directory = write_knowledge(Path(tmp) / "knowledge", size)
        gc.collect()
        started = time.perf_counter()
        kb = load_knowledge(directory)
        loaded = time.perf_counter()
        matcher = Matcher(kb, learned=True)
        indexed = time.perf_counter()
        # Memory in a second, traced pass: tracing slows Python down too much to time it.
        del kb, matcher
        gc.collect()
        tracemalloc.start()
        kb = load_knowledge(directory)
        matcher = Matcher(kb, learned=True)
        memory = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    asked = questions(query_count)
    profile = Profile(area="zuid")
    for question in asked[:50]:  # warm the caches a running bot has warm
        matcher.match(question, profile)
    ours = timed(lambda q: matcher.match(q, profile), asked)
    _, naive_rank = naive_fuzzy(kb)
    naive = timed(lambda q: naive_rank(Item(q, [])), asked[:NAIVE_QUERY_LIMIT])
    return {"services": len(kb.services), "load_s": loaded - started,
            "index_s": indexed - loaded, "memory_mb": memory / 1e6, "routewijzer": ours,
            "naive": naive}


def run_isolated(size: int, query_count: int) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    command = [sys.executable, __file__, "--one", str(size), "--queries", str(query_count)]
    if hasattr(os, "sched_setaffinity"):
        command = ["taskset", "-c", "0", *command] if _has_taskset() else command
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _has_taskset() -> bool:
    from shutil import which

    return which("taskset") is not None


def print_table(rows: list[dict], out=sys.stdout) -> None:
    out.write(f"{'services':>9} {'load+index':>11} {'memory':>8} | {'Routewijzer p50':>15} "
              f"{'p99':>8} {'q/s':>8} | {'naive p50':>10} {'p99':>8} {'q/s':>7} | "
              f"{'speed-up':>8}\n")
    for row in rows:
        ours, naive = row["routewijzer"], row["naive"]
        out.write(
            f"{row['services']:>9,} {row['load_s'] + row['index_s']:>10.2f}s "
            f"{row['memory_mb']:>6.0f}MB | {ours['p50_ms']:>13.2f}ms {ours['p99_ms']:>6.2f}ms "
            f"{ours['qps']:>8,.0f} | {naive['p50_ms']:>8.2f}ms {naive['p99_ms']:>6.1f}ms "
            f"{naive['qps']:>7,.0f} | {ours['qps'] / naive['qps']:>7.0f}x\n"
        )
    out.write("\nOne core (taskset -c 0 where available). load+index = reading and validating "
              "the YAML, then building the search index; memory = what the loaded knowledge and "
              "index hold (tracemalloc).\nTargets: 1,000 services p99 <= 2 ms and load <= 1 s; "
              "10,000 services p99 <= 10 ms and >= 10x the naive baseline.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(args.one, args.queries)))
        return 0
    rows = []
    for size in args.sizes:
        print(f"measuring {size:,} services …", file=sys.stderr, flush=True)
        rows.append(run_isolated(size, args.queries))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
