"""Flood control shared by the front ends: how many messages one sender sent lately.

One sliding window per key (a Telegram user id, a web conversation, a web client address),
so one resident sending too much is slowed down without slowing anyone else. Keys that went
quiet are swept out now and then, so memory stays flat however many residents come by.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Hashable


class FloodGate:
    """At most `limit` events per key in any `window` seconds."""

    def __init__(
        self, window: float, limit: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.limit = limit
        self.clock = clock
        self._recent: dict[Hashable, deque[float]] = defaultdict(deque)
        self._last_sweep = clock()

    def record(self, key: Hashable) -> int:
        """Count one event for `key`; returns how many it sent within the window, this one
        included. More than `limit` means: do not read it; exactly `limit + 1` is the first
        one refused, the moment to say "slow down" once."""
        now = self.clock()
        if now - self._last_sweep > self.window:
            self._last_sweep = now
            for quiet in [k for k, times in self._recent.items()
                          if not times or now - times[-1] > self.window]:
                del self._recent[quiet]
        recent = self._recent[key]
        while recent and now - recent[0] > self.window:
            recent.popleft()
        recent.append(now)
        return len(recent)

    def flooding(self, count: int) -> bool:
        return count > self.limit

    def __len__(self) -> int:
        """How many senders are remembered right now (for the soak benchmark)."""
        return len(self._recent)
