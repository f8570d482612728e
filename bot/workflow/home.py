"""What a person's App Home shows, read from the current state: the requests waiting for their
approval, their own open requests, the open high and critical alerts of the last days, recent
decisions and active mutes. No Slack here; bot/slack/messages/home.py renders it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.store import Request, RequestStatus, Store, Suppression
from bot.store.alerts import PostedAlert
from bot.workflow import messages as m
from bot.workflow.approvals import actor_of
from bot.workflow.authz import Authorizer
from bot.workflow.views import title

SEVERE = ("critical", "high")
ALERT_DAYS = 7
DECISIONS = 10
LIMIT = 200  # read at most this many of each list; the Home shows fewer and counts the rest


@dataclass(frozen=True)
class RequestLine:
    request: Request
    title: str


@dataclass(frozen=True)
class HomeView:
    user: str
    approver: bool
    waiting: tuple[RequestLine, ...]  # this person may approve them
    mine: tuple[RequestLine, ...]  # this person asked for them; not decided yet
    alerts: tuple[PostedAlert, ...]  # open, high or critical, of the last ALERT_DAYS days
    decided: tuple[RequestLine, ...]  # the last DECISIONS final requests, newest first
    mutes: tuple[Suppression, ...]
    at: datetime
    notes: Mapping[str, str] = field(default_factory=dict)  # account_notes: shown on each row of that account


class Homes:
    """Each person's Home is an outbox row (``home:<user>``), made when they first open the tab: the
    poster publishes it, and every change a Home shows touches all of them, so an open Home follows
    what happens without anyone reopening it."""

    def __init__(
        self,
        store: Store,
        authz: Authorizer,
        clock: Callable[[], datetime],
        notify: Callable[[], None] = lambda: None,
        notes: Mapping[str, str] | None = None,
    ):
        self.store, self.authz, self.clock, self.notify = store, authz, clock, notify
        self.notes = dict(notes or {})

    def opened(self, user: str) -> None:
        """``user`` opened their Home tab: publish it now (and after each change from now on)."""
        at = self.clock()
        if not self.store.outbox.put(m.home_id(user), m.Kind.HOME, user, user, at=at):
            self.store.outbox.touch(m.home_id(user), at=at)
        self.notify()

    def may_approve(self, request: Request, user: str) -> bool:
        """Waiting for this person: they are an approver, did not ask for it, did not make the change
        it undoes, and have not approved it yet (the approve use case checks all of it again)."""
        return (
            request.status == RequestStatus.REQUESTED
            and user != request.requested_by
            and user not in request.approvals
            and not self.authz.actor_is(actor_of(request), user)
        )

    def for_user(self, user: str) -> HomeView:
        at = self.clock()
        approver = self.authz.is_approver(user)
        waiting = [r for r in self.store.requests.waiting()[:LIMIT] if self.may_approve(r, user)] if approver else []
        return HomeView(
            user=user,
            approver=approver,
            waiting=_lines(waiting),
            mine=_lines(self.store.requests.open_by(user, LIMIT)),
            alerts=tuple(self.store.alerts.open_posted_since(at - timedelta(days=ALERT_DAYS), SEVERE, LIMIT)),
            decided=_lines(self.store.requests.recent_decisions(DECISIONS)),
            mutes=tuple(self.store.suppressions.active(at)),
            at=at,
            notes=self.notes,
        )


def _lines(requests: list[Request]) -> tuple[RequestLine, ...]:
    return tuple(RequestLine(r, title(r.remediation_id)) for r in requests)
