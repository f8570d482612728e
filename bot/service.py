"""What the bot does, as plain methods: post alerts, take requests and approvals, run remediations.

Slack handlers and the CLI call this; it knows nothing about Bolt. Every message is (re-)rendered
whole from the state in SQLite and handed to the outbox, which posts or updates it in Slack.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from slack_sdk.errors import SlackClientError

from bot import approvals, oidc
from bot.approvals import Policy, Refused, Request
from bot.blocks import AlertState, Message, alert_message, request_line, request_message
from bot.events import IamEvent, normalize
from bot.risk import RiskContext
from bot.slack import Outbox
from bot.store import Store, iso, now
from bot.triage import Alert, Assessor
from remediations import registry
from remediations.aws import Aws
from remediations.base import RemediationError

log = logging.getLogger(__name__)

ALERT, APPROVAL = "alert", "approval"
GROUP_CACHE_SECONDS = 300


def alert_message_id(event_key: str) -> str:
    return f"{ALERT}:{event_key}"


def request_message_id(request_id: str) -> str:
    return f"{APPROVAL}:{request_id}"


def route(settings: Any, alert: Alert) -> str | None:
    """The first configured route that matches the alert, else IAMBOT_ALERT_CHANNEL."""
    e = alert.event
    for r in settings.routes:
        if r.severities and alert.severity not in r.severities:
            continue
        if r.accounts and e.account_id not in r.accounts:
            continue
        if r.events and e.event_name not in r.events:
            continue
        return str(r.channel)
    return settings.alert_channel


def explain_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "parameters"
        msg = "unknown parameter" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


class Service:
    def __init__(
        self,
        settings: Any,
        store: Store,
        outbox: Outbox,
        aws: Aws,
        assessor: Assessor | None = None,
        clock: Callable[[], datetime] = now,
    ):
        self.settings = settings
        self.store = store
        self.outbox = outbox
        self.aws = aws
        self.assessor = assessor or Assessor(context=RiskContext(tuple(settings.self_arns)))
        self.clock = clock
        self.policy = Policy.from_settings(settings)
        self.enabled = set(settings.enabled_remediations())
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._groups_lock = threading.Lock()

    # ================================================================== alerts

    def ingest(self, events: Iterable[IamEvent]) -> list[Alert]:
        """Assess, store (each event once) and queue an alert for every new event; then post."""
        alerts = self.store.add_alerts(self.assessor(e) for e in events)
        for alert in alerts:
            self._queue_alert(alert)
        if alerts:
            self.outbox.flush()
        return alerts

    def _queue_alert(self, alert: Alert) -> None:
        key = alert.event.key
        stamp = iso(self.clock())
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO alerts (key, status, lines, severity, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?)",
                (key, "open", "[]", alert.severity, stamp, stamp),
            )
        channel = route(self.settings, alert)
        if not channel:
            log.warning("no channel for alert; stored only", extra={"event": key})
            return
        self.outbox.put(alert_message_id(key), ALERT, key, channel, self._render_alert(alert))

    def alert(self, event_key: str) -> Alert | None:
        """The alert for a stored event, re-assessed from its raw record."""
        row = self.store.event(event_key)
        if row is None:
            return None
        return self.assessor(normalize(row["raw"], origin=row["origin"] or ""))

    def _render_alert(self, alert: Alert) -> Message:
        key = alert.event.key
        row = self.store.row("SELECT status FROM alerts WHERE key = ?", [key])
        requests = approvals.for_event(self.store, key)
        status = row["status"] if row else "open"
        if status == "open" and any(r.status == approvals.SUCCEEDED for r in requests):
            status = "remediated"
        elif status == "open" and any(r.pending for r in requests):
            status = "requested"
        lines = [request_line(r, self._title(r.remediation_id)) for r in requests]
        if row and row["status"] == "dismissed":
            who = self.store.row(
                "SELECT user_id FROM audit WHERE action = 'dismiss' AND event_key = ? ORDER BY id DESC LIMIT 1", [key]
            )
            lines.append(f":white_check_mark: Dismissed as expected by <@{who['user_id'] if who else '?'}>")
        offers = tuple(o for o in alert.offers if o.id in self.enabled)
        shown = Alert(alert.event, alert.entry, alert.risk, alert.summary, offers)
        return alert_message(shown, AlertState(status, tuple(lines)), registry.titles())

    def refresh_alert(self, event_key: str | None) -> None:
        if not event_key:
            return
        alert = self.alert(event_key)
        if alert is not None:
            self.outbox.update(alert_message_id(event_key), self._render_alert(alert))

    def dismiss(self, event_key: str, user: str) -> None:
        with self.store.transaction() as conn:
            moved = conn.execute(
                "UPDATE alerts SET status = 'dismissed', updated_at = ? WHERE key = ? AND status = 'open'",
                (iso(self.clock()), event_key),
            ).rowcount
            self.store.audit(
                "dismiss",
                user,
                event_key=event_key,
                result="ok" if moved else "refused",
                detail="" if moved else "not open",
                at=self.clock(),
            )
        if not moved:
            raise Refused("This alert is no longer open.")
        self.refresh_alert(event_key)
        self.outbox.flush()

    # ================================================================== requests

    def _title(self, remediation_id: str) -> str:
        cls = registry.get(remediation_id)
        return cls.title if cls else remediation_id

    def request_from_alert(self, remediation_id: str, event_key: str, user: str) -> Request:
        """A ``request:<id>`` click: the parameters come from the event, never from the button."""
        alert = self.alert(event_key)
        if alert is None:
            raise Refused("iambot no longer has that event.")
        offer = next((o for o in alert.offers if o.id == remediation_id), None)
        if offer is None:
            raise Refused(f"{remediation_id} is not offered for this event.")
        params: dict[str, Any] = dict(offer.params)
        if remediation_id == "restore-oidc-thumbprints":
            previous = oidc.before(self.store, params["provider_arn"], alert.event.event_time)
            if previous is None:
                raise Refused(
                    "iambot has no record of this provider's thumbprints from before the change, so it cannot "
                    "say what to restore. If you know the right list, ask for it with "
                    f"`/iam remediate restore-oidc-thumbprints provider_arn={params['provider_arn']} "
                    "thumbprints=<40-hex>,<40-hex>`"
                )
            params["thumbprints"] = previous
        return self.request(remediation_id, params, user, event_key=event_key, account_id=alert.event.account_id)

    def request(
        self,
        remediation_id: str,
        raw_params: dict[str, Any],
        user: str,
        event_key: str | None = None,
        account_id: str | None = None,
    ) -> Request:
        """Validate, dry-run against live state, record the request and post the approval message."""
        cls = registry.get(remediation_id)
        if cls is None:
            raise Refused(f"There is no remediation {remediation_id!r}. Known: {', '.join(registry.ids())}")
        if remediation_id not in self.enabled:
            raise Refused(f"{remediation_id} is not enabled here (IAMBOT_REMEDIATIONS).")
        # the configured strong password policy is the default; /iam remediate may override fields
        defaults = self.settings.password_policy if remediation_id == "apply-password-policy" else {}
        try:
            params = cls.parse({**defaults, **raw_params})
        except ValidationError as exc:
            raise Refused(f"Bad parameters for {remediation_id}: {explain_error(exc)}") from exc
        try:
            plan = cls(self.aws.iam(account_id, session_name=f"iambot-plan-{user}")).plan(params)
        except RemediationError as exc:
            raise Refused(str(exc)) from exc
        except (ClientError, BotoCoreError) as exc:
            raise Refused(f"AWS refused the dry run: {exc}") from exc
        dumped = params.model_dump(exclude_none=True)
        if plan.noop:
            self.store.audit(
                "request",
                user,
                event_key=event_key,
                remediation_id=remediation_id,
                params=dumped,
                result="noop",
                detail=" / ".join(plan.lines),
                at=self.clock(),
            )
            raise Refused(f"Nothing to do: {' '.join(plan.lines)}")
        request = approvals.create(
            self.store,
            self.policy,
            remediation_id=remediation_id,
            destructive=cls.destructive,
            params=dumped,
            plan=plan.lines,
            expected=orjson.loads(orjson.dumps(plan.expected, default=str)),
            user=user,
            event_key=event_key,
            account_id=account_id,
            at=self.clock(),
        )
        self._queue_request(request)
        self.refresh_alert(event_key)
        self.outbox.flush()
        return request

    def _queue_request(self, request: Request) -> None:
        alert_row = self.outbox.get(alert_message_id(request.event_key)) if request.event_key else None
        if self.settings.approvals_channel:
            channel, thread = self.settings.approvals_channel, None
        elif alert_row is not None:
            channel, thread = alert_row["channel"], alert_row["id"]
        else:
            channel, thread = self.settings.alert_channel, None
        if not channel:
            log.warning("no channel for the approval message", extra={"request": request.id})
            return
        self.outbox.put(
            request_message_id(request.id),
            APPROVAL,
            request.id,
            channel,
            self.render_request(request),
            thread_of=thread,
        )

    def render_request(self, request: Request) -> Message:
        cls = registry.get(request.remediation_id)
        alert = self.alert(request.event_key) if request.event_key else None
        return request_message(
            request,
            self._title(request.remediation_id),
            bool(cls and cls.destructive),
            alert.summary if alert else None,
        )

    def _refresh_request(self, request: Request) -> None:
        self.outbox.update(request_message_id(request.id), self.render_request(request))
        self.refresh_alert(request.event_key)

    # ================================================================== decisions

    def is_approver(self, user: str) -> bool:
        if user in self.policy.approvers:
            return True
        return any(user in self._group_members(g) for g in self.policy.groups)

    def _group_members(self, group: str) -> frozenset[str]:
        with self._groups_lock:
            cached = self._groups.get(group)
            if cached and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
                return cached[1]
        try:
            users = frozenset(self.outbox.client.usergroups_users_list(usergroup=group).get("users", []))
        except (SlackClientError, OSError) as exc:  # not verified means not an approver: refuse
            log.warning("could not read user group", extra={"group": group, "error": str(exc)})
            return frozenset()
        with self._groups_lock:
            self._groups[group] = (time.monotonic(), users)
        return users

    def approve(self, request_id: str, user: str) -> Request:
        """Record an approval; when it is the last one needed, run the remediation."""
        decision = approvals.approve(self.store, self.policy, request_id, user, self.is_approver, at=self.clock())
        request = decision.request
        if decision.ready:
            request = self.execute(request.id)
        else:
            self._refresh_request(request)
            self.outbox.flush()
        return request

    def deny(self, request_id: str, user: str, reason: str = "") -> Request:
        request = approvals.deny(self.store, request_id, user, self.is_approver, reason, at=self.clock())
        self._refresh_request(request)
        self.outbox.flush()
        return request

    def execute(self, request_id: str) -> Request:
        """Run an approved request once: re-plan, refuse on drift, apply, record the outcome."""
        request = approvals.get(self.store, request_id)
        if request is None or not approvals.claim(self.store, request_id, at=self.clock()):
            return request  # type: ignore[return-value]  # someone else is running it
        running = approvals.get(self.store, request_id)
        assert running is not None
        self._refresh_request(running)
        self.outbox.flush()
        status, lines = self._run(running)
        done = approvals.finish(self.store, running, status, lines, at=self.clock())
        self._refresh_request(done)
        self.outbox.flush()
        return done

    def _run(self, request: Request) -> tuple[str, list[str]]:
        cls = registry.get(request.remediation_id)
        if cls is None:
            return approvals.FAILED, [f"Remediation {request.remediation_id} no longer exists in this iambot"]
        try:
            params = cls.parse(request.params)
            rem = cls(self.aws.iam(request.account_id, session_name=f"iambot-{request.id}"))
            plan = rem.plan(params)
            live = orjson.loads(orjson.dumps(plan.expected, default=str))
            if live != request.expected:
                return approvals.DRIFTED, [
                    "Live state changed after the request, so nothing was done.",
                    f"Approved against: {_state(request.expected)}; now: {_state(live)}.",
                    "Ask again if the change is still wanted.",
                ]
            outcome = rem.apply(params)
            return approvals.SUCCEEDED, outcome.lines
        except RemediationError as exc:
            return approvals.FAILED, [str(exc)]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            return approvals.FAILED, [f"AWS refused: {code}: {exc.response.get('Error', {}).get('Message', exc)}"]
        except (BotoCoreError, ValidationError) as exc:
            return approvals.FAILED, [f"{type(exc).__name__}: {exc}"]

    def expire(self) -> list[str]:
        """Expire requests whose time is up and take their buttons away."""
        expired = approvals.expire_due(self.store, at=self.clock())
        for rid in expired:
            request = approvals.get(self.store, rid)
            if request is not None:
                self._refresh_request(request)
        if expired:
            self.outbox.flush()
        return expired

    def snapshot_oidc(self) -> int:
        account = self.aws.home_account()
        return oidc.snapshot(self.store, self.aws.iam(), account, at=self.clock())


def _state(state: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in state.items()) or "nothing"
