"""What the bot does, as plain methods: post alerts, take requests and approvals, run remediations.

Slack handlers and the CLI call this; it knows nothing about Bolt. Every message is (re-)rendered
whole from the state in SQLite and handed to the outbox, which posts or updates it in Slack.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from slack_sdk.errors import SlackClientError

from bot import approvals, oidc
from bot.approvals import Policy, Refused, Request
from bot.blocks import AlertState, Message, alert_message, escape, request_line, request_message
from bot.events import IamEvent, normalize
from bot.risk import RiskContext
from bot.slack import Outbox
from bot.store import Store, iso, now
from bot.triage import Alert, Assessor
from remediations import registry
from remediations.aws import Aws
from remediations.base import RemediationError, error_code

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


def simple_message(text: str) -> Message:
    """A one-section message (text already mrkdwn-safe)."""
    return Message(text=text[:3000], blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}])


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

    def ingest(self, events: Iterable[IamEvent], flush: bool = True) -> list[Alert]:
        """Assess and store every event once; decide for each new one how it reaches Slack."""
        alerts = self.store.add_alerts(self.assessor(e) for e in events)
        for alert in alerts:
            self._dispose(alert)
        if alerts and flush:
            self.outbox.flush()
        return alerts

    def _dispose(self, alert: Alert) -> str:
        """posted | repeat | burst | suppressed | backfill | confirmation | self | unrouted."""
        e, key, at = alert.event, alert.event.key, self.clock()
        group = "|".join([e.event_name, e.actor.arn or e.actor.name, e.account_id or "", alert.summary])
        channel = route(self.settings, alert)
        parent = None
        request = self._own_request(alert)
        if request is not None or alert.risk.is_self:
            disposition = "confirmation" if request and request.event_key else "self"
        elif suppression := self._suppression(alert):
            disposition = "suppressed"
            with self.store.transaction() as conn:
                conn.execute("UPDATE suppressions SET hits = hits + 1 WHERE id = ?", (suppression,))
        elif e.event_time < at - timedelta(hours=self.settings.backfill_hours):
            disposition = "backfill"
        elif not channel:
            disposition = "unrouted"
        elif parent := self._repeat_parent(group, e.event_time):
            disposition = "repeat"
        elif self._posted_last_minute(channel, at) >= self.settings.burst_per_minute:
            disposition = "burst"
        else:
            disposition = "posted"
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO alerts (key, status, lines, severity, created_at, updated_at, disposition,"
                " thread_of, group_key, event_time) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (key, "open", "[]", alert.severity, iso(at), iso(at), disposition, parent, group, iso(e.event_time)),
            )
        if disposition == "posted":
            self.outbox.put(alert_message_id(key), ALERT, key, str(channel), self._render_alert(alert))
        elif disposition == "repeat":
            self._update_repeats(str(parent))
        elif disposition == "burst":
            self._update_burst(str(channel), at)
        elif disposition == "confirmation" and request is not None:
            self._confirm(alert, request)
        else:
            log.info("alert not posted", extra={"event": key, "disposition": disposition})
        return disposition

    # ------------------------------------------------------------------ noise control

    def _repeat_parent(self, group: str, when: datetime) -> str | None:
        if not self.settings.repeat_window_minutes:
            return None
        since = iso(when - timedelta(minutes=self.settings.repeat_window_minutes))
        row = self.store.row(
            "SELECT key FROM alerts WHERE group_key = ? AND disposition = 'posted' AND event_time >= ?"
            " AND event_time <= ? ORDER BY event_time LIMIT 1",
            [group, since, iso(when)],
        )
        return row["key"] if row else None

    def _update_repeats(self, parent: str) -> None:
        rows = self.store.rows(
            "SELECT event_time FROM alerts WHERE thread_of = ? AND disposition = 'repeat' ORDER BY event_time", [parent]
        )
        text = (
            f":repeat: Repeated {len(rows)} more time(s) by the same actor with the same effect: "
            f"first {rows[0]['event_time']}, latest {rows[-1]['event_time']}. Each is stored (`/iam recent`)."
        )
        message = simple_message(text)
        if not self.outbox.put(f"repeats:{parent}", "repeats", parent, "", message, thread_of=alert_message_id(parent)):
            self.outbox.update(f"repeats:{parent}", message)

    def _posted_last_minute(self, channel: str, at: datetime) -> int:
        row = self.store.row(
            "SELECT COUNT(*) AS n FROM messages WHERE kind = ? AND channel = ? AND created_at >= ?",
            [ALERT, channel, iso(at - timedelta(minutes=1))],
        )
        return int(row["n"]) if row else 0

    def _update_burst(self, channel: str, at: datetime) -> None:
        bucket = at.strftime("%Y-%m-%dT%H:%M")
        rows = self.store.rows(
            "SELECT e.event_name, e.actor_name, COUNT(*) AS n FROM alerts a JOIN events e ON e.key = a.key"
            " WHERE a.disposition = 'burst' AND a.created_at >= ? GROUP BY e.event_name, e.actor_name"
            " ORDER BY n DESC",
            [iso(at - timedelta(minutes=1))],
        )
        total = sum(r["n"] for r in rows)
        top = "; ".join(f"{escape(r['event_name'])} by {escape(r['actor_name'])} ×{r['n']}" for r in rows[:5])
        text = (
            f":rotating_light: Burst: {total} more IAM event(s) in the last minute were stored but not posted one "
            f"by one (over {self.settings.burst_per_minute} a minute in this channel). Most: {top}. "
            "They are in `/iam recent` and the next digest."
        )
        mid = f"burst:{channel}:{bucket}"
        if not self.outbox.put(mid, "burst", bucket, channel, simple_message(text)):
            self.outbox.update(mid, simple_message(text))

    def _suppression(self, alert: Alert) -> str | None:
        e = alert.event
        targets = {str(v) for v in e.target.values()}
        for row in self.store.rows(
            "SELECT * FROM suppressions WHERE lifted_by IS NULL AND expires_at > ?", [iso(self.clock())]
        ):
            if row["event_name"] and row["event_name"].lower() != e.event_name.lower():
                continue
            if row["actor"] and row["actor"] not in {e.actor.arn, e.actor.name, e.actor.user_name}:
                continue
            if row["target"] and row["target"] not in targets:
                continue
            if row["account_id"] and row["account_id"] != e.account_id:
                continue
            return str(row["id"])
        return None

    # ------------------------------------------------------------------ closing the loop

    def _own_request(self, alert: Alert) -> Request | None:
        """The request this event carries out: by the session name iambot assumes roles with, or, for
        iambot's own principal, a request that succeeded within the hour on the same parameters."""
        session = alert.event.actor.session_name or ""
        if session.startswith("iambot-R"):
            return approvals.get(self.store, session.removeprefix("iambot-"))
        if not alert.risk.is_self:
            return None
        request = alert.event.request if isinstance(alert.event.request, dict) else {}
        seen = {str(v) for v in request.values()} | {str(v) for v in alert.event.target.values()}
        for row in self.store.rows(
            "SELECT id, params FROM requests WHERE status = 'succeeded' AND finished_at >= ? ORDER BY finished_at DESC",
            [iso(alert.event.event_time - timedelta(hours=1))],
        ):
            params = {str(v) for v in orjson.loads(row["params"]).values() if not isinstance(v, list | dict)}
            if params and params <= seen:
                return approvals.get(self.store, row["id"])
        return None

    def _confirm(self, alert: Alert, request: Request) -> None:
        e = alert.event
        text = (
            f":white_check_mark: CloudTrail confirms {request.id}: `{escape(e.event_name)}` by "
            f"{escape(e.actor.name)} at {e.event_time:%H:%M:%S} UTC"
            + (f", which failed ({escape(e.error_code)})" if e.failed else "")
        )
        parent = alert_message_id(request.event_key) if request.event_key else None
        if parent and self.outbox.get(parent):
            self.outbox.put(f"confirm:{e.key}", "confirmation", e.key, "", simple_message(text), thread_of=parent)

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
            expected=_jsonable(plan.expected),
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
            live = _jsonable(plan.expected)
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
            message = exc.response.get("Error", {}).get("Message", exc)
            return approvals.FAILED, [f"AWS refused: {error_code(exc)}: {message}"]
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

    # ================================================================== digest and suppressions

    def post_digest(self, until: datetime | None = None) -> Any:
        from bot import digest

        until = until or self.clock()
        last = self.store.cursor("digest")
        since = datetime.fromisoformat(last.replace("Z", "+00:00")) if last else until - timedelta(days=1)
        d = digest.compute(self.store, since, until)
        channel = self.settings.digest_channel or self.settings.alert_channel
        if channel:
            self.outbox.put(f"digest:{iso(until)}", "digest", iso(until), channel, digest.message(d))
            self.outbox.flush()
        self.store.set_cursor("digest", iso(until))
        return d

    def mute(self, user: str, criteria: dict[str, str], hours: float, reason: str) -> str:
        if not self.is_approver(user):
            self.store.audit("mute", user, result="refused", detail="not an approver", params=criteria)
            raise Refused("Only approvers can create suppressions.")
        if not any(criteria.values()):
            raise Refused("Say what to mute: event=, actor=, target= or account= (any combination).")
        if not reason:
            raise Refused('Give a reason, e.g. reason="planned key rotation, SEC-42".')
        at = self.clock()
        sid = "M" + approvals.new_id()[1:]
        with self.store.transaction():
            self.store.db["suppressions"].insert(
                {
                    "id": sid,
                    "event_name": criteria.get("event"),
                    "actor": criteria.get("actor"),
                    "target": criteria.get("target"),
                    "account_id": criteria.get("account"),
                    "reason": reason,
                    "created_by": user,
                    "created_at": iso(at),
                    "expires_at": iso(at + timedelta(hours=hours)),
                    "hits": 0,
                }
            )
            self.store.audit("mute", user, params=criteria, detail=f"{sid} for {hours:g} h: {reason}", at=at)
        return sid

    def unmute(self, user: str, sid: str) -> None:
        if not self.is_approver(user):
            self.store.audit("unmute", user, result="refused", detail=sid)
            raise Refused("Only approvers can lift suppressions.")
        with self.store.transaction() as conn:
            moved = conn.execute(
                "UPDATE suppressions SET lifted_by = ? WHERE id = ? AND lifted_by IS NULL", (user, sid.upper())
            ).rowcount
            self.store.audit("unmute", user, detail=sid, result="ok" if moved else "refused")
        if not moved:
            raise Refused(f"No active suppression {sid}.")

    def suppressions(self) -> list[dict[str, Any]]:
        return self.store.rows(
            "SELECT * FROM suppressions WHERE lifted_by IS NULL AND expires_at > ? ORDER BY created_at",
            [iso(self.clock())],
        )

    def learn_own_principal(self) -> str | None:
        """Ask STS who iambot is, so its own calls coming back through CloudTrail are recognized
        (an assumed role is matched on any session of that role)."""
        try:
            arn = self.aws.caller_arn()
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not ask sts get-caller-identity: %s", exc)
            return None
        parts = arn.split("/")
        glob = "/".join(parts[:2]) + "/*" if ":assumed-role/" in arn and len(parts) >= 3 else arn
        context = self.assessor.context
        if glob not in context.self_arns:
            self.assessor = Assessor(self.assessor.catalog, RiskContext((*context.self_arns, glob)))
        return glob

    def snapshot_oidc(self) -> int:
        account = self.aws.home_account()
        return oidc.snapshot(self.store, self.aws.iam(), account, at=self.clock())


def _jsonable(state: dict[str, Any]) -> dict[str, Any]:
    """A plan's expected state as it reads back from SQLite, so approval and execution compare alike."""
    return orjson.loads(orjson.dumps(state, default=str))


def _state(state: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in state.items()) or "nothing"
