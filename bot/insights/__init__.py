"""Which needs find no place, without keeping anyone's words.

`Insights` counts, per day, what the engine's outcomes say about the knowledge (needs that
found no place, answers residents rejected, themes, districts, places shown) and the word stems
of unmatched needs. It is fed by the front ends through one hook, `Insights.record`, and read by
`/stats` and `run_bot.py report` (`bot/insights/report.py`).
"""

from bot.insights.counter import MIN_RESIDENTS, Insights, Summary, unmet_terms

__all__ = ["MIN_RESIDENTS", "Insights", "Summary", "unmet_terms"]
