"""Remediation requests: the approval policy and the state machine.

    requested ──► approved ──► running ──► succeeded | failed | drifted
        │
        └──► denied | cancelled | expired

Every transition is a compare-and-set ``UPDATE … WHERE status = ?`` inside one SQLite
transaction, so double clicks, Slack's retries and concurrent approvers cannot move a request
twice or run its remediation twice. Every decision, refusal included, is in the audit log.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from bot.store import Store, dumps, iso, now

log = logging.getLogger(__name__)

REQUESTED, APPROVED, RUNNING = "requested", "approved", "running"
SUCCEEDED, FAILED, DRIFTED = "succeeded", "failed", "drifted"
DENIED, CANCELLED, EXPIRED = "denied", "cancelled", "expired"
PENDING = (REQUESTED, APPROVED, RUNNING)
FINAL = (SUCCEEDED, FAILED, DRIFTED, DENIED, CANCELLED, EXPIRED)
SYSTEM = "iambot"  # the user id recorded for the bot's own transitions (expiry)
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: ids are typed into /iam approve


class Refused(Exception):
    """A click or command that the policy does not allow; the message is for the person."""


@dataclass(frozen=True)
class Policy:
    approvers: frozenset[str]
    groups: tuple[str, ...] = ()
    required: int = 1
    destructive_required: int = 2
    ttl: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        return cls(
            approvers=frozenset(settings.approvers),
            groups=tuple(settings.approver_groups),
            required=settings.approvals_required,
            destructive_required=max(settings.destructive_approvals_required, settings.approvals_required),
            ttl=timedelta(minutes=settings.request_ttl_minutes),
        )

    def needed(self, destructive: bool) -> int:
        return self.destructive_required if destructive else self.required


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
    decided_by: str | None = None
    reason: str | None = None
    outcome: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        return self.status in PENDING


def new_id() -> str:
    return "R" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


def _load(value: str | None, default: Any) -> Any:
    return orjson.loads(value) if value else default


def get(store: Store, request_id: str) -> Request | None:
    row = store.row("SELECT * FROM requests WHERE id = ?", [request_id.strip().upper()])
    if row is None:
        return None
    approvals = tuple(
        r["user_id"] for r in store.rows("SELECT user_id FROM approvals WHERE request_id = ? ORDER BY at", [row["id"]])
    )
    return Request(
        id=row["id"],
        remediation_id=row["remediation_id"],
        params=_load(row["params"], {}),
        event_key=row["event_key"],
        account_id=row["account_id"],
        status=row["status"],
        requested_by=row["requested_by"],
        requested_at=row["requested_at"],
        expires_at=row["expires_at"],
        approvals_needed=row["approvals_needed"],
        plan=_load(row["plan"], []),
        expected=_load(row["expected"], {}),
        approvals=approvals,
        decided_by=row["decided_by"],
        reason=row["reason"],
        outcome=tuple(_load(row["outcome"], [])),
    )


def for_event(store: Store, event_key: str) -> list[Request]:
    ids = store.rows("SELECT id FROM requests WHERE event_key = ? ORDER BY requested_at, id", [event_key])
    return [r for r in (get(store, row["id"]) for row in ids) if r is not None]


def pending(store: Store, limit: int = 20) -> list[Request]:
    ids = store.rows("SELECT id FROM requests WHERE status IN (?,?,?) ORDER BY requested_at LIMIT ?", [*PENDING, limit])
    return [r for r in (get(store, row["id"]) for row in ids) if r is not None]


def create(
    store: Store,
    policy: Policy,
    *,
    remediation_id: str,
    destructive: bool,
    params: dict[str, Any],
    plan: Iterable[str],
    expected: dict[str, Any],
    user: str,
    event_key: str | None = None,
    account_id: str | None = None,
    at: datetime | None = None,
) -> Request:
    """Record a request, refusing a second open request for the same remediation and parameters."""
    at = at or now()
    body, lines = dumps(params), list(plan)
    request_id = new_id()
    with store.transaction() as conn:
        dup = conn.execute(
            "SELECT id FROM requests WHERE remediation_id = ? AND params = ? AND IFNULL(account_id, '') = ?"
            " AND status IN (?,?,?)",
            (remediation_id, body, account_id or "", *PENDING),
        ).fetchone()
        if dup is None:
            while conn.execute("SELECT 1 FROM requests WHERE id = ?", (request_id,)).fetchone():
                request_id = new_id()  # pragma: no cover - one in a billion
            conn.execute(
                "INSERT INTO requests (id, remediation_id, params, event_key, account_id, status, requested_by,"
                " requested_at, expires_at, approvals_needed, plan, expected) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    request_id,
                    remediation_id,
                    body,
                    event_key,
                    account_id,
                    REQUESTED,
                    user,
                    iso(at),
                    iso(at + policy.ttl),
                    policy.needed(destructive),
                    dumps(lines),
                    dumps(expected),
                ),
            )
        store.audit(
            "request",
            user,
            request_id=dup[0] if dup else request_id,
            event_key=event_key,
            remediation_id=remediation_id,
            params=params,
            result="refused" if dup else "ok",
            detail="already requested" if dup else " / ".join(lines),
            at=at,
        )
    if dup:
        raise Refused(f"That remediation is already requested as {dup[0]}; approve or deny that one.")
    found = get(store, request_id)
    assert found is not None
    return found


@dataclass(frozen=True)
class Decision:
    request: Request
    ready: bool  # this call moved the request to approved: the caller runs it
    remaining: int  # approvals still needed


def _refuse(store: Store, action: str, user: str, row: dict[str, Any] | None, reason: str, at: datetime) -> Refused:
    store.audit(
        action,
        user,
        request_id=row["id"] if row else None,
        event_key=row["event_key"] if row else None,
        remediation_id=row["remediation_id"] if row else None,
        result="refused",
        detail=reason,
        at=at,
    )
    return Refused(reason)


def _open_row(store: Store, conn: Any, request_id: str, action: str, user: str, at: datetime) -> dict[str, Any]:
    """The request row if it can still be decided; expires it on the way if its time is up."""
    rid = request_id.strip().upper()
    cur = conn.execute("SELECT * FROM requests WHERE id = ?", (rid,))
    found = cur.fetchone()
    if found is None:
        raise _refuse(store, action, user, None, f"There is no request {rid}.", at)
    row = dict(zip([c[0] for c in cur.description], found, strict=True))
    if row["status"] == REQUESTED and row["expires_at"] <= iso(at):
        conn.execute(
            "UPDATE requests SET status = ?, decided_at = ? WHERE id = ? AND status = ?",
            (EXPIRED, iso(at), rid, REQUESTED),
        )
        store.audit(
            "expire", SYSTEM, request_id=rid, event_key=row["event_key"], remediation_id=row["remediation_id"], at=at
        )
        row["status"] = EXPIRED
    if row["status"] != REQUESTED:
        raise _refuse(store, action, user, row, f"Request {rid} is {row['status']}; it can no longer be decided.", at)
    return row


def approve(
    store: Store,
    policy: Policy,
    request_id: str,
    user: str,
    is_approver: Callable[[str], bool],
    at: datetime | None = None,
) -> Decision:
    """Record ``user``'s approval. Raises Refused (audited) when the policy does not allow it."""
    at = at or now()
    allowed = is_approver(user)  # may ask Slack for user-group members: outside the transaction
    refusal: Refused | None = None
    with store.transaction() as conn:
        try:
            row = _open_row(store, conn, request_id, "approve", user, at)
            if user == row["requested_by"]:
                raise _refuse(
                    store, "approve", user, row, "You asked for this remediation; someone else must approve it.", at
                )
            if not allowed:
                raise _refuse(store, "approve", user, row, "You are not an approver for iambot remediations.", at)
            inserted = conn.execute(
                "INSERT OR IGNORE INTO approvals (request_id, user_id, at) VALUES (?,?,?)", (row["id"], user, iso(at))
            ).rowcount
            count = conn.execute("SELECT COUNT(*) FROM approvals WHERE request_id = ?", (row["id"],)).fetchone()[0]
            remaining = max(0, row["approvals_needed"] - count)
            if not inserted:
                raise _refuse(
                    store,
                    "approve",
                    user,
                    row,
                    f"You have already approved {row['id']}; it needs {remaining} more approval(s).",
                    at,
                )
            ready = False
            if remaining == 0:
                ready = bool(
                    conn.execute(
                        "UPDATE requests SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = ?",
                        (APPROVED, user, iso(at), row["id"], REQUESTED),
                    ).rowcount
                )
            store.audit(
                "approve",
                user,
                request_id=row["id"],
                event_key=row["event_key"],
                remediation_id=row["remediation_id"],
                detail=f"{count} of {row['approvals_needed']}",
                at=at,
            )
        except Refused as exc:
            refusal = exc  # commit the audit entry (and any expiry), then refuse
    if refusal is not None:
        raise refusal
    found = get(store, row["id"])
    assert found is not None
    return Decision(found, ready, remaining)


