"""The SQLite backend: one connection per thread, WAL, migrations, and units of work.

No Python lock is held while SQLite waits for a lock: each thread has its own connection, so a
writer waiting out another process's lock never stops a reader (WAL lets reads go on) or the
health check. A writer gives up after ``busy_seconds`` with :class:`StoreBusy`; callers keep
their work (a queue message stays on the queue) and try again. Migrations run inside one
``BEGIN IMMEDIATE``, the version read under it, so processes starting together never race.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.store.db import Database, StoreBusy, StoreError, newer, storable

log = logging.getLogger(__name__)


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(
        self,
        path: str | Path = ":memory:",
        busy_seconds: float = 5.0,
        migrations: list[Callable[[sqlite_utils.Database], None]] | None = None,
        migrate: bool = True,
    ):
        from bot.store.migrations import MIGRATIONS

        super().__init__(str(path), busy_seconds)
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.RLock()
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create its folder ({exc.strerror or exc})") from exc
        self.migrations = migrations if migrations is not None else MIGRATIONS
        try:
            self.migrate() if migrate else self.check_version(self.version, len(self.migrations))
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

    def _run(self, sql: str, params: Any) -> sqlite3.Cursor:
        try:
            try:
                return self.conn.execute(sql, params)
            except UnicodeEncodeError:
                return self.conn.execute(sql, storable(params))
        except sqlite3.OperationalError as exc:
            if _locked(exc):
                raise StoreBusy(f"{self.path}: the database is locked by another process") from exc
            raise

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._guard():
            cur = self._run(sql, params)
            names = [c[0] for c in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def execute(self, sql: str, params: Any = ()) -> int:
        with self._guard():
            return self._run(sql, params).rowcount

    def insert_many(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        with self._guard():
            try:
                self.conn.executemany(sql, rows)
            except UnicodeEncodeError:
                self.conn.executemany(sql, [storable(row) for row in rows])

    def tables(self) -> dict[str, list[str]]:
        names = self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        )
        return {
            row["name"]: [
                c["name"] for c in self.query(f"SELECT name FROM pragma_table_info('{row['name']}') ORDER BY cid")
            ]
            for row in names
        }

    @property
    def in_transaction(self) -> bool:
        return super().in_transaction or (self.path == ":memory:" and self.conn.in_transaction)

    @contextmanager
    def _begin(self) -> Iterator[None]:
        with self._guard():
            conn = self.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _locked(exc):
                    raise StoreBusy(f"{self.path}: the database is locked by another process") from exc
                raise
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
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
        """Each migration not yet applied, in a BEGIN IMMEDIATE of its own with the version read
        under it: a second process starting at the same instant waits for the lock, then finds
        that migration done."""
        with self._guard():
            if self.version > len(self.migrations):
                raise newer(self.path, self.version, len(self.migrations))
            while self.version < len(self.migrations):
                with self.transaction():
                    current = self.version
                    if current >= len(self.migrations):
                        break
                    self.migrations[current](sqlite_utils.Database(self.conn))
                    self.conn.execute(f"PRAGMA user_version = {current + 1}")
                log.info("store migrated", extra={"version": current + 1, "path": self.path})

    def probe(self, sql: str, params: Any = (), wait: float = 0.5) -> list[dict[str, Any]]:
        """A read on a connection of its own that waits at most ``wait`` seconds for any lock, so
        a health check answers while another process holds the database."""
        if self.path == ":memory:":
            return self.query(sql, params)
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=wait, isolation_level=None)
            try:
                cur = conn.execute(sql, params)
                names = [c[0] for c in cur.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            finally:
                conn.close()
        except sqlite3.OperationalError as exc:
            if _locked(exc):
                raise StoreBusy(f"{self.path}: the database is locked by another process") from exc
            raise StoreError(f"{self.path}: {_explain(exc)}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {_explain(exc)}") from exc

    def healthy(self) -> tuple[bool, str]:
        if self._closed:
            return False, "the store is closed"
        try:
            self.probe("SELECT COUNT(*) AS n FROM sqlite_master")
            return True, "ok"
        except StoreError as exc:
            return False, str(exc).removeprefix(f"{self.path}: ")


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
