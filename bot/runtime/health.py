"""The probes of `iambot run`, on its port in both modes.

- ``/healthz`` (liveness): the process and its loops are alive — every source's thread, the
  poster, the scheduler and the watchdog that restarts them. It never fails because a dependency
  (the database, Slack, AWS) is down: restarting the process would not bring that back, and on a
  container platform a database blip would restart every replica at once.
- ``/readyz`` (readiness): the store answers within half a second, every source polled
  recently, the outbox backlog is young, the scheduler runs and Slack accepts the bot token.
  Any of them failing is a 503, and the platform sends no traffic until it passes again.
- The feed canary (bot/workflow/canary.py) is reported in ``/readyz``'s body and in the metrics,
  but fails neither probe: the feed is shared by every replica, so a broken one would make them all
  unready at once (Slack's clicks would find no replica) or all restart, and neither brings the
  feed back. The alert channel is told instead, once.
- ``/metrics``: Prometheus text (``bot/metrics.py``), unless ``metrics = false``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot import metrics
from bot.runtime.background import Background
from bot.store import Store, StoreError, now
from bot.workflow.canary import Canary, CanaryState

BACKLOG_SECONDS = 900.0  # an alert waiting this long to reach Slack means Slack or iambot is stuck

Samples = list[tuple[list[str], float]]


class Health:
    def __init__(
        self,
        store: Store,
        background: Background,
        poster: Any = None,
        clock: Callable[[], datetime] = now,
        monotonic: Callable[[], float] = time.monotonic,
        metrics_on: bool = True,
        canary: Canary | None = None,
    ):
        self.store, self.background, self.poster, self.canary = store, background, poster, canary
        self.clock, self.monotonic, self.metrics_on = clock, monotonic, metrics_on

    def live(self) -> tuple[bool, dict[str, Any]]:
        bg = self.background
        loops = {loop.liveness.name: loop.alive for loop in bg.sources}
        if bg.poster is not None:
            loops["poster"] = bg.poster.alive
        if bg.scheduler is not None:
            loops["scheduler"] = bool(bg.scheduler.running)
        if bg.watching:
            loops["watchdog"] = bg.watchdog_alive
        return all(loops.values()), {"loops": loops}

    def ready(self) -> tuple[bool, dict[str, Any]]:
        at = self.monotonic()
        body: dict[str, Any] = {}
        store_ok, detail = self.store.healthy()
        body["store"] = {"ok": store_ok, "detail": detail}
        body["sources"] = {loop.liveness.name: loop.liveness.report(at) for loop in self.background.sources}
        ok = store_ok and all(v["ok"] for v in body["sources"].values())
        poster = self.background.poster
        if poster is not None:
            try:
                pending, age = self.store.outbox.backlog(self.clock())
                backlog_ok = age <= BACKLOG_SECONDS
            except StoreError:
                pending, age, backlog_ok = -1, -1.0, False
            body["outbox"] = {
                "ok": backlog_ok and poster.alive,
                "pending": pending,
                "oldest_seconds": round(age, 1),
                "last_error": poster.liveness.last_error,
            }
            body["outbox_pending"] = pending
            ok = ok and backlog_ok and poster.alive
        refused = getattr(self.poster, "auth_error", None)
        body["slack"] = {"ok": refused is None, "detail": refused or "ok"}
        ok = ok and refused is None
        scheduler = self.background.scheduler
        if scheduler is not None:
            body["scheduler"] = {"ok": bool(scheduler.running)}
            ok = ok and bool(scheduler.running)
        if (canary := self._canary()) is not None:
            body["canary"] = canary.as_dict()  # reported, never failing the probe (see above)
        return ok, body

    def _canary(self) -> CanaryState | None:
        if self.canary is None:
            return None
        try:
            return self.canary.state()
        except StoreError as exc:  # the store's own report says why
            return CanaryState(self.canary.active, False, f"the store did not answer: {type(exc).__name__}")

    def metrics(self) -> bytes | None:
        return metrics.exposition(metrics.StateCollector(self._state)) if self.metrics_on else None

    def _state(self) -> dict[str, tuple[str, list[str], Samples]]:
        at, clock = self.monotonic(), self.clock()
        found: dict[str, tuple[str, list[str], Samples]] = {}
        try:
            pending, age = self.store.outbox.backlog(clock)
            found["iambot_outbox_pending"] = ("Messages waiting to be sent to Slack", [], [([], pending)])
            found["iambot_outbox_oldest_seconds"] = ("Age of the oldest waiting message", [], [([], age)])
            states = self.store.requests.by_status()
            found["iambot_requests"] = ("Remediation requests by state", ["state"],
                                        [([k], float(v)) for k, v in sorted(states.items())])  # fmt: skip
        except StoreError:
            pass  # the store is down: its gauges are missing, and /readyz says why
        last = [
            ([loop.liveness.name], at - (loop.liveness.last_success or loop.liveness.started))
            for loop in self.background.sources
        ]
        canary = self._canary()
        if canary is not None and canary.on:
            found["iambot_canary_ok"] = ("1 while the feed canary comes back in time (0: the feed looks broken)", [],
                                         [([], float(canary.ok))])  # fmt: skip
            if canary.age_seconds is not None:
                found["iambot_canary_pending_seconds"] = ("Age of the canary not come back yet", [],
                                                          [([], canary.age_seconds)])  # fmt: skip
        found["iambot_source_last_success_seconds"] = ("Seconds since each source last polled", ["source"], last)
        lag = [([name], max(0.0, (clock - when).total_seconds())) for name, when in sorted(metrics.NEWEST.items())]
        found["iambot_source_lag_seconds"] = ("Now minus the newest event time each source delivered", ["source"], lag)
        return found
