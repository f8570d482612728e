"""The PostgreSQL backend: psycopg 3 with a connection pool, for several replicas on one database.

Statements outside a unit of work take a pooled connection in autocommit; a unit of work holds
one connection from BEGIN to COMMIT on its thread. Parameters are bound on the client
(``ClientCursor``), as SQLite binds them: the repositories' ``? IS NULL`` and ``COALESCE(?, …)``
need no casts. Waits are bounded: ``lock_timeout`` is the store's busy wait, a connection is
waited for as long, and either running out is :class:`StoreBusy` (callers keep their work and try
again), as is a lost connection, a deadlock or a serialization failure. PostgreSQL's text holds no
NUL character: one in an event's text is stored as the visible escape ``\\u0000``.

Migrations run in one transaction under an advisory lock, so replicas starting together apply
them once; the version lives in ``iambot_schema``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.store.db import Database, StoreBusy, StoreError, newer, storable

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key for migrations: "iambot" as an integer, so any replica takes the same
MIGRATION_LOCK = int.from_bytes(b"iambot", "big")

# errors after which the same statement may succeed: a lock or pool wait ran out, the server went
# away, a deadlock or a serialization failure (each rolled back by the server)
_TRANSIENT = (
    pgerrors.LockNotAvailable,
    pgerrors.QueryCanceled,
    pgerrors.DeadlockDetected,
    pgerrors.SerializationFailure,
    pgerrors.AdminShutdown,
    pgerrors.CannotConnectNow,
)


def conninfo(url: str) -> str:
    """What libpq reads: the URL itself (``postgres://`` and ``postgresql://`` alike)."""
    if url.lower().startswith("postgres://"):
        return "postgresql://" + url.split("://", 1)[1]
    return url


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s``; a literal ``%`` doubled. Quoted text is left alone
    (but its ``%`` doubled too, since psycopg reads the whole statement)."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if ch == "%":
            out.append("%%")
        elif quote:
            out.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


def _text(params: Any) -> Any:
    if isinstance(params, tuple | list):
        return tuple(p.replace("\x00", "\\u0000") if isinstance(p, str) and "\x00" in p else p for p in params)
    return params


class PostgresDatabase(Database):
    dialect = "postgresql"
    for_update = " FOR UPDATE"
    shared = True

    def __init__(self, url: str, name: str, busy_seconds: float = 5.0, pool_size: int = 10, migrate: bool = True):
        super().__init__(name, busy_seconds)
        self._conninfo = conninfo(url)
        self._probe_lock = threading.Lock()
        self._probe_conn: psycopg.Connection[Any] | None = None
        options = _options(self._conninfo, f"-c lock_timeout={int(busy_seconds * 1000)}")
        self.pool: ConnectionPool[psycopg.Connection[dict[str, Any]]] = ConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=max(2, pool_size),
            kwargs={"autocommit": True, "row_factory": dict_row, "cursor_factory": psycopg.ClientCursor,
                    "options": options, "connect_timeout": max(1, int(busy_seconds))},
            timeout=busy_seconds,
            check=ConnectionPool.check_connection,  # a connection the server dropped is not handed out
            open=False,
            name="iambot",
        )
        try:
            self.pool.open(wait=True, timeout=max(busy_seconds, 1.0))
        except PoolTimeout as exc:
            self.pool.close()
            raise StoreError(f"{self.name}: cannot connect ({_last_error(self._conninfo)})") from exc
        from bot.store.schema_pg import MIGRATIONS

        self.migrations = MIGRATIONS
        try:
            self.migrate() if migrate else self.check_version(self.version, max(MIGRATIONS))
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ statements

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        if self._closed:
            raise StoreError(f"{self.name}: the store is closed")
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self._errors(), self.pool.connection() as conn:
            yield conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except PoolTimeout as exc:
            raise StoreBusy(f"{self.name}: no connection to the database within {self.busy_seconds:g} s") from exc
        except _TRANSIENT as exc:
            raise StoreBusy(f"{self.name}: {_first_line(exc)}") from exc
        except psycopg.OperationalError as exc:
            raise StoreBusy(f"{self.name}: the database is unavailable ({_first_line(exc)})") from exc
        except psycopg.InterfaceError as exc:
            raise StoreBusy(f"{self.name}: the connection was lost ({_first_line(exc)})") from exc

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._connection() as conn, self._errors():
            statement = translate(sql)
            try:
                cur = conn.execute(statement, _text(params) if params else None)
            except UnicodeEncodeError:
                cur = conn.execute(statement, storable(_text(params)))
            return list(cur.fetchall()) if cur.description else []

    def execute(self, sql: str, params: Any = ()) -> int:
        with self._connection() as conn, self._errors():
            statement = translate(sql)
            try:
                return conn.execute(statement, _text(params) if params else None).rowcount
            except UnicodeEncodeError:
                return conn.execute(statement, storable(_text(params))).rowcount

    def insert_many(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        with self._connection() as conn, self._errors(), conn.cursor() as cur:
            cur.executemany(sql, [storable(_text(row)) for row in rows])

    def tables(self) -> dict[str, list[str]]:
        # creation order: a table's OID is given when it is created
        rows = self.query(
            "SELECT c.relname AS table_name, a.attname AS column_name FROM pg_class c"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            " WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace"
            " AND c.relname <> 'iambot_schema' ORDER BY c.oid, a.attnum"
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["table_name"], []).append(row["column_name"])
        return found

    @contextmanager
    def _begin(self) -> Iterator[None]:
        if self._closed:
            raise StoreError(f"{self.name}: the store is closed")
        with self._errors(), self.pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield
            finally:
                self._local.conn = None

    def _lock(self, key: str) -> None:
        self.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))

    # ------------------------------------------------------------------ schema

    @property
    def version(self) -> int:
        row = self.one("SELECT to_regclass('iambot_schema') IS NOT NULL AS present")
        if not row or not row["present"]:
            return 0
        row = self.one("SELECT MAX(version) AS v FROM iambot_schema")
        return int(row["v"] or 0) if row else 0

    def migrate(self) -> None:
        known = max(self.migrations)
        with self.transaction():
            self.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            self.execute("CREATE TABLE IF NOT EXISTS iambot_schema (version BIGINT PRIMARY KEY, at TEXT)")
            current = self.version
            if current > known:
                raise newer(self.name, current, known)
            for version in sorted(v for v in self.migrations if v > current):
                for statement in self.migrations[version]:
                    self.execute(statement)
                self.execute("INSERT INTO iambot_schema (version, at) VALUES (?, now()::text)", (version,))
                log.info("store migrated", extra={"version": version, "path": self.name})

    # ------------------------------------------------------------------ health

    def probe(self, sql: str, params: Any = (), wait: float = 0.5) -> list[dict[str, Any]]:
        """A read on a connection of its own (not the pool's) that gives up after ``wait``."""
        ms = int(wait * 1000)
        with self._probe_lock:
            try:
                if self._probe_conn is None or self._probe_conn.closed:
                    self._probe_conn = psycopg.connect(
                        self._conninfo, autocommit=True, row_factory=dict_row, cursor_factory=psycopg.ClientCursor,
                        connect_timeout=max(1, round(wait)),
                        options=_options(self._conninfo, f"-c statement_timeout={ms} -c lock_timeout={ms}"),
                    )
                cur = self._probe_conn.execute(translate(sql), params or None)
                return list(cur.fetchall()) if cur.description else []
            except psycopg.Error as exc:
                if self._probe_conn is not None:
                    self._probe_conn.close()
                    self._probe_conn = None
                raise StoreBusy(f"{self.name}: {_first_line(exc)}") from exc

    def healthy(self) -> tuple[bool, str]:
        if self._closed:
            return False, "the store is closed"
        try:
            self.probe("SELECT 1 AS ok")
            return True, "ok"
        except StoreError as exc:
            return False, str(exc)

    def close(self) -> None:
        self._closed = True
        self.pool.close()
        with self._probe_lock:
            if self._probe_conn is not None:
                self._probe_conn.close()
                self._probe_conn = None


def _options(info: str, extra: str) -> str:
    """The URL's own ``options`` (a search_path, say) with ``extra`` after them: passing options
    to connect() replaces the URL's, so they are joined here."""
    own = conninfo_to_dict(info).get("options") or ""
    return f"{own} {extra}".strip()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _last_error(info: str) -> str:
    """Why a connection cannot be made, in libpq's words (its first line)."""
    try:
        psycopg.connect(info, connect_timeout=2).close()
    except psycopg.Error as exc:
        return _first_line(exc)
    return "the pool timed out"
