"""Whether a place is open now, from its OpenStreetMap opening_hours and Dutch holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


MAX_CHANGES_AHEAD = 14  # how far to look for the next opening: two weeks of open/close steps


@dataclass(frozen=True)
class OpenState:
    """`open` now; `change` is when that flips (closing time, or next opening); `unknown`
    when the hours do not say (e.g. `PH unknown`: a public holiday the source is silent on)."""

    open: bool
    always: bool
    change: datetime | None
    unknown: bool = False


@lru_cache(maxsize=1024)
def _parsed(expression: str) -> opening_hours.OpeningHours:
    return opening_hours.OpeningHours(expression, country="NL")


def open_state(expression: str, now: datetime) -> OpenState:
    """Evaluate in Dutch local time, whatever zone `now` comes in.

    When closed, `change` is the next time it is certainly open; if a stretch the hours are
    silent on comes first (a public holiday marked `PH unknown`), `change` is None rather
    than a guess past it.
    """
    local = now.astimezone(AMSTERDAM).replace(tzinfo=None) if now.tzinfo else now
    hours = _parsed(expression)
    if hours.is_unknown(local):
        return OpenState(False, False, None, unknown=True)
    is_open = hours.is_open(local)
    change = _naive(hours.next_change(local))
    if not is_open:
        for _ in range(MAX_CHANGES_AHEAD):
            if change is None or hours.is_open(change):
                break
            if hours.is_unknown(change):
                change = None
                break
            change = _naive(hours.next_change(change))
        else:
            change = None
    return OpenState(is_open, is_open and change is None, change)


def _naive(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=None) if moment is not None and moment.tzinfo else moment
