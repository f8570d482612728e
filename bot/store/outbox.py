"""The outbox: one row per logical Slack message, posted once and updated in place.

A row says what the message is about (``kind``, ``ref`` and ``data``); the Slack layer renders
it from the current state when it sends. ``due`` is 1 while it waits to be posted (no ``ts``) or
updated (``version`` > ``sent_version``). Only the holder of a row's lease sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.store.db import Database, dumps, iso, loads, now


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: str
    kind: str
    ref: str
    channel: str
    thread_of: str | None
    data: Any
    payload: Any  # a rendered message from before iambot rendered at send time
    version: int
    sent_version: int
    ts: str | None
    attempts: int
    created_at: str
    last_error: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> MessageRow:
        return cls(
            id=row["id"],
            kind=row["kind"],
            ref=row["ref"] or "",
            channel=row["channel"] or "",
            thread_of=row["thread_of"],
            data=loads(row.get("data")),
            payload=loads(row.get("payload")),
            version=int(row["version"]),
            sent_version=int(row["sent_version"]),
            ts=row["ts"],
            attempts=int(row["attempts"]),
            created_at=row["created_at"],
            last_error=row["last_error"],
        )


class Outbox:
    def __init__(self, db: Database):
        self.db = db

    def put(
        self,
        message_id: str,
        kind: str,
        ref: str,
        channel: str,
        data: Any = None,
        thread_of: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Queue a new message; False (and nothing queued) if ``message_id`` exists already."""
        stamp = iso(at or now())
        return bool(
            self.db.execute(
                "INSERT INTO messages (id, kind, ref, channel, thread_of, data, version, sent_version, attempts,"
                " created_at, due, due_since) VALUES (?,?,?,?,?,?,1,0,0,?,1,?) ON CONFLICT (id) DO NOTHING",
                (message_id, kind, ref, channel, thread_of, None if data is None else dumps(data), stamp, stamp),
            )
        )

    def touch(self, message_id: str, data: Any = None, at: datetime | None = None) -> bool:
        """The message should show a new state: send it again on the next flush."""
        return bool(
            self.db.execute(
                "UPDATE messages SET version = version + 1, next_at = NULL, data = COALESCE(?, data),"
                " due_since = CASE WHEN due = 1 THEN due_since ELSE ? END, due = 1 WHERE id = ?",
                (None if data is None else dumps(data), iso(at or now()), message_id),
            )
        )

    def touch_kind(self, kind: str, at: datetime | None = None) -> int:
        """Every row of ``kind`` should show a new state (every published Home, after a change all of
        them show); how many."""
        return int(
            self.db.execute(
                "UPDATE messages SET version = version + 1, next_at = NULL,"
                " due_since = CASE WHEN due = 1 THEN due_since ELSE ? END, due = 1 WHERE kind = ?",
                (iso(at or now()), kind),
            )
        )

    def get(self, message_id: str) -> MessageRow | None:
        row = self.db.one("SELECT * FROM messages WHERE id = ?", (message_id,))
        return MessageRow.of(row) if row else None

    def due(self, at: datetime, limit: int = 200) -> list[MessageRow]:
        stamp = iso(at)
        rows = self.db.query(
            "SELECT * FROM messages WHERE due = 1 AND channel <> '' AND (next_at IS NULL OR next_at <= ?)"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY created_at, id LIMIT ?",
            (stamp, stamp, limit),
        )
        return [MessageRow.of(r) for r in rows]

    def claim(self, message_id: str, version: int, at: datetime, lease: timedelta, holder: str = "") -> bool:
        stamp = iso(at)
        return bool(
            self.db.execute(
                "UPDATE messages SET lease_until = ?, lease_holder = ?, attempts = attempts + 1"
                " WHERE id = ? AND version = ? AND (lease_until IS NULL OR lease_until < ?)",
                (iso(at + lease), holder, message_id, version, stamp),
            )
        )

    def sent(self, message_id: str, ts: str, channel: str, version: int, at: datetime) -> None:
        self.db.execute(
            "UPDATE messages SET ts = ?, channel = ?, sent_version = ?, sent_at = ?, lease_until = NULL,"
            " last_error = NULL, next_at = NULL, attempts = 0, due = CASE WHEN version > ? THEN 1 ELSE 0 END,"
            " due_since = CASE WHEN version > ? THEN due_since ELSE NULL END WHERE id = ?",
            (ts, channel, version, iso(at), version, version, message_id),
        )

    def failed(self, message_id: str, error: str, next_at: datetime) -> None:
        self.db.execute(
            "UPDATE messages SET lease_until = NULL, last_error = ?, next_at = ? WHERE id = ?",
            (error[:500], iso(next_at), message_id),
        )

    def release_leases(self, holder: str = "") -> int:
        """After a restart: leases held by the process that died are void. Where one process owns
        the database (SQLite), that is every lease; where replicas share it, the ones ``holder``
        (this replica's name, which its previous life had) holds: another replica's return when
        they run out."""
        if not self.db.shared:
            return self.db.execute("UPDATE messages SET lease_until = NULL WHERE lease_until IS NOT NULL")
        if not holder:
            return 0
        return self.db.execute(
            "UPDATE messages SET lease_until = NULL WHERE lease_until IS NOT NULL AND lease_holder = ?", (holder,)
        )

    def route(self, message_id: str, channel: str) -> bool:
        """Give a message that had no channel one (alerts taken in before any channel was configured)."""
        return bool(
            self.db.execute("UPDATE messages SET channel = ? WHERE id = ? AND channel = ''", (channel, message_id))
        )

    def unrouted(self, kind: str, limit: int = 500) -> list[MessageRow]:
        rows = self.db.query(
            "SELECT * FROM messages WHERE due = 1 AND channel = '' AND kind = ? ORDER BY created_at LIMIT ?",
            (kind, limit),
        )
        return [MessageRow.of(r) for r in rows]

    def backlog(self, at: datetime) -> tuple[int, float]:
        """(messages waiting to be sent to a channel, age in seconds of the oldest)."""
        rows = self.db.probe(
            "SELECT COUNT(*) AS n, MIN(COALESCE(due_since, created_at)) AS oldest FROM messages"
            " WHERE due = 1 AND channel <> ''"
        )
        row = rows[0] if rows else None
        if not row or not row["n"]:
            return 0, 0.0
        oldest = datetime.fromisoformat(str(row["oldest"]).replace("Z", "+00:00"))
        return int(row["n"]), max(0.0, (at - oldest).total_seconds())

    def count_since(self, kind: str, channel: str, since: datetime) -> int:
        row = self.db.one(
            "SELECT COUNT(*) AS n FROM messages WHERE kind = ? AND channel = ? AND created_at >= ?",
            (kind, channel, iso(since)),
        )
        return int(row["n"]) if row else 0