def deny(
    store: Store,
    request_id: str,
    user: str,
    is_approver: Callable[[str], bool],
    reason: str = "",
    at: datetime | None = None,
) -> Request:
    """An approver denies a request; the person who asked may cancel their own."""
    at = at or now()
    allowed = is_approver(user)
    refusal: Refused | None = None
    with store.transaction() as conn:
        try:
            row = _open_row(store, conn, request_id, "deny", user, at)
            own = user == row["requested_by"]
            if not own and not allowed:
                raise _refuse(
                    store, "deny", user, row, "Only an approver, or the person who asked, can stop a request.", at
                )
            status = CANCELLED if own else DENIED
            conn.execute(
                "UPDATE requests SET status = ?, decided_by = ?, decided_at = ?, reason = ?"
                " WHERE id = ? AND status = ?",
                (status, user, iso(at), reason or None, row["id"], REQUESTED),
            )
            store.audit(
                "cancel" if own else "deny",
                user,
                request_id=row["id"],
                event_key=row["event_key"],
                remediation_id=row["remediation_id"],
                detail=reason,
                at=at,
            )
        except Refused as exc:
            refusal = exc
    if refusal is not None:
        raise refusal
    found = get(store, row["id"])
    assert found is not None
    return found


def claim(store: Store, request_id: str, at: datetime | None = None) -> bool:
    """approved → running. True for exactly one caller."""
    with store.transaction() as conn:
        return bool(
            conn.execute(
                "UPDATE requests SET status = ? WHERE id = ? AND status = ?", (RUNNING, request_id, APPROVED)
            ).rowcount
        )


