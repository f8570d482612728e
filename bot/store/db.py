"""What both backends share: errors, ids, times, JSON columns, and the :class:`Database` seam.

The repositories speak one SQL: ``?`` placeholders and what SQLite and PostgreSQL both run
(``ON CONFLICT … DO NOTHING``, ``COALESCE``, ``CASE``); ids and times are made by the code. A
backend supplies connections, units of work, migrations, health, and two words of dialect:
``for_update`` (a row lock, where the database has one) and ``name`` (a redacted URL for people).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson

from bot import metrics


class StoreError(Exception):
    """The database cannot be used; the message names it (without a password) and the cause."""


class StoreBusy(StoreError):
    """The database did not answer in time (a lock held too long, a connection lost): try again."""


def now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def dumps(value: Any) -> str:
    """JSON text for a column. Raises ValueError for values JSON cannot hold."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise ValueError(f"cannot be stored as JSON: {exc}") from None


def loads(text: str | None, default: Any = None) -> Any:
    return orjson.loads(text) if text else default


def new_id(prefix: str = "") -> str:
    """An id the code makes (time-ordered, then random), never the database."""
    return f"{prefix}{time.time_ns() // 1000:x}{secrets.token_hex(4)}"


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: these ids are typed into /iam


def short_id(prefix: str, length: int = 6) -> str:
    """A short id for people to type (R… requests, M… suppressions)."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


_last_sequence = 0
_sequence_lock = threading.Lock()


def sequence() -> int:
    """A time-ordered integer id for append-only tables (audit, rejected): 64 bits wide; the
    microsecond, then 10 random bits across processes, and strictly increasing within one (two ids
    in one microsecond, or a clock that stands still or steps back, never collide here)."""
    global _last_sequence
    candidate = (time.time_ns() // 1000) * 1024 + secrets.randbelow(1024)
    with _sequence_lock:
        _last_sequence = max(candidate, _last_sequence + 1)
        return _last_sequence


def storable(params: Any) -> Any:
    """Text a database can hold: a lone surrogate (from a body that was not valid UTF-8) is
    written as its escape, so nothing is refused for the characters it carries."""
    if isinstance(params, tuple | list):
        return tuple(p.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(p, str) else p for p in params)
    return params


class Database:
    """The seam the repositories talk to. Subclasses implement the statements and the schema;
    the nesting of units of work (an inner ``transaction()`` joins the outer one) lives here."""

    dialect = "abstract"
    for_update = ""  # appended to a SELECT that must hold its rows until the unit of work ends
    shared = False  # True where several processes may use the database at once (PostgreSQL)

    def __init__(self, name: str, busy_seconds: float):
        self.name = name  # for people and logs: never a password
        self.path = name
        self.busy_seconds = busy_seconds
        self._local = threading.local()
        self._closed = False

    # ------------------------------------------------------------------ statements

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def execute(self, sql: str, params: Any = ()) -> int:
        """Run one statement; the number of rows it changed."""
        raise NotImplementedError

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def probe(self, sql: str, params: Any = (), wait: float = 0.5) -> list[dict[str, Any]]:
        """A read that waits at most ``wait`` seconds, for health checks and gauges."""
        raise NotImplementedError

    def insert_many(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (values in ``columns``' order) in one round trip where the driver can."""
        raise NotImplementedError

    def tables(self) -> dict[str, list[str]]:
        """iambot's tables in the order they were created (a referenced table before the ones that
        refer to it), each with its columns in order; the schema's own bookkeeping left out."""
        raise NotImplementedError

    # ------------------------------------------------------------------ units of work

    @property
    def in_transaction(self) -> bool:
        return bool(getattr(self._local, "depth", 0))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together; nested calls join the outer unit of work."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        started = time.perf_counter()
        with self._begin():
            self._local.depth = 1
            try:
                yield
            finally:
                self._local.depth = 0
        metrics.STORE_SECONDS.observe(time.perf_counter() - started)

    def lock(self, key: str) -> None:
        """Hold ``key`` until the unit of work ends: another unit that locks the same key waits.
        (SQLite's BEGIN IMMEDIATE already admits one writer at a time: nothing more to hold.)"""
        if not self.in_transaction:
            raise RuntimeError("lock() outside a unit of work holds nothing")
        self._lock(key)

    def _lock(self, key: str) -> None:
        return None

    @contextmanager
    def _begin(self) -> Iterator[None]:
        """BEGIN … COMMIT (ROLLBACK on an exception) on this thread's connection."""
        raise NotImplementedError
        yield

    # ------------------------------------------------------------------ schema and health

    @property
    def version(self) -> int:
        raise NotImplementedError

    def migrate(self) -> None:
        raise NotImplementedError

    def check_version(self, current: int, known: int) -> None:
        """Where migrations are not run on start: the schema must be this iambot's."""
        if current > known:
            raise newer(self.name, current, known)
        if current < known:
            raise StoreError(
                f"{self.name} has schema version {current}, this iambot needs {known}: run `iambot db migrate`"
            )

    def healthy(self) -> tuple[bool, str]:
        """A read that answers within half a second: (ok, detail)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def newer(name: str, current: int, known: int) -> StoreError:
    return StoreError(f"{name} has schema version {current}, newer than this iambot ({known}): upgrade iambot")
