"""What replicas agree on through the database: which one runs a scheduled job's period, and
which one holds a lease on work that one process must do at a time (posting to Slack, polling a
source). Both are single statements, so they hold on either backend with any number of replicas.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store.db import Database, iso


class Runs:
    """A scheduled job's periods: the first replica to claim one runs it; the others skip it."""

    def __init__(self, db: Database):
        self.db = db

    def claim(self, job: str, period: str, replica: str, at: datetime) -> bool:
        return bool(
            self.db.execute(
                "INSERT INTO runs (job, period, replica, at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                (job, period, replica, iso(at)),
            )
        )

    def of(self, job: str) -> list[dict[str, str]]:
        return self.db.query("SELECT period, replica, at FROM runs WHERE job = ? ORDER BY period", (job,))

    def prune(self, before: datetime) -> int:
        return self.db.execute("DELETE FROM runs WHERE at < ?", (iso(before),))


class Leases:
    """A named lease: held by one replica until it runs out; renewed by its holder, taken over
    by another replica once it has run out (a replica killed mid-work is replaced within a lease)."""

    def __init__(self, db: Database):
        self.db = db

    def hold(self, name: str, holder: str, at: datetime, term: timedelta) -> bool:
        """Take or renew the lease; True when ``holder`` holds it until ``at + term``."""
        stamp, until = iso(at), iso(at + term)
        changed = self.db.execute(
            "INSERT INTO leases (name, holder, until, since) VALUES (?,?,?,?) ON CONFLICT (name) DO UPDATE"
            " SET holder = excluded.holder, until = excluded.until,"
            " since = CASE WHEN leases.holder = excluded.holder THEN leases.since ELSE excluded.since END"
            " WHERE leases.holder = excluded.holder OR leases.until < ?",
            (name, holder, until, stamp, stamp),
        )
        return bool(changed)

    def release(self, name: str, holder: str) -> bool:
        return bool(self.db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)))

    def holder(self, name: str, at: datetime) -> str | None:
        row = self.db.one("SELECT holder FROM leases WHERE name = ? AND until >= ?", (name, iso(at)))
        return row["holder"] if row else None
