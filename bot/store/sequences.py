"""Sequences across one principal's events (bot/assess/sequences.py finds them): each event's step,
and the sequences they make. A sequence's id is made from its kind, principal and first member, and
is the table's key, so replicas that see the same threshold reached at once make one sequence."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.db import Database, iso


@dataclass(frozen=True, slots=True)
class StepRow:
    key: str
    name: str
    at: str
    at_self: bool


@dataclass(frozen=True, slots=True)
class Tally:
    steps: int
    names: int  # distinct operation names
    marked: bool  # the marker name is among them


@dataclass(frozen=True, slots=True)
class SequenceRow:
    id: str
    kind: str
    principal: str
    first_at: str
    last_at: str
    posted: bool
    calls: tuple[tuple[str, int], ...] = ()  # distinct operation names tried, most first
    events: int = 0
    at_self: int = 0  # members aimed at the caller's own user

    @classmethod
    def of(cls, row: dict[str, Any], members: list[dict[str, Any]] | None = None) -> SequenceRow:
        counts: Counter[str] = Counter()
        at_self = 0
        for m in members or ():
            counts[str(m["name"])] += 1
            at_self += int(m["at_self"] or 0)
        return cls(
            id=row["id"],
            kind=row["kind"],
            principal=row["principal"],
            first_at=row["first_at"],
            last_at=row["last_at"],
            posted=bool(row["posted"]),
            calls=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            events=sum(counts.values()),
            at_self=at_self,
        )


def sequence_key(kind: str, principal: str, first_key: str) -> str:
    digest = hashlib.sha256(f"{kind}\x00{principal}\x00{first_key}".encode("utf-8", "surrogateescape"))
    return f"S{digest.hexdigest()[:20]}"


# the steps of a kind and principal in a window that no sequence has taken yet (tally, first_loose, join_loose)
_LOOSE = "kind = ? AND principal = ? AND at >= ? AND at <= ? AND sequence_id IS NULL"


def _loose(kind: str, principal: str, since: datetime, until: datetime) -> tuple[str, str, str, str]:
    return kind, principal[:2048], iso(since), iso(until)


class Sequences:
    def __init__(self, db: Database):
        self.db = db

    def step(self, key: str, kind: str, principal: str, at: datetime, name: str, at_self: bool) -> bool:
        """Record an event's step once (a redelivered event is not a second step)."""
        return bool(
            self.db.execute(
                "INSERT INTO sequence_steps (event_key, kind, principal, at, name, at_self) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT (event_key) DO NOTHING",
                (key, kind, principal[:2048], iso(at), name[:256], int(at_self)),
            )
        )

    def tally(self, kind: str, principal: str, since: datetime, until: datetime, marker: str) -> Tally:
        """What the steps of this kind and principal in [since, until] not yet in a sequence add up
        to: how many, how many distinct names, whether ``marker`` is among them. Counted by the
        database, however many there are: a principal that floods its window with one call cannot
        push the calls that matter out of a page of rows."""
        row = self.db.one(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT name) AS names,"
            f" COALESCE(MAX(CASE WHEN name = ? THEN 1 ELSE 0 END), 0) AS marked FROM sequence_steps WHERE {_LOOSE}",
            (marker, *_loose(kind, principal, since, until)),
        )
        if row is None:  # pragma: no cover - an aggregate always answers one row
            return Tally(0, 0, False)
        return Tally(int(row["n"]), int(row["names"]), bool(row["marked"]))

    def first_loose(self, kind: str, principal: str, since: datetime, until: datetime) -> StepRow | None:
        """The oldest of the steps :meth:`tally` counts."""
        row = self.db.one(
            f"SELECT event_key, name, at, at_self FROM sequence_steps WHERE {_LOOSE} ORDER BY at, event_key LIMIT 1",
            _loose(kind, principal, since, until),
        )
        return StepRow(row["event_key"], row["name"], row["at"], bool(row["at_self"])) if row else None

    def join_loose(self, id: str, kind: str, principal: str, since: datetime, until: datetime) -> None:
        """The steps :meth:`tally` counts join sequence ``id`` (one statement however many), which
        then lasts until ``until`` at least."""
        self.db.execute(
            f"UPDATE sequence_steps SET sequence_id = ? WHERE {_LOOSE}", (id, *_loose(kind, principal, since, until))
        )
        self._last(id, iso(until))

    def open(self, kind: str, principal: str, since: datetime) -> str | None:
        """The id of this principal's sequence of this kind whose last member is at or after ``since``."""
        row = self.db.one(
            "SELECT id FROM sequences WHERE kind = ? AND principal = ? AND last_at >= ? ORDER BY last_at DESC LIMIT 1",
            (kind, principal[:2048], iso(since)),
        )
        return str(row["id"]) if row else None

    def create(
        self, id: str, kind: str, principal: str, first_at: str, last_at: str, posted: bool, at: datetime
    ) -> bool:
        """True for the one caller that made it; False when it exists (another replica made it)."""
        return bool(
            self.db.execute(
                "INSERT INTO sequences (id, kind, principal, first_at, last_at, posted, created_at)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                (id, kind, principal[:2048], first_at, last_at, int(posted), iso(at)),
            )
        )

    def join(self, id: str, keys: list[str], last_at: str) -> None:
        for key in keys:
            self.db.execute(
                "UPDATE sequence_steps SET sequence_id = ? WHERE event_key = ? AND sequence_id IS NULL", (id, key)
            )
        self._last(id, last_at)

    def _last(self, id: str, last_at: str) -> None:
        self.db.execute(
            "UPDATE sequences SET last_at = CASE WHEN last_at < ? THEN ? ELSE last_at END WHERE id = ?",
            (last_at, last_at, id),
        )

    def enumerated_before(self, principal: str, before: str) -> bool:
        """Whether this principal made an enumeration that ended before ``before``."""
        row = self.db.one(
            "SELECT 1 AS y FROM sequences WHERE kind = 'enumeration' AND principal = ? AND last_at < ? LIMIT 1",
            (principal[:2048], before),
        )
        return row is not None

    def get(self, id: str) -> SequenceRow | None:
        row = self.db.one("SELECT * FROM sequences WHERE id = ?", (id,))
        if row is None:
            return None
        members = self.db.query("SELECT name, at_self FROM sequence_steps WHERE sequence_id = ?", (id,))
        return SequenceRow.of(row, members)

    def of_event(self, key: str) -> str | None:
        row = self.db.one("SELECT sequence_id FROM sequence_steps WHERE event_key = ?", (key,))
        return str(row["sequence_id"]) if row and row["sequence_id"] else None
