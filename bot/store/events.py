"""Events (each stored once, by key), rejected input, and the sign-in history risk reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.events import IamEvent, Rejected
from bot.store.db import Database, dumps, iso, loads, now, sequence


@dataclass(frozen=True, slots=True)
class StoredEvent:
    key: str
    id: str
    event_source: str
    event_name: str
    event_time: str
    account_id: str | None
    actor_name: str | None
    actor_arn: str | None
    severity: str | None
    summary: str | None
    target: dict[str, Any]
    raw: dict[str, Any]
    origin: str
    ingested_at: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> StoredEvent:
        return cls(
            key=row["key"],
            id=row["id"],
            event_source=row.get("event_source") or "iam.amazonaws.com",
            event_name=row["event_name"],
            event_time=row["event_time"],
            account_id=row["account_id"],
            actor_name=row["actor_name"],
            actor_arn=row["actor_arn"],
            severity=row["severity"],
            summary=row["summary"],
            target=loads(row["target"], {}),
            raw=loads(row["raw"], {}),
            origin=row["origin"] or "",
            ingested_at=row["ingested_at"],
        )


class Events:
    def __init__(self, db: Database):
        self.db = db

    def add(
        self,
        event: IamEvent,
        *,
        severity: str,
        summary: str,
        targets: dict[str, str],
        is_self: bool,
        source_net: str | None,
        raw: str,
        at: datetime | None = None,
    ) -> bool:
        """Store the event unless its key is stored already; True when it is new."""
        return bool(
            self.db.execute(
                "INSERT INTO events (key, id, event_source, event_name, event_time, account_id, region, actor_type,"
                " actor_arn, actor_name, target, source_ip, source_net, user_agent, error_code, severity, summary,"
                " is_self, origin, ingested_at, raw) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (key) DO NOTHING",
                (
                    event.key,
                    event.event_id,
                    event.event_source,
                    event.event_name,
                    iso(event.event_time),
                    event.account_id,
                    event.region,
                    event.actor.type,
                    event.actor.arn,
                    event.actor.name,
                    dumps(targets),
                    event.source_ip,
                    source_net,
                    event.user_agent,
                    event.error_code,
                    severity,
                    summary,
                    int(is_self),
                    event.origin,
                    iso(at or now()),
                    raw,
                ),
            )
        )

    def get(self, key_or_id: str) -> StoredEvent | None:
        """An event by its store key, or by CloudTrail eventID (the latest, if reused)."""
        row = self.db.one(
            "SELECT * FROM events WHERE key = ? OR id = ? ORDER BY CASE WHEN key = ? THEN 0 ELSE 1 END,"
            " event_time DESC LIMIT 1",
            (key_or_id, key_or_id, key_or_id),
        )
        return StoredEvent.of(row) if row else None

    def with_id(self, key_or_id: str, limit: int = 5) -> list[StoredEvent]:
        """Every stored event with this key or CloudTrail eventID (ids are sometimes reused), latest first."""
        rows = self.db.query(
            "SELECT * FROM events WHERE key = ? OR id = ? ORDER BY event_time DESC, key LIMIT ?",
            (key_or_id, key_or_id, limit),
        )
        return [StoredEvent.of(r) for r in rows]

    def recent(self, limit: int = 10) -> list[StoredEvent]:
        rows = self.db.query("SELECT * FROM events ORDER BY event_time DESC, id LIMIT ?", (limit,))
        return [StoredEvent.of(r) for r in rows]

    def count(self) -> int:
        row = self.db.one("SELECT COUNT(*) AS n FROM events")
        return int(row["n"]) if row else 0

    def sign_in_sources(self, actor: str, source: str, before: datetime) -> tuple[set[str], set[str]]:
        """(IPs, networks) this actor's successful events of ``source`` came from before ``before``."""
        rows = self.db.query(
            "SELECT DISTINCT source_ip, source_net FROM events WHERE actor_arn = ? AND event_source = ?"
            " AND event_time < ? AND error_code IS NULL AND source_ip IS NOT NULL LIMIT 500",
            (actor, source, iso(before)),
        )
        return {r["source_ip"] for r in rows}, {r["source_net"] for r in rows if r["source_net"]}

    def failures(self, actor: str | None, source_ip: str | None, source: str, since: datetime, before: datetime) -> int:
        """Failed events of ``source`` by ``actor`` or from ``source_ip`` in [since, before)."""
        if not actor and not source_ip:
            return 0
        row = self.db.one(
            "SELECT COUNT(*) AS n FROM events WHERE event_source = ? AND error_code IS NOT NULL"
            " AND event_time >= ? AND event_time < ? AND (actor_arn = ? OR source_ip = ?)",
            (source, iso(since), iso(before), actor or "", source_ip or ""),
        )
        return int(row["n"]) if row else 0

    def in_period(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """Events ingested in [since, until) with their alert's disposition, for the digest."""
        return self.db.query(
            "SELECT e.key, e.event_source, e.event_name, e.actor_name, e.severity, e.summary, e.event_time,"
            " e.account_id, e.ingested_at, al.disposition FROM events e LEFT JOIN alerts al ON al.key = e.key"
            " WHERE e.ingested_at >= ? AND e.ingested_at < ?",
            (iso(since), iso(until)),
        )


class RejectedInput:
    """Input that could not be read, with the reason, kept for a person to look at."""

    def __init__(self, db: Database):
        self.db = db

    def add(self, items: list[Rejected], source: str, body: str | None = None, at: datetime | None = None) -> int:
        stamp = iso(at or now())
        for item in items:
            self.db.execute(
                "INSERT INTO rejected (id, at, source, where_, reason, excerpt, body) VALUES (?,?,?,?,?,?,?)",
                (sequence(), stamp, source, item.where[:500], item.reason[:1000], item.excerpt[:500], body),
            )
        return len(items)

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM rejected ORDER BY at DESC, id DESC LIMIT ?", (limit,))

    def count(self) -> int:
        row = self.db.one("SELECT COUNT(*) AS n FROM rejected")
        return int(row["n"]) if row else 0
