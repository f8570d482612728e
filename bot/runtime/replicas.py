"""Replicas on one database: who this process is, whose turn it is, and which replica runs a
scheduled job's period.

- A **turn** is a lease in the database (``leases``) on work one process must do at a time: the
  poster (so Slack's per-channel pace and the burst summaries hold across replicas) and each
  polling source (LookupEvents, a watched S3 prefix). The holder renews it each time it works; a
  replica killed mid-work is replaced once its lease runs out. SQS needs none: the queue shares.
- A **period** of a scheduled job is claimed with one insert (``runs``): every replica's
  APScheduler ticks, the first claim runs the job, the others skip it. Interval jobs are aligned
  to the clock (multiples of their interval since 2000-01-01), so replicas agree on the period.

On SQLite (one process per file) every turn is this process's and every period is claimed
by it: the same code, with nothing to contend for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store import Store, StoreError, iso, now

log = logging.getLogger(__name__)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def replica_name() -> str:
    """IAMBOT_REPLICA, else the host name (a pod's or task's name) and the process id."""
    return os.environ.get("IAMBOT_REPLICA") or f"{socket.gethostname()}:{os.getpid()}"


class Turn:
    """``turn()`` is True while this replica holds the lease ``name`` (taking or renewing it)."""

    def __init__(
        self, store: Store, name: str, replica: str, term: timedelta, clock: Callable[[], datetime] = now
    ):
        self.store, self.name, self.replica, self.term, self.clock = store, name, replica, term, clock
        self.held = False
        self.renewed: datetime | None = None

    def __call__(self) -> bool:
        if not self.store.db.shared:
            self.held = True
            return True
        at = self.clock()
        if self.held and self.renewed is not None and at - self.renewed < self.term / 3:
            return True  # renewed lately: two thirds of the lease are left, no write needed
        held = self.store.leases.hold(self.name, self.replica, at, self.term)
        if held != self.held:
            log.info("turn %s", "taken" if held else "lost", extra={"turn": self.name, "replica": self.replica})
        self.held, self.renewed = held, at if held else None
        return held

    def release(self) -> None:
        """On shutdown: another replica takes over at once instead of after the lease."""
        if self.held and self.store.db.shared:
            with contextlib.suppress(StoreError):  # else the lease runs out by itself
                self.store.leases.release(self.name, self.replica)
        self.held, self.renewed = False, None


def period_of(at: datetime, seconds: float) -> datetime:
    """The start of the period of ``seconds`` that ``at`` falls in, counted from EPOCH."""
    elapsed = (at - EPOCH).total_seconds()
    return EPOCH + timedelta(seconds=(elapsed // seconds) * seconds)


def once_per_period(
    store: Store,
    job: str,
    seconds: float,
    run: Callable[[datetime], Any],
    replica: str,
    clock: Callable[[], datetime] = now,
) -> Callable[[], Any]:
    """A job body that runs only in the replica whose claim of the current period lands first;
    ``run`` is given the period's start (the same in every replica)."""

    def claimed() -> Any:
        at = clock()
        period = period_of(at, seconds)
        if not store.runs.claim(job, iso(period), replica, at):
            log.debug("period already run elsewhere", extra={"job": job, "period": iso(period)})
            return None
        return run(period)

    claimed.__name__ = job
    return claimed
