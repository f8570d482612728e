"""Closing an alert by hand: "Dismiss as expected", with a reason (required for high and
critical alerts), audited and shown on the alert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.store import AlertStatus, Store, loads, now
from bot.workflow import messages as m
from bot.workflow.authz import Act, ActorRef, Authorizer, Refused
from bot.workflow.remediate import closed_text
from bot.workflow.views import Views

REASON_REQUIRED = ("high", "critical")
MAX_REASON = 500


class Alerts:
    def __init__(
        self,
        store: Store,
        authz: Authorizer,
        views: Views,
        clock: Callable[[], datetime] = now,
        notify: Callable[[], None] = lambda: None,
    ):
        self.store, self.authz, self.views, self.clock, self.notify = store, authz, views, clock, notify

    def reason_required(self, event_key: str) -> bool:
        """A high or critical alert is dismissed only with a reason a person can read later."""
        row = self.store.alerts.get(event_key)
        return row is not None and row.severity in REASON_REQUIRED

    def dismiss(self, event_key: str, user: str, reason: str = "") -> None:
        """Approvers only, and not the person who made the change; a closed alert stays as it is."""
        at = self.clock()
        reason = " ".join(reason.split())[:MAX_REASON]
        row = self.store.alerts.get(event_key)
        if row is None:
            raise Refused("iambot has no alert for that event.")
        allowed = self.authz.may(Act.DISMISS, user)
        author = self.authz.actor_is(ActorRef.load(loads(row.actor)) if row.actor else None, user)
        refusal = None
        with self.store.unit():
            if not allowed:
                refusal = "Only approvers can dismiss an alert."
            elif author:
                refusal = "You made this change; someone else must decide it was expected."
            elif (view := self.views.alert_view(event_key)) is not None and view.closed:
                refusal = closed_text(view.status, view.dismissed_by, view.requests)
            elif row.severity in REASON_REQUIRED and not reason:
                refusal = f"Say why this {row.severity} alert was expected: a reason is required to dismiss it."
            elif not self.store.alerts.move(event_key, AlertStatus.OPEN, AlertStatus.DISMISSED, at):
                refusal = "This alert is already closed."
            if refusal:
                self.store.audit.add("dismiss", user, event_key=event_key, result="refused", detail=refusal, at=at)
            else:
                self.store.audit.add("dismiss", user, event_key=event_key, detail=reason, at=at)
                self.store.outbox.touch(m.alert_id(event_key), at=at)
                self.store.outbox.touch_kind(m.Kind.HOME, at=at)
        if refusal:
            raise Refused(refusal)
        self.notify()
