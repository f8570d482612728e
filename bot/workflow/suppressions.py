"""Suppressions: ``/iam mute`` (or the dismiss dialog) stores matching events without posting them,
until it expires. Every new mute is announced in the channel, so nobody is muted in secret."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.store import Store, Suppression, now
from bot.workflow import messages as m
from bot.workflow.authz import Act, Authorizer, Refused, plain_id

CRITERIA = ("event", "actor", "target", "account")


class Suppressions:
    def __init__(
        self,
        store: Store,
        authz: Authorizer,
        clock: Callable[[], datetime] = now,
        channel: str | None = None,
        notify: Callable[[], None] = lambda: None,
    ):
        self.store, self.authz, self.clock = store, authz, clock
        self.channel, self.notify = channel, notify  # where mutes are announced unless said otherwise

    def mute_like(self, event_key: str, user: str, hours: float, reason: str) -> str:
        """Mute the alerts like this event's: the same event, actor and account, whatever the target;
        announced in the alert's own channel."""
        stored = self.store.events.get(event_key)
        if stored is None:
            raise Refused("iambot has no record of that event.")
        criteria = {"event": stored.event_name, "actor": stored.actor_arn or stored.actor_name or "",
                    "account": stored.account_id or ""}  # fmt: skip
        posted = self.store.outbox.get(m.alert_id(event_key))
        return self.mute(
            user, {k: v for k, v in criteria.items() if v}, hours, reason, posted.channel if posted else None
        )

    def mute(self, user: str, criteria: dict[str, str], hours: float, reason: str, channel: str | None = None) -> str:
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
            if where := channel or self.channel:
                self.store.outbox.put(m.mute_id(sid), m.Kind.MUTE, sid, where, at=at)
            self.store.outbox.touch_kind(m.Kind.HOME, at=at)
        self.notify()
        return sid

    def unmute(self, user: str, sid: str) -> None:
        at = self.clock()
        if not self.authz.may(Act.UNMUTE, user):
            self.store.audit.add("unmute", user, result="refused", detail=sid[:40], at=at)
            raise Refused("Only approvers can lift suppressions.")
        with self.store.unit():
            moved = self.store.suppressions.lift(sid, user)
            self.store.audit.add("unmute", user, detail=sid[:40], result="ok" if moved else "refused", at=at)
            if moved:
                self.store.outbox.touch_kind(m.Kind.HOME, at=at)
        if not moved:
            raise Refused(f"No active suppression {plain_id(sid, 40)}.")
        self.notify()

    def active(self) -> list[Suppression]:
        return self.store.suppressions.active(self.clock())
