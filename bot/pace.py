"""Keep calls at least ``interval`` seconds apart, per key (a Slack channel, an API)."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    def __init__(
        self,
        interval: float,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.interval = interval
        self.sleep = sleep
        self.monotonic = monotonic
        self._last: dict[str, float] = {}

    def wait(self, key: str = "") -> None:
        """Sleep until ``interval`` has passed since the last call for ``key``; then note this one."""
        last = self._last.get(key)
        if last is not None and self.interval:
            wait = self.interval - (self.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last[key] = self.monotonic()
