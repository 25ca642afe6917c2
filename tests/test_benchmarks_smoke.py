"""One quick run of each benchmark, so a change that breaks them is seen in CI.

The real numbers come from running `bench/*.py` by hand; these runs are tiny and only check
that each benchmark still measures and prints what the README says it does.
"""

from __future__ import annotations

import io

from bench import load, quality, speed
from bot.knowledge.loader import load_knowledge


def test_quality_benchmark_scores_all_three_systems_on_the_labelled_set():
    items = quality.load_items(quality.DEFAULT_DATA)
    assert len(items) >= 250
    scores = quality.evaluate(load_knowledge(), items[:25])
    out = io.StringIO()
    quality.print_table(scores, out)
    table = out.getvalue()
    assert [s.name for s in scores] == ["Routewijzer", "rapidfuzz WRatio", "BM25 (rank_bm25)"]
    assert "top-1" in table and "crisis recall" in table


def test_speed_benchmark_measures_load_latency_and_the_baseline():
    row = speed.measure_one(150, 40)
    assert row["services"] == 150
    assert row["routewijzer"]["queries"] == 40 and row["routewijzer"]["p99_ms"] > 0
    assert row["naive"]["qps"] > 0
    out = io.StringIO()
    speed.print_table([row], out)
    assert "speed-up" in out.getvalue()


async def test_load_benchmark_runs_whole_conversations_through_the_fake_telegram():
    result = await load.main_async(residents=5, timeout=30)
    assert result["finished"] == 5
    assert result["lost"] == result["duplicated"] == result["errors"] == 0
