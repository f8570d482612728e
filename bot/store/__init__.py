"""Persistence: the only SQL in iambot.

:class:`Store` holds one :class:`Database` (a connection per thread, WAL, migrations) and one
repository per aggregate. ``with store.unit():`` is a unit of work: every repository call inside
it commits together or not at all (an event, its alert decision and its outbox row, say).
The SQL keeps to what PostgreSQL also speaks (``ON CONFLICT … DO NOTHING``, ``COALESCE``,
``CASE``), and ids and times are made by the code, so another backend can follow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.store.alerts import AlertRow, Alerts
from bot.store.db import (
    Database,
    StoreBusy,
    StoreError,
    dumps,
    iso,
    loads,
    new_id,
    now,
    parse_iso,
    short_id,
)
from bot.store.events import Events, RejectedInput, StoredEvent
from bot.store.outbox import MessageRow, Outbox
from bot.store.records import Audit, Cursors, Snapshots, Suppression, Suppressions
from bot.store.requests import Request, Requests


class Store:
    def __init__(self, path: str | Path = ":memory:", busy_seconds: float = 5.0):
        self.db = Database(path, busy_seconds=busy_seconds)
        self.path = self.db.path
        self.events = Events(self.db)
        self.rejected = RejectedInput(self.db)
        self.alerts = Alerts(self.db)
        self.outbox = Outbox(self.db)
        self.requests = Requests(self.db)
        self.audit = Audit(self.db)
        self.suppressions = Suppressions(self.db)
        self.cursors = Cursors(self.db)
        self.snapshots = Snapshots(self.db)

    @contextmanager
    def unit(self) -> Iterator[Store]:
        """A unit of work: everything inside commits together, or nothing does."""
        with self.db.transaction():
            yield self

    def healthy(self) -> tuple[bool, str]:
        return self.db.healthy()

    def close(self) -> None:
        self.db.close()


__all__ = [
    "AlertRow",
    "Audit",
    "Cursors",
    "Database",
    "MessageRow",
    "Outbox",
    "Request",
    "Requests",
    "Snapshots",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoredEvent",
    "Suppression",
    "Suppressions",
    "dumps",
    "iso",
    "loads",
    "new_id",
    "now",
    "parse_iso",
    "short_id",
]
