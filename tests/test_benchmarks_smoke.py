"""One quick run of each benchmark, so a change that breaks them is seen in CI.

The real numbers come from running `bench/*.py` by hand; these runs are tiny and only check
that each benchmark still measures and prints what the README says it does.
"""

from __future__ import annotations

import io

from bench import load, quality, speed
from bot.knowledge.loader import load_knowledge


def test_quality_benchmark_scores_all_three_systems_on_both_sets():
    development = quality.load_items(quality.DEFAULT_SETS["development"])
    held_out = quality.load_items(quality.DEFAULT_SETS["held-out"])
    assert len(development) >= 1000 and len(held_out) >= 800
    # The held-out set is what the issue promised: at least 200 emergencies, 200 look-alikes.
    assert sum(i.crisis for i in held_out) >= 200
    assert sum("lookalike" in i.tags for i in held_out) >= 200
    kb = load_knowledge()
    named = {}
    out = io.StringIO()
    for name, items in (("development", development[:20]), ("held-out", held_out[:20])):
        scores = quality.evaluate(kb, items)
        quality.print_table(scores, out)
        named[name] = scores[0]
    quality.print_side_by_side(named, out)
    quality.print_misses(named["held-out"], None, out)
    report = out.getvalue()
    assert [s.name for s in scores] == ["Routewijzer", "rapidfuzz WRatio", "BM25 (rank_bm25)"]
    assert "top-1" in report and "crisis recall" in report and "held-out" in report


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


async def test_load_benchmark_runs_whole_conversations_through_the_web_chat():
    result = await load.web_main_async(residents=5, timeout=60)
    assert result["finished"] == 5 and result["stored"] == 5
    assert result["lost"] == result["errors"] == 0
    assert result["updates"] == 20, "page, question, district, dit helpt"
    out = io.StringIO()
    load.print_side_by_side({"web chat": result}, out)
    assert "p50 / p95" in out.getvalue()
