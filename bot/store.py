"""SQLite persistence through sqlite-utils: WAL mode, a schema version, ordered migrations.

Events are stored once, keyed by CloudTrail's eventID (or a stable hash of the record when it
has none), so reading the same input twice stores and alerts nothing new. One connection is
shared by the threads of the process and guarded by a lock; state transitions that must not
race are single compare-and-set UPDATE statements.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlite_utils

from bot.events import Rejected

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _m1_events(db: sqlite_utils.Database) -> None:
    db["events"].create(
        {
            "key": str,
            "id": str,
            "event_name": str,
            "event_time": str,
            "account_id": str,
            "region": str,
            "actor_type": str,
            "actor_arn": str,
            "actor_name": str,
            "target": str,
            "source_ip": str,
            "user_agent": str,
            "error_code": str,
            "severity": str,
            "summary": str,
            "is_self": int,
            "origin": str,
            "ingested_at": str,
            "raw": str,
        },
        pk="key",
    )
    db["events"].create_index(["id"])
    db["events"].create_index(["event_time"])
    db["events"].create_index(["event_name", "actor_arn"])
    db["rejected"].create(
        {"id": int, "at": str, "source": str, "where_": str, "reason": str, "excerpt": str},
        pk="id",
    )


def _m2_slack(db: sqlite_utils.Database) -> None:
    # Where each alert stands (open, requested, dismissed, remediated, failed) and its note lines.
    db["alerts"].create(
        {"key": str, "status": str, "lines": str, "severity": str, "created_at": str, "updated_at": str},
        pk="key",
        foreign_keys=[("key", "events", "key")],
    )
    # The outbox: one row per logical Slack message, holding the payload it should show now.
    # A row with no ts has never been posted; version > sent_version means an update is due.
    db["messages"].create(
        {
            "id": str,
            "kind": str,
            "ref": str,
            "channel": str,
            "thread_of": str,
            "payload": str,
            "version": int,
            "sent_version": int,
            "ts": str,
            "attempts": int,
            "next_at": str,
            "lease_until": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        defaults={"version": 1, "sent_version": 0, "attempts": 0},
    )
    db["messages"].create_index(["kind", "ref"])
    db["requests"].create(
        {
            "id": str,
            "remediation_id": str,
            "params": str,
            "event_key": str,
            "account_id": str,
            "status": str,
            "requested_by": str,
            "requested_at": str,
            "expires_at": str,
            "approvals_needed": int,
            "plan": str,
            "expected": str,
            "decided_by": str,
            "decided_at": str,
            "reason": str,
            "outcome": str,
            "finished_at": str,
        },
        pk="id",
    )
    db["requests"].create_index(["status"])
    db["requests"].create_index(["event_key"])
    db["approvals"].create({"request_id": str, "user_id": str, "at": str}, pk=("request_id", "user_id"))
    db["audit"].create(
        {
            "id": int,
            "at": str,
            "user_id": str,
            "action": str,
            "request_id": str,
            "event_key": str,
            "remediation_id": str,
            "params": str,
            "result": str,
            "detail": str,
        },
        pk="id",
    )
    db["audit"].create_index(["request_id"])
    # The audit log is append-only: the database itself refuses edits and deletions.
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
    db["oidc_snapshots"].create(
        {"id": int, "account_id": str, "provider_arn": str, "thumbprints": str, "taken_at": str}, pk="id"
    )
    db["oidc_snapshots"].create_index(["provider_arn", "taken_at"])


def _m3_sources(db: sqlite_utils.Database) -> None:
    # Where each source has got to (LookupEvents: the newest event time committed).
    db["cursors"].create({"name": str, "value": str, "updated_at": str}, pk="name")
    # S3 objects and files already read, so a re-run of `iambot ingest` skips them.
    db["ingested_objects"].create({"uri": str, "etag": str, "events": int, "at": str}, pk="uri")
    db["suppressions"].create(
        {
            "id": str,
            "event_name": str,
            "actor": str,
            "target": str,
            "account_id": str,
            "reason": str,
            "created_by": str,
            "created_at": str,
            "expires_at": str,
            "hits": int,
            "lifted_by": str,
        },
        pk="id",
        defaults={"hits": 0},
    )
    # How each new alert was handled: posted, repeat (into the first alert's thread), suppressed,
    # backfill (older than the backfill age), confirmation (iambot's own change coming back), unrouted.
    db["alerts"].add_column("disposition", str)
    db["alerts"].add_column("thread_of", str)
    db["alerts"].add_column("group_key", str)
    db["alerts"].add_column("event_time", str)
    db["alerts"].create_index(["group_key", "event_time"])
    db["alerts"].create_index(["created_at"])


# Each migration runs once, in order, inside a transaction; the index + 1 is its version.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_m1_events, _m2_slack, _m3_sources]


class Store:
    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.RLock()
        if self.path != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.migrate()

    # ------------------------------------------------------------------ schema

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        with self.lock:
            current = self.version
            if current > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.path} has schema version {current}, newer than this iambot "
                    f"({len(MIGRATIONS)}): upgrade iambot"
                )
            for version, migration in enumerate(MIGRATIONS[current:], start=current + 1):
                with self.transaction():
                    migration(self.db)
                    self.db.execute(f"PRAGMA user_version = {version}")
                log.info("store migrated", extra={"version": version, "path": self.path})

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.db.conn.close()

    # ------------------------------------------------------------------ events

    def add_alerts(self, alerts: Iterable[Any]) -> list[Any]:
        """Store alerts' events; return the alerts whose event was not stored before."""
        alerts = list(alerts)
        if not alerts:
            return []
        stamp = iso(now())
        new = []
        with self.transaction() as conn:
            for alert in alerts:
                e = alert.event
                cur = conn.execute(
                    "INSERT OR IGNORE INTO events (key, id, event_name, event_time, account_id, region,"
                    " actor_type, actor_arn, actor_name, target, source_ip, user_agent, error_code,"
                    " severity, summary, is_self, origin, ingested_at, raw)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        e.key,
                        e.event_id,
                        e.event_name,
                        iso(e.event_time),
                        e.account_id,
                        e.region,
                        e.actor.type,
                        e.actor.arn,
                        e.actor.name,
                        dumps(e.target),
                        e.source_ip,
                        e.user_agent,
                        e.error_code,
                        alert.severity,
                        alert.summary,
                        int(alert.risk.is_self),
                        e.origin,
                        stamp,
                        dumps(e.raw),
                    ),
                )
                if cur.rowcount:
                    new.append(alert)
        return new

    def add_rejected(self, items: Iterable[Rejected], source: str = "") -> int:
        rows = [
            {"at": iso(now()), "source": source, "where_": r.where, "reason": r.reason, "excerpt": r.excerpt}
            for r in items
        ]
        if rows:
            with self.transaction():
                self.db["rejected"].insert_all(rows)
        return len(rows)

    def event(self, key_or_id: str) -> dict[str, Any] | None:
        """An event by its store key, or by CloudTrail eventID (the latest, if reused)."""
        with self.lock:
            rows = list(
                self.db.query(
                    "SELECT * FROM events WHERE key = ? OR id = ? ORDER BY key = ? DESC, event_time DESC LIMIT 1",
                    [key_or_id, key_or_id, key_or_id],
                )
            )
        return _decode(rows[0]) if rows else None

    def recent_events(self, limit: int = 10) -> list[dict[str, Any]]:
        with self.lock:
            rows = list(self.db.query("SELECT * FROM events ORDER BY event_time DESC, id LIMIT ?", [limit]))
        return [_decode(r) for r in rows]

    def count(self, table: str) -> int:
        with self.lock:
            return self.db[table].count

    # ------------------------------------------------------------------ plain queries

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.db.query(sql, list(params)))

    def row(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    # ------------------------------------------------------------------ audit

    def audit(
        self,
        action: str,
        user_id: str,
        *,
        request_id: str | None = None,
        event_key: str | None = None,
        remediation_id: str | None = None,
        params: Any = None,
        result: str = "ok",
        detail: str = "",
        at: datetime | None = None,
    ) -> None:
        """Append one entry to the audit log (the table refuses updates and deletes)."""
        with self.lock:
            self.db.conn.execute(
                "INSERT INTO audit (at, user_id, action, request_id, event_key, remediation_id, params, result, detail)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    iso(at or now()),
                    user_id,
                    action,
                    request_id,
                    event_key,
                    remediation_id,
                    dumps(params) if params is not None else None,
                    result,
                    detail,
                ),
            )
        log.info("audit", extra={"action": action, "user": user_id, "request": request_id, "result": result})

    def cursor(self, name: str) -> str | None:
        row = self.row("SELECT value FROM cursors WHERE name = ?", [name])
        return row["value"] if row else None

    def set_cursor(self, name: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO cursors (name, value, updated_at) VALUES (?,?,?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (name, value, iso(now())),
            )

    def audit_log(self, limit: int = 20, request_id: str | None = None) -> list[dict[str, Any]]:
        if request_id:
            return self.rows("SELECT * FROM audit WHERE request_id = ? ORDER BY id DESC LIMIT ?", [request_id, limit])
        return self.rows("SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit])


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("target", "raw"):
        if isinstance(out.get(key), str):
            out[key] = orjson.loads(out[key])
    return out
