"""The SQLite database: one connection per thread, WAL, migrations, and units of work.

No Python lock is held while SQLite waits for a lock: each thread has its own connection, so a
writer waiting out another process's lock never stops a reader (WAL lets reads go on) or the
health check. A writer gives up after ``busy_seconds`` with :class:`StoreBusy`; callers keep
their work (a queue message stays on the queue) and try again.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlite_utils

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The database cannot be used; the message names the path and the cause."""


class StoreBusy(StoreError):
    """Another connection held the write lock for longer than the wait allows."""


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


def sequence() -> int:
    """A time-ordered integer id for append-only tables (audit, rejected)."""
    return (time.time_ns() // 1000) * 1024 + secrets.randbelow(1024)


def _storable(params: Any) -> Any:
    """Text SQLite can hold: a lone surrogate (from a body that was not valid UTF-8) is written
    as its escape, so nothing is refused for the characters it carries."""
    if isinstance(params, tuple | list):
        return tuple(p.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(p, str) else p for p in params)
    return params


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class Database:
    def __init__(
        self,
        path: str | Path = ":memory:",
        busy_seconds: float = 5.0,
        migrations: list[Callable[[sqlite_utils.Database], None]] | None = None,
    ):
        from bot.store.migrations import MIGRATIONS

        self.path = str(path)
        self.busy_seconds = busy_seconds
        self._local = threading.local()
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.RLock()
        self._closed = False
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create its folder ({exc.strerror or exc})") from exc
        self.migrations = migrations if migrations is not None else MIGRATIONS
        try:
            self.migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: {_explain(exc)}") from exc

    # ------------------------------------------------------------------ connections

    def _open(self) -> sqlite3.Connection:
        target = self.path
        conn = sqlite3.connect(target, check_same_thread=False, timeout=self.busy_seconds, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_seconds * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if target != ":memory:":
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("database is not in WAL mode", extra={"path": target, "mode": mode})
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (one shared connection, under a lock, for :memory:)."""
        if self._closed:
            own = getattr(self._local, "conn", None)
            if own is not None:  # each thread closes its own connection: never one another thread is using
                own.close()
                self._local.conn = None
            raise StoreError(f"{self.path}: the store is closed")
        if self.path == ":memory:":
            if self._memory is None:
                self._memory = self._open()
            return self._memory
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        return conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        if self.path == ":memory:":
            with self._memory_lock:
                yield
        else:
            yield

    def close(self) -> None:
        """Close this thread's connection; every other thread closes its own at its next use
        (closing a connection another thread is using is not safe)."""
        self._closed = True
        own = getattr(self._local, "conn", None)
        if own is not None:
            own.close()
            self._local.conn = None
        if self._memory is not None:
            with self._memory_lock:
                self._memory.close()
                self._memory = None

    # ------------------------------------------------------------------ statements

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._guard():
            try:
                try:
                    cur = self.conn.execute(sql, params)
                except UnicodeEncodeError:
                    cur = self.conn.execute(sql, _storable(params))
            except sqlite3.OperationalError as exc:
                if _locked(exc):
                    raise StoreBusy(f"{self.path}: the database is locked by another process") from exc
                raise
            names = [c[0] for c in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Any = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with self._guard():
            try:
                try:
                    return self.conn.execute(sql, params).rowcount
                except UnicodeEncodeError:
                    return self.conn.execute(sql, _storable(params)).rowcount
            except sqlite3.OperationalError as exc:
                if _locked(exc):
                    raise StoreBusy(f"{self.path}: the database is locked by another process") from exc
                raise

    @property
    def in_transaction(self) -> bool:
        return bool(getattr(self._local, "depth", 0)) or (self.path == ":memory:" and self.conn.in_transaction)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT on this thread's connection; nested calls join the outer one."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._guard():
            conn = self.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _locked(exc):
                    raise StoreBusy(f"{self.path}: the database is locked by another process") from exc
                raise
            self._local.depth = 1
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self._local.depth = 0
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                conn.execute("ROLLBACK")
                if _locked(exc):
                    raise StoreBusy(f"{self.path}: the database is locked by another process") from exc
                raise

    # ------------------------------------------------------------------ schema

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        with self._guard():
            current = self.version
            if current > len(self.migrations):
                raise StoreError(
                    f"{self.path} has schema version {current}, newer than this iambot "
                    f"({len(self.migrations)}): upgrade iambot"
                )
            for version, migration in enumerate(self.migrations[current:], start=current + 1):
                with self.transaction():
                    migration(sqlite_utils.Database(self.conn))
                    self.conn.execute(f"PRAGMA user_version = {version}")
                log.info("store migrated", extra={"version": version, "path": self.path})

    def probe(self, sql: str, params: Any = (), wait: float = 0.5) -> list[dict[str, Any]]:
        """A read on a connection of its own that waits at most ``wait`` seconds for any lock, so
        a health check answers while another process holds the database."""
        if self.path == ":memory:":
            return self.query(sql, params)
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=wait, isolation_level=None)
        try:
            cur = conn.execute(sql, params)
            names = [c[0] for c in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            conn.close()

    def healthy(self) -> tuple[bool, str]:
        """A read that answers within half a second: (ok, detail)."""
        if self._closed:
            return False, "the store is closed"
        try:
            self.probe("SELECT COUNT(*) AS n FROM sqlite_master")
            return True, "ok"
        except (sqlite3.Error, StoreError) as exc:
            return False, _explain(exc)


def _explain(exc: BaseException) -> str:
    text = str(exc)
    if "file is not a database" in text:
        return "not an iambot database (not SQLite, or corrupt)"
    if "unable to open" in text:
        return "cannot open it (check the path and its folder's permissions)"
    if "readonly" in text or "read-only" in text:
        return "it is read-only (check the file's and its folder's permissions)"
    if "malformed" in text:
        return "the database file is corrupt"
    return text
