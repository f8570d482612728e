"""Asking for a remediation, approving or denying it, and running it once.

Parameters of a request made from an alert come from the stored event, never from the button.
Every request is dry-run against live AWS state first; the approval message shows that plan.
When the last approval lands, the remediation is planned again and stops if live state changed
since the request (drift); otherwise it is applied, in the event's account.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from bot.store import AlertStatus, Request, Store, now
from bot.store.requests import DRIFTED, FAILED, SUCCEEDED
from bot.workflow import approvals
from bot.workflow import messages as m
from bot.workflow.authz import Act, ActorRef, Authorizer, Refused, plain_id
from bot.workflow.stepup import CODE_IN_REASON, StepUp, StepUpNeeded, holds_a_code
from bot.workflow.undo import ask_undo
from bot.workflow.views import Views
from remediations import registry
from remediations.aws import Aws
from remediations.base import Knowledge, Remediation, RemediationError, error_code

if TYPE_CHECKING:
    from bot.config.settings import Settings

log = logging.getLogger(__name__)


def explain_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "parameters"
        msg = "unknown parameter" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def jsonable(state: dict[str, Any]) -> dict[str, Any]:
    """A plan's expected state as it reads back from the store, so approval and execution compare alike."""
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(state, default=str))
    return loaded


class AccountSnapshots:
    """The store's snapshots, with keys kept apart per account: a document stored in one account
    is never put back into another that has a principal of the same name."""

    def __init__(self, snapshots: Any, account_id: str | None):
        self.snapshots, self.prefix = snapshots, f"{account_id or 'home'}:"

    def record(
        self, kind: str, key: str, value: Any, account_id: str | None = None, at: datetime | None = None
    ) -> bool:
        return bool(self.snapshots.record(kind, self.prefix + key, value, account_id, at))

    def latest(self, kind: str, key: str) -> Any:
        return self.snapshots.latest(kind, self.prefix + key)

    def before(self, kind: str, key: str, when: datetime) -> Any:
        return self.snapshots.before(kind, self.prefix + key, when)


def _state(state: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in state.items()) or "nothing"


