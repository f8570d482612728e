"""Remediation requests: the approval policy and the state machine.

    requested ──► approved ──► running ──► succeeded | failed | drifted
        │
        └──► denied | cancelled | expired

Every transition is a compare-and-set inside one unit of work, so double clicks, Slack's retries
and concurrent approvers cannot move a request twice or run its remediation twice. Every
decision, refusal included, is in the audit log; a refusal is committed before it is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.store import Request, Store, iso, loads, short_id
from bot.store.requests import APPROVED, CANCELLED, DENIED, DRIFTED, EXPIRED, FAILED, REQUESTED, RUNNING, SUCCEEDED
from bot.workflow.authz import ActorRef, Authorizer, Refused, plain_id

if TYPE_CHECKING:
    from bot.config.settings import Settings

SYSTEM = "iambot"  # the user id recorded for the bot's own transitions (expiry, execution)


@dataclass(frozen=True)
class Policy:
    required: int = 1
    destructive_required: int = 2
    ttl: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            required=settings.approvals_required,
            destructive_required=max(settings.destructive_approvals_required, settings.approvals_required),
            ttl=timedelta(minutes=settings.request_ttl_minutes),
        )

    def needed(self, destructive: bool) -> int:
        return self.destructive_required if destructive else self.required


@dataclass(frozen=True)
class Decision:
    request: Request
    ready: bool  # this call moved the request to approved: the caller runs it
    remaining: int  # approvals still needed


def actor_of(request: Request | None) -> ActorRef | None:
    return ActorRef.load(loads(request.actor)) if request is not None and request.actor else None


class _Refusals:
    """Refusals found inside a unit of work: audited there, raised once it has committed."""

    def __init__(self, store: Store, action: str, user: str, at: datetime):
        self.store, self.action, self.user, self.at = store, action, user, at
        self.refused: Refused | None = None

    def refuse(self, reason: str, request: Request | None = None) -> Refused:
        self.store.audit.add(
            self.action,
            self.user,
            request_id=request.id if request else None,
            event_key=request.event_key if request else None,
            remediation_id=request.remediation_id if request else None,
            result="refused",
            detail=reason,
            at=self.at,
        )
        return Refused(reason)


@contextmanager
def _deciding(store: Store, action: str, user: str, at: datetime) -> Iterator[_Refusals]:
    refusals = _Refusals(store, action, user, at)
    with store.unit():
        try:
            yield refusals
        except Refused as exc:
            refusals.refused = exc
    if refusals.refused is not None:
        raise refusals.refused


def create(
    store: Store,
    policy: Policy,
    *,
    remediation_id: str,
    destructive: bool,
    params: dict[str, Any],
    plan: list[str],
    expected: dict[str, Any],
    user: str,
    event_key: str | None,
    account_id: str | None,
    actor: str | None,
    at: datetime,
    then: Callable[[Request], None] = lambda request: None,
    impact: tuple[str, ...] = (),
) -> Request:
    """Record a request, refusing a second open request for the same remediation and parameters.
    ``then`` runs in the same unit of work (the messages that show the request)."""
    with _deciding(store, "request", user, at) as r:
        dup = store.requests.open_duplicate(remediation_id, params, account_id)
        if dup:
            raise r.refuse(
                f"That remediation is already requested as {dup}; approve or deny that one.", store.requests.get(dup)
            )
        request_id = short_id("R")
        while store.requests.exists(request_id):  # pragma: no cover - one in a billion
            request_id = short_id("R")
        added = store.requests.add(
            request_id,
            remediation_id=remediation_id,
            params=params,
            event_key=event_key,
            account_id=account_id,
            actor=actor,
            requested_by=user,
            requested_at=at,
            expires_at=at + policy.ttl,
            approvals_needed=policy.needed(destructive),
            plan=plan,
            expected=expected,
            impact=impact,
        )
        if not added:  # another replica recorded the same request between the check and the insert
            dup = store.requests.open_duplicate(remediation_id, params, account_id)
            raise r.refuse(
                f"That remediation is already requested as {dup}; approve or deny that one.",
                store.requests.get(dup) if dup else None,
            )
        store.audit.add(
            "request",
            user,
            request_id=request_id,
            event_key=event_key,
            remediation_id=remediation_id,
            params=params,
            detail=" / ".join(plan),
            at=at,
        )
        found = store.requests.get(request_id)
        assert found is not None
        then(found)
    return found


def _open(store: Store, r: _Refusals, request_id: str, at: datetime) -> Request:
    """The request if it can still be decided; expires it on the way if its time is up."""
    rid = plain_id(request_id, 20).upper()
    request = store.requests.get(rid)
    if request is None:
        raise r.refuse(f"There is no request {rid}.")
    if request.status == REQUESTED and request.expires_at <= iso(at):
        if store.requests.move(rid, REQUESTED, EXPIRED, at=at):
            store.audit.add("expire", SYSTEM, request_id=rid, event_key=request.event_key, at=at)
        request = store.requests.get(rid) or request
    if request.status != REQUESTED:
        outcome = f": {' '.join(request.outcome)}"[:600] if request.outcome else "."
        who = f" by <@{request.decided_by}>" if request.decided_by and request.status in (DENIED, CANCELLED) else ""
        raise r.refuse(f"Request {rid} is {request.status}{who}{outcome} It can no longer be decided.", request)
    return request


BREAK_GLASS = "break-glass"


def conflicted(store: Store, authz: Authorizer, request_id: str, user: str) -> bool:
    """An approver who may not approve this request in the usual way: they asked for it, or they
    made the change it undoes (break-glass may let them, with a reason)."""
    request = store.requests.get(request_id.strip().upper())
    if request is None or not request.pending or not authz.is_approver(user) or disowning(store, request, user):
        return False  # a person who said "this wasn't me" may not approve at all: nothing to offer
    return user == request.requested_by or authz.actor_is(actor_of(request), user)


DISOWNED = (
    "You said this change wasn't you, so iambot asked for this on your answer: other approvers decide it, "
    "not you (nor by break-glass)."
)


def disowning(store: Store, request: Request, user: str) -> bool:
    """``user`` answered "no, this wasn't me" about the request's event: they are both the one on whose
    answer it was asked and the CloudTrail actor, so neither approval, break-glass nor a cancel is theirs."""
    return bool(request.event_key) and store.questions.disowned(request.event_key or "", user)


def approve(
    store: Store,
    authz: Authorizer,
    request_id: str,
    user: str,
    at: datetime,
    then: Callable[[Request], None] = lambda request: None,
    break_glass: str = "",
) -> Decision:
    """Record ``user``'s approval. Raises Refused (audited) when the policy does not allow it.
    ``break_glass`` (a reason; the caller checked the setting) lets the person who asked, or who
    made the change, approve alone: the request is approved at once, and the audit says so."""
    allowed = authz.is_approver(user)  # may ask Slack: outside the unit of work
    author = authz.actor_is(actor_of(store.requests.get(request_id.strip().upper())), user)
    with _deciding(store, "approve", user, at) as r:
        request = _open(store, r, request_id, at)
        if disowning(store, request, user):
            raise r.refuse(DISOWNED, request)
        glass = bool(break_glass) and (user == request.requested_by or author)
        if user == request.requested_by and not glass:
            raise r.refuse("You asked for this remediation; someone else must approve it.", request)
        if not allowed:
            raise r.refuse("You are not an approver for iambot remediations.", request)
        if author and not glass:
            raise r.refuse("You made the change this remediation undoes; someone else must approve it.", request)
        inserted = store.requests.add_approval(request.id, user, at)
        count = store.requests.approval_count(request.id)
        remaining = 0 if glass else max(0, request.approvals_needed - count)
        if not inserted:
            raise r.refuse(f"You have already approved {request.id}; it needs {remaining} more approval(s).", request)
        why = f"{BREAK_GLASS}: {break_glass}" if glass else None
        ready = remaining == 0 and store.requests.move(
            request.id, REQUESTED, APPROVED, at=at, decided_by=user, reason=why
        )
        store.audit.add(
            BREAK_GLASS if glass else "approve",
            user,
            request_id=request.id,
            event_key=request.event_key,
            remediation_id=request.remediation_id,
            detail=why or f"{count} of {request.approvals_needed}",
            at=at,
        )
        found = store.requests.get(request.id)
        assert found is not None
        then(found)
    return Decision(found, ready, remaining)


def deny(
    store: Store,
    authz: Authorizer,
    request_id: str,
    user: str,
    reason: str,
    at: datetime,
    then: Callable[[Request], None] = lambda request: None,
) -> Request:
    """An approver denies a request; the person who asked may cancel their own."""
    allowed = authz.is_approver(user)
    with _deciding(store, "deny", user, at) as r:
        request = _open(store, r, request_id, at)
        own = user == request.requested_by
        if disowning(store, request, user):
            raise r.refuse(DISOWNED, request)
        if not own and not allowed:
            raise r.refuse("Only an approver, or the person who asked, can stop a request.", request)
        status = CANCELLED if own else DENIED
        store.requests.move(request.id, REQUESTED, status, at=at, decided_by=user, reason=reason[:500] or None)
        store.audit.add(
            "cancel" if own else "deny",
            user,
            request_id=request.id,
            event_key=request.event_key,
            remediation_id=request.remediation_id,
            detail=reason[:500],
            at=at,
        )
        found = store.requests.get(request.id)
        assert found is not None
        then(found)
    return found


def claim(store: Store, request_id: str, at: datetime) -> bool:
    """approved → running. True for exactly one caller."""
    with store.unit():
        return store.requests.move(request_id, APPROVED, RUNNING, at=at)


def finish(
    store: Store,
    request: Request,
    status: str,
    lines: list[str],
    at: datetime,
    then: Callable[[Request], None] = lambda request: None,
) -> Request:
    """running → succeeded | failed | drifted, with the outcome lines; audited."""
    assert status in (SUCCEEDED, FAILED, DRIFTED)
    with store.unit():
        if finished := store.requests.finish(request.id, status, lines, at):
            store.audit.add(
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
        found = store.requests.get(request.id)
        assert found is not None
        then(found)
    if finished:  # committed
        metrics.REMEDIATIONS.labels(metrics.label(request.remediation_id), status).inc()
    return found


def expire_due(store: Store, at: datetime, then: Callable[[Request], None] = lambda request: None) -> list[str]:
    """Expire every request whose time is up; return their ids."""
    expired = []
    with store.unit():
        for rid in store.requests.due_to_expire(at):
            if store.requests.move(rid, REQUESTED, EXPIRED, at=at):
                store.audit.add("expire", SYSTEM, request_id=rid, at=at)
                expired.append(rid)
                found = store.requests.get(rid)
                if found is not None:
                    then(found)
    return expired
