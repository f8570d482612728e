"""Background loops never die silently: a poll that raises is retried with backoff, a loop that
stops is restarted by the watchdog, and shutdown does not wait for a poll that blocks."""

from __future__ import annotations

import threading
import time

from bot.runtime import background
from bot.runtime.background import Background, Liveness, PosterLoop, SourceLoop
from bot.sources import PollResult


class Flaky:
    """A source whose polls fail ``failures`` times, then succeed; it records what it was asked."""

    def __init__(self, failures: int = 0, interval: float = 0.0, block: threading.Event | None = None):
        self.name, self.interval, self.stale_after = "flaky", interval, 60.0
        self.failures, self.block, self.polls = failures, block, 0

    def poll(self, stop: threading.Event) -> PollResult:
        self.polls += 1
        if self.block is not None:
            self.block.wait()
        if self.polls <= self.failures:
            raise RuntimeError(f"poll {self.polls} failed")
        return PollResult(1, 1)


def test_a_failing_poll_is_retried_with_doubling_backoff_and_the_loop_goes_on():
    stop = threading.Event()
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        if len(waits) >= 6:
            stop.set()
        return stop.is_set()

    source = Flaky(failures=4, interval=30)
    loop = SourceLoop(source, stop, sleep=wait, monotonic=lambda: 100.0)
    loop.run()
    assert waits[:4] == [1.0, 2.0, 4.0, 8.0]  # backoff on each failure
    assert waits[4] == 30  # then its own interval after a success
    assert loop.liveness.failures == 0 and loop.liveness.last_success == 100.0
    assert source.polls >= 5


def test_backoff_is_capped(monkeypatch):
    stop = threading.Event()
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        if len(waits) >= 12:
            stop.set()
        return stop.is_set()

    loop = SourceLoop(Flaky(failures=100), stop, sleep=wait)
    loop.run()
    assert max(waits) == background.MAX_BACKOFF
    assert loop.liveness.failures == 12 and "poll 12 failed" in (loop.liveness.last_error or "")


def test_liveness_turns_unhealthy_when_no_poll_succeeds_in_time():
    live = Liveness("sqs", stale_after=120, started=0.0)
    assert live.healthy(100) and not live.healthy(121)
    live.last_success = 500.0
    assert live.healthy(600) and not live.healthy(621)
    assert live.report(621) == {
        "ok": False,
        "last_success_seconds_ago": 121.0,
        "failures_in_a_row": 0,
        "last_error": None,
        "restarts": 0,
    }


def test_the_watchdog_restarts_a_loop_that_stopped(monkeypatch):
    monkeypatch.setattr(background, "WATCHDOG_SECONDS", 0.01)
    bg = Background()
    source = Flaky()
    loop = SourceLoop(source, bg.stop)
    loop.run = lambda: None  # type: ignore[method-assign]  # a loop that returns at once, as a crashed thread would
    bg.sources = [loop]
    bg.start()
    deadline = time.monotonic() + 5
    while loop.liveness.restarts < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    bg.shutdown(0.5)
    assert loop.liveness.restarts >= 2


def test_shutdown_does_not_wait_for_a_poll_that_blocks():
    bg = Background()
    never = threading.Event()  # a 20 s SQS long poll, say
    source = Flaky(block=never)
    bg.sources = [SourceLoop(source, bg.stop)]
    bg.start()
    deadline = time.monotonic() + 5
    while source.polls == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    bg.shutdown(0.3)
    assert time.monotonic() - t0 < 1.0
    never.set()


def test_the_poster_flushes_when_woken_and_reports_its_errors():
    stop = threading.Event()
    calls: list[int] = []

    def flush() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("slack is down")
        stop.set()

    poster = PosterLoop(flush, stop, every=0.01)
    poster.start()
    assert poster.thread is not None
    poster.thread.join(5)
    assert len(calls) == 2
    assert poster.liveness.last_error is None and poster.liveness.last_success is not None
