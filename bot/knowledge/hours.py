"""Whether a place is open now, from its OpenStreetMap opening_hours and Dutch holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class OpenState:
    """`open` now; `change` is when that flips (closing time, or next opening)."""

    open: bool
    always: bool
    change: datetime | None


@lru_cache(maxsize=1024)
def _parsed(expression: str) -> opening_hours.OpeningHours:
    return opening_hours.OpeningHours(expression, country="NL")


def open_state(expression: str, now: datetime) -> OpenState:
    """Evaluate in Dutch local time, whatever zone `now` comes in."""
    local = now.astimezone(AMSTERDAM).replace(tzinfo=None) if now.tzinfo else now
    hours = _parsed(expression)
    change = hours.next_change(local)
    if change is not None and change.tzinfo is not None:
        change = change.replace(tzinfo=None)
    is_open = hours.is_open(local)
    return OpenState(is_open, is_open and change is None, change)
