"""Remediation requests and their approvals.

Every transition is a compare-and-set ``UPDATE … WHERE status = ?``: called inside one unit of
work, double clicks, Slack's retries and concurrent approvers cannot move a request twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.store.db import Database, dumps, iso, loads


class RequestStatus(StrEnum):
    """Where a request stands: the one spelling of each state. A StrEnum, so a value read back from
    the database compares equal to its member and the stored text is unchanged."""

    REQUESTED = "requested"  # waiting for approvals
    APPROVED = "approved"  # enough approvals; about to run
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DRIFTED = "drifted"  # live state changed since the request: stopped
    DENIED = "denied"
    CANCELLED = "cancelled"  # denied by the person who asked
    EXPIRED = "expired"


REQUESTED, APPROVED, RUNNING = RequestStatus.REQUESTED, RequestStatus.APPROVED, RequestStatus.RUNNING
SUCCEEDED, FAILED, DRIFTED = RequestStatus.SUCCEEDED, RequestStatus.FAILED, RequestStatus.DRIFTED
DENIED, CANCELLED, EXPIRED = RequestStatus.DENIED, RequestStatus.CANCELLED, RequestStatus.EXPIRED
PENDING = (REQUESTED, APPROVED, RUNNING)
FINAL = (SUCCEEDED, FAILED, DRIFTED, DENIED, CANCELLED, EXPIRED)


@dataclass(frozen=True)
class Request:
    id: str
    remediation_id: str
    params: dict[str, Any]
    event_key: str | None
    account_id: str | None
    status: str
    requested_by: str
    requested_at: str
    expires_at: str
    approvals_needed: int
    plan: list[str]
    expected: dict[str, Any]
    approvals: tuple[str, ...]
    actor: str | None = None  # the CloudTrail actor of the change this request undoes
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    outcome: tuple[str, ...] = ()
    finished_at: str | None = None
    impact: tuple[str, ...] = ()  # the plan's blast radius, read before anyone approved

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    @property
    def final(self) -> bool:
        return self.status in FINAL


class Requests:
    def __init__(self, db: Database):
        self.db = db

    def _build(self, row: dict[str, Any]) -> Request:
        approvals = tuple(
            r["user_id"]
            for r in self.db.query(
                "SELECT user_id FROM approvals WHERE request_id = ? ORDER BY at, user_id", (row["id"],)
            )
        )
        return Request(
            id=row["id"],
            remediation_id=row["remediation_id"],
            params=loads(row["params"], {}),
            event_key=row["event_key"],
            account_id=row["account_id"],
            status=row["status"],
            requested_by=row["requested_by"],
            requested_at=row["requested_at"],
            expires_at=row["expires_at"],
            approvals_needed=int(row["approvals_needed"]),
            plan=loads(row["plan"], []),
            expected=loads(row["expected"], {}),
            approvals=approvals,
            actor=row.get("actor"),
            decided_by=row["decided_by"],
            decided_at=row["decided_at"],
            reason=row["reason"],
            outcome=tuple(loads(row["outcome"], [])),
            finished_at=row["finished_at"],
            impact=tuple(loads(row.get("impact"), [])),
        )

    def get(self, request_id: str) -> Request | None:
        row = self.db.one("SELECT * FROM requests WHERE id = ?", (request_id.strip().upper(),))
        return self._build(row) if row else None

    def exists(self, request_id: str) -> bool:
        return self.db.one("SELECT 1 AS x FROM requests WHERE id = ?", (request_id,)) is not None

    def for_event(self, event_key: str) -> list[Request]:
        rows = self.db.query("SELECT * FROM requests WHERE event_key = ? ORDER BY requested_at, id", (event_key,))
        return [self._build(r) for r in rows]

    def pending(self, limit: int = 20) -> list[Request]:
        rows = self.db.query(
            "SELECT * FROM requests WHERE status IN (?,?,?) ORDER BY requested_at LIMIT ?", (*PENDING, limit)
        )
        return [self._build(r) for r in rows]

    def open_duplicate(self, remediation_id: str, params: dict[str, Any], account_id: str | None) -> str | None:
        row = self.db.one(
            "SELECT id FROM requests WHERE remediation_id = ? AND params = ? AND COALESCE(account_id, '') = ?"
            " AND status IN (?,?,?)",
            (remediation_id, dumps(params), account_id or "", *PENDING),
        )
        return row["id"] if row else None

    def add(
        self,
        request_id: str,
        *,
        remediation_id: str,
        params: dict[str, Any],
        event_key: str | None,
        account_id: str | None,
        actor: str | None,
        requested_by: str,
        requested_at: datetime,
        expires_at: datetime,
        approvals_needed: int,
        plan: list[str],
        expected: dict[str, Any],
        impact: Sequence[str] = (),
    ) -> bool:
        """Record a request; False (nothing recorded) when one is already open for the same
        remediation, parameters and account (a unique index decides, whichever replica asks)."""
        return bool(self.db.execute(
            "INSERT INTO requests (id, remediation_id, params, event_key, account_id, actor, status, requested_by,"
            " requested_at, expires_at, approvals_needed, plan, expected, impact) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (remediation_id, params, COALESCE(account_id, ''))"
            " WHERE status IN ('requested', 'approved', 'running') DO NOTHING",
            (
                request_id,
                remediation_id,
                dumps(params),
                event_key,
                account_id,
                actor,
                REQUESTED,
                requested_by,
                iso(requested_at),
                iso(expires_at),
                approvals_needed,
                dumps(plan),
                dumps(expected),
                dumps(list(impact)),
            ),
        ))

    def add_approval(self, request_id: str, user: str, at: datetime) -> bool:
        """Record ``user``'s approval under the request's row lock, held until the unit of work
        ends: approvals landing at once on several replicas are counted one after another."""
        self.db.query(f"SELECT id FROM requests WHERE id = ?{self.db.for_update}", (request_id,))
        return bool(
            self.db.execute(
                "INSERT INTO approvals (request_id, user_id, at) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                (request_id, user, iso(at)),
            )
        )

    def approval_count(self, request_id: str) -> int:
        row = self.db.one("SELECT COUNT(*) AS n FROM approvals WHERE request_id = ?", (request_id,))
        return int(row["n"]) if row else 0

    def move(
        self,
        request_id: str,
        from_status: str,
        to_status: str,
        *,
        at: datetime,
        decided_by: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """Compare-and-set the status (recording who decided, when they did); True for one caller."""
        return bool(
            self.db.execute(
                "UPDATE requests SET status = ?, decided_by = COALESCE(?, decided_by),"
                " decided_at = COALESCE(?, decided_at), reason = COALESCE(?, reason) WHERE id = ? AND status = ?",
                (to_status, decided_by, None if decided_by is None else iso(at), reason, request_id, from_status),
            )
        )

    def finish(self, request_id: str, status: str, outcome: list[str], at: datetime) -> bool:
        return bool(
            self.db.execute(
                "UPDATE requests SET status = ?, outcome = ?, finished_at = ? WHERE id = ? AND status = ?",
                (status, dumps(outcome), iso(at), request_id, RUNNING),
            )
        )

    def due_to_expire(self, at: datetime) -> list[str]:
        rows = self.db.query("SELECT id FROM requests WHERE status = ? AND expires_at <= ?", (REQUESTED, iso(at)))
        return [r["id"] for r in rows]

    def by_status(self) -> dict[str, int]:
        """How many requests are in each state (a read that waits at most half a second)."""
        rows = self.db.probe("SELECT status, COUNT(*) AS n FROM requests GROUP BY status")
        return {str(r["status"]): int(r["n"]) for r in rows}

    def waiting(self) -> list[Request]:
        rows = self.db.query("SELECT * FROM requests WHERE status = ? ORDER BY requested_at", (REQUESTED,))
        return [self._build(r) for r in rows]

    def open_by(self, user: str, limit: int = 200) -> list[Request]:
        """``user``'s own requests that are not decided yet, oldest first."""
        rows = self.db.query(
            "SELECT * FROM requests WHERE requested_by = ? AND status IN (?,?,?) ORDER BY requested_at, id LIMIT ?",
            (user, *PENDING, limit),
        )
        return [self._build(r) for r in rows]

    def recent_decisions(self, limit: int = 10) -> list[Request]:
        """The last requests to reach a final state (done, failed, denied …), newest first."""
        rows = self.db.query(
            f"SELECT * FROM requests WHERE status IN ({','.join('?' * len(FINAL))})"
            " ORDER BY COALESCE(finished_at, decided_at, requested_at) DESC, id DESC LIMIT ?",
            (*FINAL, limit),
        )
        return [self._build(r) for r in rows]

    def finished_between(self, since: datetime, until: datetime) -> list[Request]:
        rows = self.db.query(
            "SELECT * FROM requests WHERE finished_at >= ? AND finished_at < ? ORDER BY finished_at",
            (iso(since), iso(until)),
        )
        return [self._build(r) for r in rows]

    def succeeded_since(self, since: datetime) -> list[Request]:
        rows = self.db.query(
            "SELECT * FROM requests WHERE status = ? AND finished_at >= ? ORDER BY finished_at DESC",
            (SUCCEEDED, iso(since)),
        )
        return [self._build(r) for r in rows]

    def decision_waits(self, since: datetime, until: datetime) -> list[tuple[str, str]]:
        """(alert created, first decision) for alerts whose requests were decided in the period."""
        rows = self.db.query(
            "SELECT al.created_at AS alerted, MIN(rq.decided_at) AS decided FROM requests rq"
            " JOIN alerts al ON al.key = rq.event_key WHERE rq.decided_at >= ? AND rq.decided_at < ?"
            " GROUP BY rq.event_key, al.created_at",
            (iso(since), iso(until)),
        )
        return [(r["alerted"], r["decided"]) for r in rows]
