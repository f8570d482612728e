"""Alerts: how each new event was handled (its disposition) and where it stands (its status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.store.db import Database, dumps, iso, loads, now


class AlertStatus(StrEnum):
    """Where an alert stands. OPEN and DISMISSED are stored; a view derives REQUESTED (a request is
    pending) and REMEDIATED (one succeeded) from its requests (bot/workflow/views.py)."""

    OPEN = "open"
    REQUESTED = "requested"
    REMEDIATED = "remediated"
    DISMISSED = "dismissed"


class Disposition(StrEnum):
    """How intake handled a new alert (bot/workflow/noise.py says when each is decided)."""

    CANARY = "canary"
    CONFIRMATION = "confirmation"
    SELF = "self"
    SUPPRESSED = "suppressed"
    BACKFILL = "backfill"
    QUIET = "quiet"
    UNROUTED = "unrouted"
    REPEAT = "repeat"
    BURST = "burst"
    POSTED = "posted"
    SEQUENCE = "sequence"


@dataclass(frozen=True, slots=True)
class AlertRow:
    key: str
    status: str  # an AlertStatus: open | dismissed
    disposition: str | None  # a Disposition
    severity: str | None
    thread_of: str | None
    actor: str | None
    created_at: str
    event_time: str | None
    assessed: Any = None  # the judgement made at intake (bot/assess/judgement.py), JSON

    @classmethod
    def of(cls, row: dict[str, Any]) -> AlertRow:
        return cls(
            key=row["key"],
            status=row["status"],
            disposition=row["disposition"],
            severity=row["severity"],
            thread_of=row["thread_of"],
            actor=row.get("actor"),
            created_at=row["created_at"],
            event_time=row["event_time"],
            assessed=loads(row.get("assessed"), None),
        )


@dataclass(frozen=True, slots=True)
class PostedAlert:
    """An open alert and where Slack shows it (channel and ts of its message, once posted)."""

    key: str
    severity: str
    event_name: str
    actor: str | None
    summary: str | None
    event_time: str
    channel: str | None
    ts: str | None
    account_id: str | None = None


class Alerts:
    def __init__(self, db: Database):
        self.db = db

    def add(
        self,
        key: str,
        *,
        disposition: str,
        severity: str,
        group_key: str,
        event_time: datetime,
        actor: str | None,
        thread_of: str | None = None,
        at: datetime | None = None,
        assessed: dict[str, Any] | None = None,
    ) -> bool:
        stamp = iso(at or now())
        judged = dumps(assessed) if assessed is not None else None
        return bool(
            self.db.execute(
                "INSERT INTO alerts (key, status, lines, severity, created_at, updated_at, disposition, thread_of,"
                " group_key, event_time, actor, assessed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (key) DO NOTHING",
                (key, AlertStatus.OPEN, "[]", severity, stamp, stamp, disposition, thread_of, group_key,
                 iso(event_time), actor, judged),
            )
        )  # fmt: skip

    def get(self, key: str) -> AlertRow | None:
        row = self.db.one("SELECT * FROM alerts WHERE key = ?", (key,))
        return AlertRow.of(row) if row else None

    def move(self, key: str, from_status: str, to_status: str, at: datetime | None = None) -> bool:
        """Compare-and-set the alert's status; True for exactly one caller."""
        return bool(
            self.db.execute(
                "UPDATE alerts SET status = ?, updated_at = ? WHERE key = ? AND status = ?",
                (to_status, iso(at or now()), key, from_status),
            )
        )

    def raise_severity(self, key: str, severity: str, at: datetime | None = None) -> bool:
        """The alert now reads ``severity`` (the workflow raises, never lowers: the actor disowned it),
        and so does its event, which the digest counts."""
        changed = self.db.execute(
            "UPDATE alerts SET severity = ?, updated_at = ? WHERE key = ?", (severity, iso(at or now()), key)
        )
        self.db.execute("UPDATE events SET severity = ? WHERE key = ?", (severity, key))
        return bool(changed)

    def set_disposition(self, key: str, disposition: str) -> None:
        self.db.execute("UPDATE alerts SET disposition = ? WHERE key = ?", (disposition, key))

    def repeat_parent(self, group: str, since: datetime, until: datetime) -> str | None:
        row = self.db.one(
            "SELECT key FROM alerts WHERE group_key = ? AND disposition = 'posted' AND event_time >= ?"
            " AND event_time <= ? ORDER BY event_time LIMIT 1",
            (group, iso(since), iso(until)),
        )
        return row["key"] if row else None

    def repeat_times(self, parent: str) -> list[str]:
        rows = self.db.query(
            "SELECT event_time FROM alerts WHERE thread_of = ? AND disposition = 'repeat' ORDER BY event_time",
            (parent,),
        )
        return [r["event_time"] for r in rows]

    def burst_counts(self, since: datetime) -> list[tuple[str, str, int]]:
        """(event name, actor, count) of alerts summarised as a burst since ``since``, most first."""
        rows = self.db.query(
            "SELECT e.event_name, e.actor_name, COUNT(*) AS n FROM alerts a JOIN events e ON e.key = a.key"
            " WHERE a.disposition = 'burst' AND a.created_at >= ? GROUP BY e.event_name, e.actor_name"
            " ORDER BY n DESC, e.event_name",
            (iso(since),),
        )
        return [(r["event_name"], r["actor_name"] or "?", int(r["n"])) for r in rows]

    def dispositions(self) -> dict[str, int]:
        rows = self.db.query("SELECT disposition, COUNT(*) AS n FROM alerts GROUP BY disposition")
        return {r["disposition"] or "stored": int(r["n"]) for r in rows}

    def unrouted(self, limit: int = 500) -> list[str]:
        rows = self.db.query(
            "SELECT key FROM alerts WHERE disposition = 'unrouted' ORDER BY created_at LIMIT ?", (limit,)
        )
        return [r["key"] for r in rows]

    def open_posted_since(self, since: datetime, severities: tuple[str, ...], limit: int = 200) -> list[PostedAlert]:
        """Open posted alerts of these severities whose event happened since ``since``, newest first,
        with their message's place in Slack (the outbox row ``alert:<key>``)."""
        marks = ",".join("?" * len(severities))
        rows = self.db.query(
            "SELECT a.key, a.severity, a.event_time, e.event_name, e.actor_name, e.summary, e.account_id,"
            " m.channel, m.ts"
            " FROM alerts a JOIN events e ON e.key = a.key LEFT JOIN messages m ON m.id = 'alert:' || a.key"
            f" WHERE a.status = 'open' AND a.disposition = 'posted' AND a.severity IN ({marks})"
            " AND a.event_time >= ? ORDER BY a.event_time DESC, a.key LIMIT ?",
            (*severities, iso(since), limit),
        )
        return [
            PostedAlert(r["key"], r["severity"], r["event_name"], r["actor_name"], r["summary"], r["event_time"],
                        r["channel"] or None, r["ts"] or None, r["account_id"] or None)
            for r in rows
        ]  # fmt: skip
