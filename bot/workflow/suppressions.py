"""Suppressions: ``/iam mute`` stores matching events without posting them, until it expires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.store import Store, Suppression, now
from bot.workflow.authz import Act, Authorizer, Refused, plain_id

CRITERIA = ("event", "actor", "target", "account")


class Suppressions:
    def __init__(self, store: Store, authz: Authorizer, clock: Callable[[], datetime] = now):
        self.store, self.authz, self.clock = store, authz, clock

    def mute(self, user: str, criteria: dict[str, str], hours: float, reason: str) -> str:
        at = self.clock()
        if not self.authz.may(Act.MUTE, user):
            self.store.audit.add("mute", user, result="refused", detail="not an approver", params=criteria, at=at)
            raise Refused("Only approvers can create suppressions.")
        if not any(criteria.get(k) for k in CRITERIA):
            raise Refused("Say what to mute: event=, actor=, target= or account= (any combination).")
        if not reason:
            raise Refused('Give a reason, e.g. reason="planned key rotation, SEC-42".')
        with self.store.unit():
            sid = self.store.suppressions.add(criteria, reason[:500], user, at, at + timedelta(hours=hours))
            self.store.audit.add("mute", user, params=criteria, detail=f"{sid} for {hours:g} h: {reason[:500]}", at=at)
        return sid

    def unmute(self, user: str, sid: str) -> None:
        at = self.clock()
        if not self.authz.may(Act.UNMUTE, user):
            self.store.audit.add("unmute", user, result="refused", detail=sid[:40], at=at)
            raise Refused("Only approvers can lift suppressions.")
        with self.store.unit():
            moved = self.store.suppressions.lift(sid, user)
            self.store.audit.add("unmute", user, detail=sid[:40], result="ok" if moved else "refused", at=at)
        if not moved:
            raise Refused(f"No active suppression {plain_id(sid, 40)}.")

    def active(self) -> list[Suppression]:
        return self.store.suppressions.active(self.clock())
