"""Taking events in: assess, store each once, decide how it reaches Slack, queue its message —
all of an event's rows in one unit of work, so a crash at any instant loses nothing and
duplicates nothing (a redelivered event is simply "not new")."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import metrics
from bot.assess import Alert, Assessor, RiskContext, network_of
from bot.assess.base import Feed
from bot.assess.judgement import judgement
from bot.events import IamEvent, Rejected, excerpt, normalize
from bot.store import Disposition, Store, Suppression, dumps, now
from bot.workflow import messages as m
from bot.workflow.authz import ActorRef
from bot.workflow.canary import Canary
from bot.workflow.home import SEVERE
from bot.workflow.noise import Decision, decide, group_key, route
from bot.workflow.sequences import observe
from bot.workflow.sequences import reroute as reroute_sequences

if TYPE_CHECKING:
    from bot.config.settings import Settings

log = logging.getLogger(__name__)
MAX_RECORD = 1 << 20  # CloudTrail's own records stay far below this


@dataclass(frozen=True, slots=True)
class Taken:
    alert: Alert
    disposition: str


@dataclass
class IntakeResult:
    taken: list[Taken] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def alerts(self) -> list[Alert]:
        return [t.alert for t in self.taken]


def make_assessor(settings: Settings, store: Store | None, assessor: Assessor | None = None) -> Assessor:
    context = RiskContext(
        self_arns=tuple(settings.self_arns),
        automation_arns=tuple(settings.automation_arns),
        history=store.events if store is not None else None,
        feed=Feed.from_settings(settings),
    )
    return assessor.with_context(context) if assessor is not None else Assessor(context=context)


class Intake:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        assessor: Assessor | None = None,
        clock: Callable[[], datetime] = now,
        notify: Callable[[], None] = lambda: None,
        canary: Canary | None = None,
    ):
        self.store = store
        self.canary = canary
        self.settings = settings
        self.assessor = make_assessor(settings, store, assessor)
        self.clock = clock
        self.notify = notify
        self.ask: Callable[[Alert, datetime], str | None] | None = None  # "Was this you?" (bot/workflow/questions.py)

    def add_self_arn(self, glob: str) -> None:
        """iambot's own principal (learnt from STS): its calls are confirmations, never threats."""
        context = self.assessor.context
        if glob not in context.self_arns:
            self.assessor = self.assessor.with_context(replace(context, self_arns=(*context.self_arns, glob)))

    def take(self, events: Iterable[IamEvent], source: str = "") -> IntakeResult:
        """Assess and store every event once, and queue what Slack should show, in one unit of work."""
        result = IntakeResult()
        at = self.clock()
        with self.store.unit():
            mutes = self.store.suppressions.active(at)  # once a batch, not once an event
            for event in events:
                self._one(event, at, result, mutes)
            if any(t.disposition == Disposition.POSTED and t.alert.severity in SEVERE for t in result.taken):
                self.store.outbox.touch_kind(m.Kind.HOME, at=at)  # listed on every Home: once a batch
            if result.rejected:
                self.store.rejected.add(result.rejected, source=source or "intake")
        if result.taken:
            self.notify()
        self._count(source or "intake", result)
        return result

    @staticmethod
    def _count(source: str, result: IntakeResult) -> None:
        name = metrics.label(source)
        metrics.EVENTS.labels(name, "taken").inc(len(result.taken))
        metrics.EVENTS.labels(name, "duplicate").inc(result.duplicates)
        metrics.EVENTS.labels(name, "rejected").inc(len(result.rejected))
        for taken in result.taken:
            metrics.ALERTS.labels(taken.alert.severity, taken.disposition).inc()
        if result.taken:
            metrics.delivered(name, max(t.alert.event.event_time for t in result.taken))

    def _one(self, event: IamEvent, at: datetime, result: IntakeResult, mutes: list[Suppression]) -> None:
        try:
            raw = dumps(event.raw)
            if len(raw) > MAX_RECORD:
                raise ValueError(f"record is larger than {MAX_RECORD // 1024} KiB")
            alert = self.assessor(event)
        except ValueError as exc:
            result.rejected.append(Rejected(event.origin or event.event_id, str(exc), excerpt(event.raw)))
            return
        except Exception as exc:  # a bug must not stop the rest of the batch: keep the record, say why
            log.exception("could not assess an event", extra={"event": event.key})
            result.rejected.append(Rejected(event.origin or event.event_id, f"internal error: {exc!r}", raw[:200]))
            return
        new = self.store.events.add(
            event,
            severity=alert.severity,
            summary=alert.summary,
            targets=alert.targets,
            is_self=alert.risk.is_self,
            source_net=network_of(event.source_ip),
            raw=raw,
            at=at,
        )
        if not new:
            result.duplicates += 1
            return
        value = self.canary.recognises(event, alert.risk.is_self) if self.canary is not None else None
        if value is not None:
            decision = Decision(Disposition.CANARY)
        else:
            decision = decide(self.store, self.settings, alert, at, mutes)
            decision = observe(self.store, self.settings, alert, decision, at)  # a sequence's member
        self.store.alerts.add(
            event.key,
            disposition=decision.disposition,
            severity=alert.severity,
            group_key=group_key(alert),
            event_time=event.event_time,
            actor=dumps(ActorRef.of(event.actor).as_dict()),
            thread_of=decision.parent,
            at=at,
            assessed=judgement(alert),
        )
        if value is not None and self.canary is not None:
            self.canary.returned(value, at)  # iambot's own feed canary: stored and counted, never posted
        else:
            self._queue(alert, decision, at)
        result.taken.append(Taken(alert, decision.disposition))

    def _queue(self, alert: Alert, decision: Decision, at: datetime) -> None:
        key, outbox = alert.event.key, self.store.outbox
        match decision.disposition:
            case Disposition.POSTED:
                outbox.put(m.alert_id(key), m.Kind.ALERT, key, str(decision.channel), at=at)
                if self.ask is not None:
                    self.ask(alert, at)
            case Disposition.UNROUTED:
                outbox.put(m.alert_id(key), m.Kind.ALERT, key, "", at=at)
            case Disposition.REPEAT:
                parent = str(decision.parent)
                reply = m.repeats_id(parent)
                if not outbox.put(
                    reply, m.Kind.REPEATS, parent, str(decision.channel), thread_of=m.alert_id(parent), at=at
                ):
                    outbox.touch(reply, at=at)
            case Disposition.BURST:
                minute = at.strftime("%Y-%m-%dT%H:%M")
                data = {"since": (at - timedelta(minutes=1)).isoformat(), "limit": self.settings.burst_per_minute}
                summary = m.burst_id(str(decision.channel), minute)
                if not outbox.put(summary, m.Kind.BURST, minute, str(decision.channel), data=data, at=at):
                    outbox.touch(summary, at=at)
            case Disposition.CONFIRMATION if decision.request is not None and decision.request.event_key:
                alert_row = outbox.get(m.alert_id(decision.request.event_key))
                if alert_row is not None:
                    outbox.put(
                        m.confirmation_id(key),
                        m.Kind.CONFIRMATION,
                        key,
                        alert_row.channel,
                        data={"request": decision.request.id},
                        thread_of=alert_row.id,
                        at=at,
                    )
            case Disposition.SUPPRESSED:
                self.store.suppressions.hit(str(decision.suppression))
            case _:
                log.info("alert not posted", extra={"event": key, "disposition": decision.disposition})

    def reroute(self) -> int:
        """Alerts taken in before any channel was configured (`iambot ingest` without Slack
        settings) go to the channel the routes now give them."""
        moved = 0
        for key in self.store.alerts.unrouted():
            stored = self.store.events.get(key)
            if stored is None:
                continue
            try:
                alert = self.assessor(normalize(stored.raw, origin=stored.origin))
            except ValueError:
                continue
            channel = route(self.settings, alert)
            if not channel:
                continue
            with self.store.unit():
                if self.store.outbox.route(m.alert_id(key), channel):
                    self.store.alerts.set_disposition(key, Disposition.POSTED)
                    moved += 1
        moved += reroute_sequences(self.store, self.settings)
        if moved:
            self.notify()
        return moved
