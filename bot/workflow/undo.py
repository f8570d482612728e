"""Undo: a remediation that succeeded offers, for ``undo_hours`` (24 by default), the request that
puts back what it changed — its inverse (``Remediation.undo``), another remediation requested,
approved, drift-checked and audited like any other. The inverse's plan reads live state and
expects what the remediation left, so an undo after someone else changed it again says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.store import Request, Store, parse_iso
from bot.store.requests import SUCCEEDED
from bot.workflow.authz import Refused, plain_id
from remediations import registry
from remediations.base import Undo


class Asking(Protocol):
    """What an undo needs of bot.workflow.remediate.Remediations."""

    store: Store
    settings: Any
    enabled: set[str]

    def clock(self) -> datetime: ...

    def ask(
        self,
        remediation_id: str,
        raw_params: dict[str, Any],
        user: str,
        event_key: str | None = None,
        account_id: str | None = None,
        actor: str | None = None,
        undoes: str | None = None,
    ) -> Request: ...


@dataclass(frozen=True)
class UndoOffer:
    undo: Undo
    title: str  # the inverse's title
    until: datetime


def inverse(request: Request) -> Undo | None:
    cls = registry.get(request.remediation_id)
    return cls.undo(dict(request.params), dict(request.expected)) if cls else None


def offer(request: Request, enabled: set[str], hours: int, at: datetime) -> UndoOffer | None:
    """The undo a finished request offers now, if any: it succeeded, its window is open, and its
    inverse exists and is enabled here."""
    if request.status != SUCCEEDED or not request.finished_at or hours <= 0:
        return None
    found = inverse(request)
    if found is None or found.remediation_id not in enabled:
        return None
    until = parse_iso(request.finished_at) + timedelta(hours=hours)
    if at >= until:
        return None
    cls = registry.get(found.remediation_id)
    return UndoOffer(found, cls.title if cls else found.remediation_id, until)


def why_not(request: Request, enabled: set[str], hours: int, at: datetime) -> str:
    """What the person who clicked Undo is told when there is no undo (the first reason that holds)."""
    cls = registry.get(request.remediation_id)
    if request.status != SUCCEEDED:
        return f"Request {request.id} is {request.status}: only a remediation that succeeded can be undone."
    found = inverse(request)
    if found is None:
        return (cls.undo_note if cls else None) or f"{request.remediation_id} has no undo."
    if found.remediation_id not in enabled:
        return f"Its undo, {found.remediation_id}, is not enabled here (IAMBOT_REMEDIATIONS)."
    return f"The undo window ({hours} h after {request.finished_at}) has passed."


def ask_undo(remediations: Asking, request_id: str, user: str) -> Request:
    """The inverse of a remediation that succeeded, within ``undo_hours``: a request like any other,
    in the same account and for the same event, audited as the undo of the first."""
    store, settings = remediations.store, remediations.settings
    rid = plain_id(request_id, 20).upper()
    original = store.requests.get(rid)
    if original is None:
        raise Refused(f"There is no request {rid}.")
    at, hours, enabled = remediations.clock(), settings.undo_hours, remediations.enabled
    offered = offer(original, enabled, hours, at)
    if offered is None:
        refusal = why_not(original, enabled, hours, at)
        store.audit.add("undo", user, request_id=original.id, result="refused", detail=refusal, at=at)
        raise Refused(refusal)
    return remediations.ask(
        offered.undo.remediation_id,
        offered.undo.params,
        user,
        event_key=original.event_key,
        account_id=original.account_id,
        actor=original.actor,
        undoes=original.id,
    )
