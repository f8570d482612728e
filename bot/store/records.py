"""The smaller aggregates: the append-only audit log, suppressions, source cursors, files
already read, and snapshots (state iambot records so a change can be put back)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.db import Database, dumps, iso, loads, new_id, now, sequence, short_id

log = logging.getLogger(__name__)


class Audit:
    """Append-only: the database refuses UPDATE and DELETE on it."""

    def __init__(self, db: Database):
        self.db = db

    def add(
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
        self.db.execute(
            "INSERT INTO audit (id, at, user_id, action, request_id, event_key, remediation_id, params, result,"
            " detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                sequence(),
                iso(at or now()),
                user_id,
                action,
                request_id,
                event_key,
                remediation_id,
                None if params is None else dumps(params),
                result,
                detail[:2000],
            ),
        )
        log.info("audit", extra={"action": action, "user": user_id, "request": request_id, "result": result})

    def recent(self, limit: int = 20, request_id: str | None = None) -> list[dict[str, Any]]:
        if request_id:
            return self.db.query(
                "SELECT * FROM audit WHERE request_id = ? ORDER BY at DESC, id DESC LIMIT ?", (request_id, limit)
            )
        return self.db.query("SELECT * FROM audit ORDER BY at DESC, id DESC LIMIT ?", (limit,))

    def last_by(self, action: str, event_key: str) -> str | None:
        found = self.last(action, event_key)
        return found[0] if found else None

    def detail_for(self, action: str, request_id: str) -> str | None:
        """The detail of the latest successful ``action`` on a request (an undo names what it undoes)."""
        row = self.db.one(
            "SELECT detail FROM audit WHERE action = ? AND request_id = ? AND result = 'ok'"
            " ORDER BY at DESC, id DESC LIMIT 1",
            (action, request_id),
        )
        return row["detail"] if row else None

    def last(self, action: str, event_key: str) -> tuple[str, str] | None:
        """Who last did ``action`` (successfully) on the event, and the detail they gave."""
        row = self.db.one(
            "SELECT user_id, detail FROM audit WHERE action = ? AND event_key = ? AND result = 'ok'"
            " ORDER BY at DESC, id DESC LIMIT 1",
            (action, event_key),
        )
        return (row["user_id"], row["detail"] or "") if row else None


@dataclass(frozen=True, slots=True)
class Suppression:
    id: str
    event_name: str | None
    actor: str | None
    target: str | None
    account_id: str | None
    reason: str
    created_by: str
    created_at: str
    expires_at: str
    hits: int


class Suppressions:
    def __init__(self, db: Database):
        self.db = db

    def add(self, criteria: dict[str, str], reason: str, user: str, at: datetime, until: datetime) -> str:
        sid = short_id("M")
        self.db.execute(
            "INSERT INTO suppressions (id, event_name, actor, target, account_id, reason, created_by, created_at,"
            " expires_at, hits) VALUES (?,?,?,?,?,?,?,?,?,0)",
            (
                sid,
                criteria.get("event") or None,
                criteria.get("actor") or None,
                criteria.get("target") or None,
                criteria.get("account") or None,
                reason,
                user,
                iso(at),
                iso(until),
            ),
        )
        return sid

    def lift(self, sid: str, user: str) -> bool:
        return bool(
            self.db.execute(
                "UPDATE suppressions SET lifted_by = ? WHERE id = ? AND lifted_by IS NULL", (user, sid.upper())
            )
        )

    def active(self, at: datetime) -> list[Suppression]:
        rows = self.db.query(
            "SELECT * FROM suppressions WHERE lifted_by IS NULL AND expires_at > ? ORDER BY created_at", (iso(at),)
        )
        return [self._of(r) for r in rows]

    def get(self, sid: str) -> Suppression | None:
        row = self.db.one("SELECT * FROM suppressions WHERE id = ?", (sid.upper(),))
        return self._of(row) if row else None

    @staticmethod
    def _of(r: dict[str, Any]) -> Suppression:
        return Suppression(
            r["id"],
            r["event_name"],
            r["actor"],
            r["target"],
            r["account_id"],
            r["reason"] or "",
            r["created_by"],
            r["created_at"],
            r["expires_at"],
            int(r["hits"] or 0),
        )

    def hit(self, sid: str) -> None:
        self.db.execute("UPDATE suppressions SET hits = hits + 1 WHERE id = ?", (sid,))

    def hit_between(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT id, event_name, actor, target, account_id, hits, reason FROM suppressions WHERE hits > 0"
            " AND created_at < ? AND expires_at >= ?",
            (iso(until), iso(since)),
        )


class Cursors:
    """Where each source has got to, and which files or objects it has read."""

    def __init__(self, db: Database):
        self.db = db

    def get(self, name: str) -> str | None:
        row = self.db.one("SELECT value FROM cursors WHERE name = ?", (name,))
        return row["value"] if row else None

    def set(self, name: str, value: str, at: datetime | None = None) -> None:
        self.db.execute(
            "INSERT INTO cursors (name, value, updated_at) VALUES (?,?,?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (name, value, iso(at or now())),
        )

    def seen(self, uri: str, tag: str) -> bool:
        row = self.db.one("SELECT etag FROM ingested_objects WHERE uri = ?", (uri,))
        return bool(row and row["etag"] == tag)

    def mark(self, uri: str, tag: str, events: int, at: datetime | None = None) -> None:
        self.db.execute(
            "INSERT INTO ingested_objects (uri, etag, events, at) VALUES (?,?,?,?) ON CONFLICT (uri)"
            " DO UPDATE SET etag = excluded.etag, events = excluded.events, at = excluded.at",
            (uri, tag, events, iso(at or now())),
        )


class Snapshots:
    """State recorded before a change, by kind and key (an OIDC provider's thumbprints, an inline
    policy's document), so that a remediation can put it back."""

    def __init__(self, db: Database):
        self.db = db

    def record(
        self, kind: str, key: str, value: Any, account_id: str | None = None, at: datetime | None = None
    ) -> bool:
        """Store ``value`` unless it equals the last one recorded for (kind, key); True when stored.
        Under a lock on (kind, key): two replicas taking the same snapshot store it once."""
        with self.db.transaction():
            self.db.lock(f"snapshot:{kind}:{key}")
            last = self.latest(kind, key)
            if last is not None and last == value:
                return False
            self.db.execute(
                "INSERT INTO snapshots (id, kind, account_id, key, value, taken_at) VALUES (?,?,?,?,?,?)",
                (new_id("S"), kind, account_id, key, dumps(value), iso(at or now())),
            )
            return True

    def latest(self, kind: str, key: str) -> Any:
        row = self.db.one(
            "SELECT value FROM snapshots WHERE kind = ? AND key = ? ORDER BY taken_at DESC, id DESC LIMIT 1",
            (kind, key),
        )
        return loads(row["value"]) if row else None

    def before(self, kind: str, key: str, when: datetime) -> Any:
        """The value recorded last before ``when``, or None."""
        row = self.db.one(
            "SELECT value FROM snapshots WHERE kind = ? AND key = ? AND taken_at < ?"
            " ORDER BY taken_at DESC, id DESC LIMIT 1",
            (kind, key, iso(when)),
        )
        return loads(row["value"]) if row else None
