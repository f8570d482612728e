"""What /healthz says: the store answers, every source polled recently, the poster runs and
the outbox backlog is young, and the scheduler runs. Any of them failing is a 503."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.runtime.background import Background
from bot.store import Store, StoreError, now

BACKLOG_SECONDS = 900.0  # an alert waiting this long to reach Slack means Slack or iambot is stuck


class Health:
    def __init__(
        self,
        store: Store,
        background: Background,
        clock: Callable[[], datetime] = now,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store, self.background, self.clock, self.monotonic = store, background, clock, monotonic

    def __call__(self) -> tuple[bool, dict[str, Any]]:
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
        scheduler = self.background.scheduler
        if scheduler is not None:
            body["scheduler"] = {"ok": bool(scheduler.running)}
            ok = ok and bool(scheduler.running)
        return ok, body
