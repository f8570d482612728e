"""Persistence: the only SQL in iambot.

:class:`Store` holds one :class:`Database` and one repository per aggregate. ``IAMBOT_DB`` picks
the backend (``bot/store/url.py``): SQLite, embedded, one process per file (``sqlite.py``), or
PostgreSQL, pooled, for several replicas (``postgres.py``). ``with store.unit():`` is a unit of
work: every repository call inside it commits together or not at all (an event, its alert
decision and its outbox row, say).

Why a thin seam of our own and not SQLAlchemy Core with Alembic: the repositories were already
written in the SQL both databases speak (``?`` placeholders, ``ON CONFLICT … DO NOTHING``,
``COALESCE``, ``CASE``; ids and times made by the code), so the seam is a placeholder translation,
a connection policy and two words of dialect (``for_update``, ``lock``); the schema is a few
dozen statements per dialect (``migrations.py``, ``schema_pg.py``). SQLAlchemy would add ~3 MB,
a second way to write every query, and Alembic's batch mode to re-create SQLite tables, to win
nothing these statements need.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.store.alerts import AlertRow, Alerts, AlertStatus, Disposition
from bot.store.coordination import Leases, Runs
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
from bot.store.mfa import Device, MfaDevices
from bot.store.outbox import MessageRow, Outbox
from bot.store.questions import Question, Questions
from bot.store.records import Audit, Cursors, Snapshots, Suppression, Suppressions
from bot.store.requests import Request, Requests, RequestStatus
from bot.store.sequences import SequenceRow, Sequences
from bot.store.sqlite import SqliteDatabase
from bot.store.url import open_database, redact


class Store:
    def __init__(self, url: str | Path = ":memory:", busy_seconds: float = 5.0, migrate: bool = True):
        self.db: Database = open_database(url, busy_seconds=busy_seconds, migrate=migrate)
        self.path = self.db.path  # the file (SQLite) or the URL without its password (PostgreSQL)
        self.events = Events(self.db)
        self.rejected = RejectedInput(self.db)
        self.alerts = Alerts(self.db)
        self.outbox = Outbox(self.db)
        self.requests = Requests(self.db)
        self.audit = Audit(self.db)
        self.suppressions = Suppressions(self.db)
        self.cursors = Cursors(self.db)
        self.snapshots = Snapshots(self.db)
        self.runs = Runs(self.db)
        self.leases = Leases(self.db)
        self.mfa = MfaDevices(self.db)
        self.sequences = Sequences(self.db)
        self.questions = Questions(self.db)

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
    "AlertStatus",
    "Audit",
    "Cursors",
    "Database",
    "Device",
    "Disposition",
    "Leases",
    "MessageRow",
    "Outbox",
    "Question",
    "Questions",
    "Request",
    "RequestStatus",
    "Requests",
    "Runs",
    "SequenceRow",
    "Sequences",
    "Snapshots",
    "SqliteDatabase",
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
    "redact",
    "short_id",
]