class Remediations:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        aws: Aws,
        authz: Authorizer,
        views: Views,
        clock: Callable[[], datetime] = now,
        notify: Callable[[], None] = lambda: None,
    ):
        self.store = store
        self.settings = settings
        self.aws = aws
        self.authz = authz
        self.views = views
        self.clock = clock
        self.notify = notify
        self.policy = approvals.Policy.from_settings(settings)
        self.enabled = set(settings.enabled_remediations())
        self.stepup = StepUp(store, settings, clock)

    # ------------------------------------------------------------------ asking

    def ask_from_alert(self, remediation_id: str, event_key: str, user: str) -> Request:
        """A ``request:<id>`` click: the parameters come from the event, never from the button."""
        view = self.views.alert_view(event_key)
        if view is None:
            raise Refused("iambot no longer has that event.")
        if view.closed:
            raise Refused(closed_text(view.status, view.dismissed_by, view.requests))
        offer = next((o for o in view.alert.offers if o.id == remediation_id), None)
        if offer is None:
            raise Refused(f"{plain_id(remediation_id)} is not offered for this event.")
        cls = registry.get(remediation_id)
        assert cls is not None  # offers are only of enabled, registered remediations
        e = view.alert.event
        try:
            params = cls.prepare(dict(offer.params), Knowledge(self.store.snapshots, e.event_time, e.account_id))
        except RemediationError as exc:
            raise Refused(str(exc)) from exc
        actor = orjson.dumps(ActorRef.of(e.actor).as_dict()).decode()
        return self.ask(remediation_id, params, user, event_key=event_key, account_id=e.account_id, actor=actor)

    def ask(
        self,
        remediation_id: str,
        raw_params: dict[str, Any],
        user: str,
        event_key: str | None = None,
        account_id: str | None = None,
        actor: str | None = None,
        undoes: str | None = None,
        on_behalf: bool = False,
    ) -> Request:
        """Validate, dry-run against live state, record the request and queue the approval message
        (``undoes``: the request it undoes, audited with it, in the same unit of work; ``on_behalf``:
        iambot asks for ``user``, whose "this wasn't me" is the reason, requester or not)."""
        at = self.clock()
        if not on_behalf and not self.authz.may(Act.REQUEST, user):
            self.store.audit.add(
                "request",
                user,
                event_key=event_key,
                remediation_id=plain_id(remediation_id),
                result="refused",
                detail="not a requester",
                at=at,
            )
            raise Refused("You are not among the people who may ask for iambot remediations (requesters).")
        cls = registry.get(remediation_id)
        if cls is None:
            raise Refused(f"There is no remediation {plain_id(remediation_id)!r}. Known: {', '.join(registry.ids())}")
        if remediation_id not in self.enabled:
            raise Refused(f"{remediation_id} is not enabled here (IAMBOT_REMEDIATIONS).")
        if cls.undo_only and not undoes:
            raise Refused(f"{remediation_id} is only the undo of another remediation: use Undo on that one's request.")
        try:
            params = cls.parse({**cls.defaults(self.settings), **raw_params})
        except ValidationError as exc:
            raise Refused(f"Bad parameters for {remediation_id}: {explain_error(exc)}") from exc
        try:
            plan = self._remediation(cls, account_id, f"iambot-plan-{user}").plan(params)
        except RemediationError as exc:
            raise Refused(str(exc)) from exc
        except (ClientError, BotoCoreError) as exc:
            raise Refused(f"AWS refused the dry run: {exc}") from exc
        dumped = params.model_dump(exclude_none=True)
        if plan.noop:
            self.store.audit.add(
                "request",
                user,
                event_key=event_key,
                remediation_id=remediation_id,
                params=dumped,
                result="noop",
                detail=" / ".join(plan.lines),
                at=at,
            )
            raise Refused(f"Nothing to do: {' '.join(plan.lines)}")
        request = approvals.create(
            self.store,
            self.policy,
            remediation_id=remediation_id,
            destructive=cls.destructive,
            params=dumped,
            plan=plan.lines,
            expected=jsonable(plan.expected),
            user=user,
            event_key=event_key,
            account_id=account_id,
            actor=actor,
            at=at,
            then=lambda request: self._recorded(request, user, undoes, at),
            impact=tuple(plan.impact),
        )
        self.notify()
        return request

    def _recorded(self, request: Request, user: str, undoes: str | None, at: datetime) -> None:
        if undoes:
            self.store.audit.add("undo", user, request_id=request.id, detail=f"undoes {undoes}", at=at)
        self._queue(request)

    def _queue(self, request: Request) -> None:
        """The approval message: in the alert's thread, or the approvals channel."""
        alert_row = self.store.outbox.get(m.alert_id(request.event_key)) if request.event_key else None
        if self.settings.approvals_channel:
            channel, thread = self.settings.approvals_channel, None
        elif alert_row is not None and alert_row.channel:
            channel, thread = alert_row.channel, alert_row.id
        else:
            channel, thread = self.settings.alert_channel or "", None
        if not channel:
            log.warning("no channel for the approval message", extra={"request": request.id})
        self.store.outbox.put(m.request_id(request.id), m.Kind.REQUEST, request.id, channel, thread_of=thread)
        self._touch(request)

    def _touch(self, request: Request) -> None:
        if request.final and request.requested_by != approvals.SYSTEM:  # told in a DM unless they saw it
            self.store.outbox.put(m.outcome_id(request.id), m.Kind.OUTCOME, request.id, m.DIRECT)
        self.store.outbox.touch(m.request_id(request.id))
        self.store.outbox.touch_kind(m.Kind.HOME)  # waiting, open requests and decisions on every Home
        if request.event_key:
            self.store.outbox.touch(m.alert_id(request.event_key))

    # ------------------------------------------------------------------ deciding

    def needs_code(self, request_id: str) -> bool:
        """Whether approving this request needs a code from the approver's authenticator now."""
        request = self.store.requests.get(request_id)
        if request is None or not request.pending:
            return False  # approving it is refused anyway, and says why
        cls = registry.get(request.remediation_id)
        return self.stepup.required(bool(cls and cls.destructive))

    def undo(self, request_id: str, user: str) -> Request:
        """Ask for the inverse of a remediation that succeeded (bot/workflow/undo.py)."""
        return ask_undo(self, request_id, user)

    def break_glass_offered(self, request_id: str, user: str) -> bool:
        """Whether ``user`` may approve this request only through break-glass (``break_glass = true``)."""
        return self.settings.break_glass and approvals.conflicted(self.store, self.authz, request_id, user)

    def approve(self, request_id: str, user: str, code: str = "", break_glass: str = "") -> Request:
        """Record an approval (after its step-up code, where one is needed); when it is the last one
        needed, run the remediation. ``break_glass`` is the reason of an emergency approval by the
        person who asked or who made the change: it approves at once, and every approver is told."""
        reason = " ".join(break_glass.split())[:500]
        refusal = _glass_refusal(break_glass, reason, self.settings.break_glass)
        if refusal:  # audited like every refused approval; the reason itself is never kept
            self.store.audit.add("approve", user, request_id=plain_id(request_id, 20).upper(), result="refused",
                                 detail=refusal, at=self.clock())  # fmt: skip
            raise Refused(refusal)
        if self.needs_code(request_id) and self.authz.is_approver(user):
            if not code:
                raise StepUpNeeded(f"Approving {plain_id(request_id)} needs a code from your authenticator.")
            self.stepup.verify(user, code, plain_id(request_id))

        def announce(request: Request) -> None:
            self._touch(request)
            if reason and request.reason and request.reason.startswith(approvals.BREAK_GLASS):
                where = self.store.outbox.get(m.request_id(request.id))
                if where is not None and where.channel:
                    data = {"user": user, "reason": reason, "approvers": list(self.settings.approvers),
                            "groups": list(self.settings.approver_groups)}  # fmt: skip
                    self.store.outbox.put(m.break_glass_id(request.id), m.Kind.BREAK_GLASS, request.id,
                                          where.channel, data=data, thread_of=where.thread_of)  # fmt: skip

        decision = approvals.approve(
            self.store, self.authz, request_id, user, self.clock(), then=announce, break_glass=reason
        )
        self.notify()
        return self.execute(decision.request.id) if decision.ready else decision.request

    def deny(self, request_id: str, user: str, reason: str = "") -> Request:
        request = approvals.deny(self.store, self.authz, request_id, user, reason, self.clock(), then=self._touch)
        self.notify()
        return request

    def expire(self) -> list[str]:
        """Expire requests whose time is up and take their buttons away."""
        expired = approvals.expire_due(self.store, self.clock(), then=self._touch)
        if expired:
            self.notify()
        return expired

    # ------------------------------------------------------------------ running

    def execute(self, request_id: str) -> Request:
        """Run an approved request once: re-plan, refuse on drift, apply, record the outcome."""
        if not approvals.claim(self.store, request_id, self.clock()):
            found = self.store.requests.get(request_id)
            assert found is not None
            return found  # someone else is running it, or it ran
        running = self.store.requests.get(request_id)
        assert running is not None
        with self.store.unit():
            self._touch(running)
        self.notify()
        status, lines = self._run(running)
        done = approvals.finish(self.store, running, status, lines, self.clock(), then=self._touch)
        self.notify()
        return done

    def _remediation(self, cls: type[Remediation], account_id: str | None, session: str) -> Remediation:
        client = self.aws.acting(cls.service, account_id, session_name=session)  # raises when it cannot act there
        return cls(client, AccountSnapshots(self.store.snapshots, account_id or self.aws.home_account()))

    def _run(self, request: Request) -> tuple[str, list[str]]:
        cls = registry.get(request.remediation_id)
        if cls is None:
            return FAILED, [f"Remediation {request.remediation_id} no longer exists in this iambot"]
        try:
            params = cls.parse(request.params)
            rem = self._remediation(cls, request.account_id, f"iambot-{request.id}")
            live = jsonable(rem.plan(params).expected)
            if live != request.expected:
                return DRIFTED, [
                    "Live state changed after the request, so nothing was done.",
                    f"Approved against: {_state(request.expected)}; now: {_state(live)}.",
                    "Ask again if the change is still wanted.",
                ]
            return SUCCEEDED, rem.apply(params).lines
        except RemediationError as exc:
            return FAILED, [str(exc)]
        except ClientError as exc:
            message = exc.response.get("Error", {}).get("Message", exc)
            return FAILED, [f"AWS refused: {error_code(exc)}: {message}"]
        except (BotoCoreError, ValidationError) as exc:
            return FAILED, [f"{type(exc).__name__}: {exc}"]


def _glass_refusal(break_glass: str, reason: str, enabled: bool) -> str | None:
    if break_glass and not enabled:
        return "Break-glass approvals are off (break_glass = true in iambot.toml turns them on)."
    if break_glass and not reason:
        return "A break-glass approval needs a reason."
    return CODE_IN_REASON if holds_a_code(reason) else None


def closed_text(status: str, dismissed_by: str | None, requests: tuple[Request, ...]) -> str:
    """Why a click on a closed alert does nothing: what happened to it."""
    if status == AlertStatus.DISMISSED:
        return f"This alert is closed: dismissed as expected by <@{dismissed_by or '?'}>. Nothing new was requested."
    done = next((r for r in requests if r.status == SUCCEEDED), None)
    if done is not None:
        return (
            f"This alert is closed: remediated by {done.id} ({done.remediation_id}, asked by <@{done.requested_by}>). "
            "Nothing new was requested."
        )
    return "This alert is closed. Nothing new was requested."