def finish(store: Store, request: Request, status: str, lines: list[str], at: datetime | None = None) -> Request:
    """running → succeeded | failed | drifted, with the outcome lines; audited."""
    assert status in (SUCCEEDED, FAILED, DRIFTED)
    at = at or now()
    with store.transaction() as conn:
        moved = conn.execute(
            "UPDATE requests SET status = ?, outcome = ?, finished_at = ? WHERE id = ? AND status = ?",
            (status, dumps(lines), iso(at), request.id, RUNNING),
        ).rowcount
        if moved:
            store.audit(
                "execute",
                SYSTEM,
                request_id=request.id,
                event_key=request.event_key,
                remediation_id=request.remediation_id,
                params=request.params,
                result=status,
                detail=" / ".join(lines),
                at=at,
            )
    found = get(store, request.id)
    assert found is not None
    return found


def expire_due(store: Store, at: datetime | None = None) -> list[str]:
    """Expire every request whose time is up; return their ids."""
    at = at or now()
    with store.transaction() as conn:
        due = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM requests WHERE status = ? AND expires_at <= ?", (REQUESTED, iso(at))
            ).fetchall()
        ]
        for rid in due:
            conn.execute(
                "UPDATE requests SET status = ?, decided_at = ? WHERE id = ? AND status = ?",
                (EXPIRED, iso(at), rid, REQUESTED),
            )
            store.audit("expire", SYSTEM, request_id=rid, at=at)
    return due
