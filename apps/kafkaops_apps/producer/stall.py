"""When to replace a wedged producer (aiokafka #1101): sends keep failing although Kafka answers.

A success does not clear the stall. After an outage aiokafka can serve some partitions while
it stays stuck on others; if any acknowledged record reset the timer, the producer would
answer 503 for most requests indefinitely (seen in `make chaos`: 254 of 381 for 85 s). The
stall clears only after a whole window without failures.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class StallWatch:
    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic):
        self.window_s = window_s
        self._clock = clock
        self._since: float | None = None
        self._last: float | None = None

    def failed(self) -> None:
        now = self._clock()
        if self._since is None:
            self._since = now
        self._last = now

    def wedged(self) -> bool:
        """Failures have kept coming for longer than the window."""
        if self._since is None or self._last is None:
            return False
        now = self._clock()
        if now - self._last > self.window_s:
            self.reset()
            return False
        return now - self._since > self.window_s

    def reset(self) -> None:
        self._since = self._last = None
