"""What each Slack message shows, read from the current state. The Slack layer renders these;
every message is re-rendered whole from them on each change."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.assess import Alert
from bot.assess.judgement import restore
from bot.catalog.model import SEVERITIES
from bot.events import RecordError, normalize
from bot.store import AlertStatus, Question, Request, Store, StoredEvent, now, parse_iso
from bot.store.requests import REQUESTED, SUCCEEDED
from bot.workflow import undo
from bot.workflow.undo import UndoOffer
from remediations import registry
from remediations.base import Knowledge, RemediationError

Assess = Callable[[Any], Alert]  # normalize's IamEvent -> Alert


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    status: AlertStatus  # open | requested | remediated | dismissed
    requests: tuple[Request, ...]
    titles: dict[str, str]
    dismissed_by: str | None = None
    dismiss_reason: str = ""
    recorded: tuple[str, ...] = ()  # what iambot's own records add (the thumbprints before a change)
    account_name: str | None = None  # from account_names, when configured
    account_note: str | None = None  # from account_notes: a warning about the account ("PRODUCTION …")
    question: Question | None = None  # "Was this you?" to the actor, and its answer

    @property
    def disowned(self) -> bool:
        return self.question is not None and self.question.status == "no"

    @property
    def closed(self) -> bool:
        return self.status in (AlertStatus.REMEDIATED, AlertStatus.DISMISSED)


@dataclass(frozen=True)
class RequestView:
    request: Request
    title: str
    destructive: bool
    context: str | None  # the alert's summary, when the request came from one
    undo: UndoOffer | None = None  # offered while its window is open
    undo_note: str | None = None  # why it cannot be undone (irreversible remediations)
    undoes: str | None = None  # the request this one undoes
    account_note: str | None = None  # from account_notes, for the request's account
    ping: tuple[str, ...] = ()  # approvers_to_notify (users and groups) while it waits, its requester left out


@dataclass(frozen=True)
class QuestionView:
    """"Was this you?": the question, what the alert says, and the quarantine a "no" opened."""

    question: Question
    summary: str
    severity: str
    event_time: str
    account: str | None
    request: Request | None = None


@dataclass(frozen=True)
class RepeatsView:
    times: tuple[str, ...]


@dataclass(frozen=True)
class BurstView:
    total: int
    top: tuple[tuple[str, str, int], ...]  # (event name, actor, count)
    limit: int


@dataclass(frozen=True)
class ConfirmationView:
    request_id: str
    event_name: str
    actor: str
    event_time: str
    error_code: str | None


def title(remediation_id: str) -> str:
    cls = registry.get(remediation_id)
    return cls.title if cls else remediation_id


class Views:
    def __init__(
        self,
        store: Store,
        assess: Callable[[], Assess],
        enabled: set[str],
        account_names: Mapping[str, str] | None = None,
        undo_hours: int = 24,
        account_notes: Mapping[str, str] | None = None,
        approvers_to_notify: tuple[str, ...] = (),
    ):
        self.store = store
        self._assess = assess
        self.enabled = enabled
        self.account_names = dict(account_names or {})
        self.undo_hours = undo_hours
        self.account_notes = dict(account_notes or {})
        self.approvers_to_notify = approvers_to_notify

    def note(self, account_id: str | None) -> str | None:
        """The account's note (account_notes), shown on everything about that account."""
        return self.account_notes.get(account_id or "")

    def ping(self, request: Request) -> tuple[str, ...]:
        """Who a request pings: the approvers to notify while it waits, never the person who asked
        (who may not approve it). Every approver may still approve; only these are pinged."""
        if request.status != REQUESTED:
            return ()
        return tuple(p for p in self.approvers_to_notify if p != request.requested_by)

    def alert(self, event_key: str) -> Alert | None:
        """The alert for a stored event as it was judged when taken in: the event and its catalog
        entry read again from the raw record, the severity, reasons and offers from the judgement
        stored with it (an alert stored before judgements were kept is assessed again)."""
        stored = self.store.events.get(event_key)
        alert = self.assess(stored) if stored else None
        if alert is None:
            return None
        row = self.store.alerts.get(event_key)
        if row is None:
            return alert
        judged = restore(alert, row.assessed)
        if row.severity in SEVERITIES and SEVERITIES.index(row.severity) > SEVERITIES.index(judged.severity):
            judged = replace(judged, risk=replace(judged.risk, severity=row.severity))  # raised since: disowned
        return judged

    def assess(self, stored: StoredEvent) -> Alert | None:
        try:
            return self._assess()(normalize(stored.raw, origin=stored.origin))
        except RecordError:
            return None

    def alert_view(self, event_key: str) -> AlertView | None:
        alert = self.alert(event_key)
        row = self.store.alerts.get(event_key)
        if alert is None:
            return None
        requests = tuple(self.store.requests.for_event(event_key))
        status = AlertStatus.DISMISSED if row and row.status == AlertStatus.DISMISSED else AlertStatus.OPEN
        dismissal = self.store.audit.last("dismiss", event_key) if status == AlertStatus.DISMISSED else None
        dismissed_by, reason = dismissal if dismissal else (None, "")
        if status == AlertStatus.OPEN and any(r.status == SUCCEEDED for r in requests):
            status = AlertStatus.REMEDIATED
        elif status == AlertStatus.OPEN and any(r.pending for r in requests):
            status = AlertStatus.REQUESTED
        shown = alert.with_offers(tuple(o for o in alert.offers if o.id in self.enabled))
        titles = {rid: title(rid) for rid in {*(o.id for o in shown.offers), *(r.remediation_id for r in requests)}}
        account = alert.event.account_id or ""
        name, note = self.account_names.get(account), self.note(account)
        question = self.store.questions.for_event(event_key)
        recorded = self.recorded(shown)
        return AlertView(shown, status, requests, titles, dismissed_by, reason, recorded, name, note, question)

    def recorded(self, alert: Alert) -> tuple[str, ...]:
        """For each offer, the parameters only iambot's records supply (prepared, not in the event)."""
        lines = []
        e = alert.event
        for offer in alert.offers:
            cls = registry.get(offer.id)
            if cls is None:
                continue
            try:
                prepared = cls.prepare(dict(offer.params), Knowledge(self.store.snapshots, e.event_time, e.account_id))
            except RemediationError:
                continue
            for name, value in prepared.items():
                if name not in offer.params:
                    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                    lines.append(f"{title(offer.id)} would put back {name.replace('_', ' ')}: {shown}")
        return tuple(lines)

    def request_view(self, request_id: str) -> RequestView | None:
        request = self.store.requests.get(request_id)
        if request is None:
            return None
        cls = registry.get(request.remediation_id)
        alert = self.alert(request.event_key) if request.event_key else None
        offered = undo.offer(request, self.enabled, self.undo_hours, now())
        undoes = self.store.audit.detail_for("undo", request.id)
        return RequestView(
            request,
            title(request.remediation_id),
            bool(cls and cls.destructive),
            alert.summary if alert else None,
            offered,
            cls.undo_note if cls and undo.inverse(request) is None else None,
            undoes.removeprefix("undoes ") if undoes else None,
            self.note(request.account_id),
            self.ping(request),
        )

    def question_view(self, question_id: str) -> QuestionView | None:
        question = self.store.questions.get(question_id)
        alert = self.alert(question.event_key) if question is not None else None
        if question is None or alert is None:
            return None
        e = alert.event
        account = f"{e.account_id} ({self.account_names[e.account_id]})" if e.account_id in self.account_names else None
        request = self.store.requests.get(question.request_id) if question.request_id else None
        when = e.event_time.strftime("%Y-%m-%d %H:%M UTC")
        return QuestionView(question, alert.summary, alert.severity, when, account or e.account_id, request)

    def repeats(self, parent_key: str) -> RepeatsView:
        return RepeatsView(tuple(self.store.alerts.repeat_times(parent_key)))

    def burst(self, data: dict[str, Any]) -> BurstView:
        since = parse_iso(str(data.get("since"))) if data.get("since") else datetime.min
        counts = self.store.alerts.burst_counts(since)
        return BurstView(sum(n for _, _, n in counts), tuple(counts[:5]), int(data.get("limit") or 0))

    def confirmation(self, event_key: str, data: dict[str, Any]) -> ConfirmationView | None:
        stored = self.store.events.get(event_key)
        if stored is None:
            return None
        raw = stored.raw if isinstance(stored.raw, dict) else {}
        return ConfirmationView(
            str(data.get("request", "?")),
            stored.event_name,
            stored.actor_name or "?",
            stored.event_time,
            raw.get("errorCode") if isinstance(raw.get("errorCode"), str) else None,
        )
