"""The background of `iambot run`: a loop per source, the poster, and the scheduler.

No loop dies silently. A source's poll that raises is logged and retried with backoff (1 s
doubling to 5 minutes); a loop that stops anyway is restarted by the watchdog; each loop
reports its last successful poll, which /healthz reads. The poster sends the outbox as soon
as something is queued, at Slack's pace, so a burst never holds up a source.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sources import Source
from bot.store import StoreBusy

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0
WATCHDOG_SECONDS = 5.0


@dataclass
class Liveness:
    """What /healthz knows of a loop."""

    name: str
    stale_after: float
    started: float
    last_success: float | None = None
    last_error: str | None = None
    failures: int = 0
    restarts: int = 0

    def healthy(self, at: float) -> bool:
        since = self.last_success if self.last_success is not None else self.started
        return at - since <= self.stale_after

    def report(self, at: float) -> dict[str, Any]:
        return {
            "ok": self.healthy(at),
            "last_success_seconds_ago": None if self.last_success is None else round(at - self.last_success, 1),
            "failures_in_a_row": self.failures,
            "last_error": self.last_error,
            "restarts": self.restarts,
        }


class SourceLoop:
    def __init__(
        self,
        source: Source,
        stop: threading.Event,
        sleep: Callable[[float], bool] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        turn: Callable[[], bool] | None = None,
    ):
        self.source = source
        self.stop = stop
        self.turn = turn  # a polling source's lease: only its holder polls (None: always, like SQS)
        self.monotonic = monotonic
        self.wait = sleep or stop.wait  # returns True when stopping
        self.liveness = Liveness(source.name, source.stale_after, monotonic())
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        # daemon: a poll blocked in a 20 s SQS long poll must not hold up the exit; what it
        # receives then stays on the queue and comes back after the visibility timeout
        self.thread = threading.Thread(target=self.run, name=f"iambot-{self.source.name}", daemon=True)
        self.thread.start()

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def run(self) -> None:
        log.info("source started", extra={"source": self.source.name})
        backoff = 1.0
        while not self.stop.is_set():
            try:
                if self.turn is None or self.turn():
                    self.source.poll(self.stop)
            except Exception as exc:
                live = self.liveness
                live.failures += 1
                live.last_error = f"{type(exc).__name__}: {str(exc)[:300]}"
                if isinstance(exc, StoreBusy):
                    log.warning("source waits for the store", extra={"source": live.name, "retry_in": backoff})
                else:
                    log.exception("source poll failed; retrying", extra={"source": live.name, "retry_in": backoff})
                if self.wait(backoff):
                    break
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            self.liveness.last_success = self.monotonic()
            self.liveness.failures = 0
            self.liveness.last_error = None
            backoff = 1.0
            if self.source.interval and self.wait(self.source.interval):
                break
        log.info("source stopped", extra={"source": self.source.name})


class PosterLoop:
    def __init__(
        self,
        flush: Callable[[], Any],
        stop: threading.Event,
        every: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.flush = flush
        self.stop = stop
        self.every = every
        self.wake = threading.Event()
        self.monotonic = monotonic
        self.liveness = Liveness("poster", stale_after=120.0, started=monotonic())
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="iambot-poster", daemon=True)
        self.thread.start()
        self.wake.set()  # whatever was left from the last run goes out first

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def run(self) -> None:
        while not self.stop.is_set():
            self.wake.wait(self.every)
            self.wake.clear()
            if self.stop.is_set():
                break
            try:
                self.flush()
                self.liveness.last_success = self.monotonic()
                self.liveness.last_error = None
            except Exception as exc:
                self.liveness.last_error = f"{type(exc).__name__}: {str(exc)[:300]}"
                log.exception("posting failed; the outbox keeps the messages")


@dataclass
class Background:
    """Every loop of the process, started and stopped together, watched by a watchdog."""

    sources: list[SourceLoop] = field(default_factory=list)
    poster: PosterLoop | None = None
    scheduler: Any = None
    stop: threading.Event = field(default_factory=threading.Event)
    _watchdog: threading.Thread | None = None

    def start(self) -> None:
        if self.scheduler is not None:
            self.scheduler.start()
        if self.poster is not None:
            self.poster.start()
        for loop in self.sources:
            loop.start()
        self._watchdog = threading.Thread(target=self._watch, name="iambot-watchdog", daemon=True)
        self._watchdog.start()

    @property
    def watching(self) -> bool:
        return self._watchdog is not None

    @property
    def watchdog_alive(self) -> bool:
        return self._watchdog is not None and self._watchdog.is_alive()

    @property
    def loops(self) -> list[SourceLoop | PosterLoop]:
        return [*self.sources, *([self.poster] if self.poster else [])]

    def _watch(self) -> None:
        while not self.stop.wait(WATCHDOG_SECONDS):
            for loop in self.loops:
                if not loop.alive and not self.stop.is_set():
                    loop.liveness.restarts += 1
                    log.error("a loop stopped; restarting it", extra={"loop": loop.liveness.name})
                    loop.start()

    def notify(self) -> None:
        if self.poster is not None:
            self.poster.wake.set()

    def shutdown(self, timeout: float = 3.0) -> None:
        """Stop every loop; wait at most ``timeout`` seconds for the batch in hand to be committed."""
        self.stop.set()
        if self.poster is not None:
            self.poster.wake.set()
        deadline = time.monotonic() + timeout
        for loop in self.loops:
            if loop.thread is not None:
                loop.thread.join(max(0.0, deadline - time.monotonic()))
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
