"""The digest: what happened in a period, computed from the store and queued as one message.

The scheduled digest covers the time since the last scheduled one and moves that mark; a digest
asked for now (`/iam digest`, approvers) covers the same span without moving it, so the next
scheduled digest still tells the whole period.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.catalog import SEVERITIES
from bot.store import Store, iso, now, parse_iso
from bot.workflow import messages as m
from bot.workflow.authz import Act, Authorizer, Refused

if TYPE_CHECKING:
    from bot.config.settings import Settings

CURSOR = "digest"


@dataclass
class Digest:
    since: str
    until: str
    total: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    by_event: list[tuple[str, int]] = field(default_factory=list)
    top_actors: list[tuple[str, int]] = field(default_factory=list)
    notable: list[dict[str, Any]] = field(default_factory=list)  # high and critical: key, severity, summary
    dispositions: dict[str, int] = field(default_factory=dict)  # posted, repeat, burst, suppressed, quiet…
    waiting: list[dict[str, Any]] = field(default_factory=list)  # requests waiting, with age in minutes
    remediations: list[dict[str, Any]] = field(default_factory=list)  # finished in the period
    suppressions_hit: list[dict[str, Any]] = field(default_factory=list)
    decision_minutes_median: float | None = None
    decisions: int = 0  # alerts whose request was decided in the period (the median's sample)
    by_account: list[tuple[str, int]] = field(default_factory=list)  # account id, with its name if configured
    by_day: dict[str, dict[str, int]] = field(default_factory=dict)  # UTC day taken in -> severity -> count
    unanswered: list[dict[str, Any]] = field(default_factory=list)  # "Was this you?" asked, not answered

    @property
    def quiet(self) -> bool:
        return not (self.total or self.waiting or self.remediations)

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Digest:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["by_event"] = [tuple(x) for x in known.get("by_event", [])]
        known["top_actors"] = [tuple(x) for x in known.get("top_actors", [])]
        known["by_account"] = [tuple(x) for x in known.get("by_account", [])]
        return cls(**known)


def days(since: datetime, until: datetime) -> list[str]:
    """The UTC days [since, until) touches, oldest first (at least one)."""
    first, last = since.date(), (until - timedelta(microseconds=1)).date() if until > since else since.date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def compute(store: Store, since: datetime, until: datetime, names: dict[str, str] | None = None) -> Digest:
    d = Digest(iso(since), iso(until))
    rows = store.events.in_period(since, until)
    d.total = len(rows)
    sev = Counter(r["severity"] for r in rows)
    d.by_severity = {s: sev[s] for s in reversed(SEVERITIES) if sev[s]}
    d.by_event = Counter(r["event_name"] for r in rows).most_common(10)
    d.top_actors = Counter(r["actor_name"] or "?" for r in rows).most_common(5)
    d.dispositions = dict(Counter(r["disposition"] or "stored" for r in rows))
    names = names or {}
    accounts = Counter(r["account_id"] or "?" for r in rows).most_common(10)
    d.by_account = [(f"{a} ({names[a]})" if a in names else a, n) for a, n in accounts]
    d.by_day = {day: {} for day in days(since, until)}
    for event in rows:
        per = d.by_day.setdefault(str(event["ingested_at"])[:10], {})
        per[event["severity"]] = per.get(event["severity"], 0) + 1
    d.notable = sorted(
        (
            {"key": r["key"], "severity": r["severity"], "summary": r["summary"] or "", "event_time": r["event_time"]}
            for r in rows
            if r["severity"] in ("critical", "high")
        ),
        key=lambda r: (-SEVERITIES.index(r["severity"]), r["event_time"]),
    )
    for r in store.requests.waiting():
        age = (until - parse_iso(r.requested_at)).total_seconds() / 60
        d.waiting.append({"id": r.id, "remediation_id": r.remediation_id, "age_minutes": round(age)})
    for r in store.requests.finished_between(since, until):
        d.remediations.append(
            {
                "id": r.id,
                "remediation_id": r.remediation_id,
                "requested_by": r.requested_by,
                "approved_by": list(r.approvals),
                "status": r.status,
                "break_glass": bool(r.reason and r.reason.startswith("break-glass")),
            }
        )
    for q in store.questions.unanswered(since, until):
        stored = store.events.get(q.event_key)
        summary = stored.summary if stored is not None and stored.summary else q.event_key
        d.unanswered.append({"id": q.id, "person": q.person, "key": q.event_key, "summary": summary})
    d.suppressions_hit = store.suppressions.hit_between(since, until)
    waits = [(parse_iso(b) - parse_iso(a)).total_seconds() / 60 for a, b in store.requests.decision_waits(since, until)]
    d.decision_minutes_median = round(statistics.median(waits), 1) if waits else None
    d.decisions = len(waits)
    return d


class Digests:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        authz: Authorizer,
        clock: Callable[[], datetime] = now,
        notify: Callable[[], None] = lambda: None,
    ):
        self.store, self.settings, self.authz, self.clock, self.notify = store, settings, authz, clock, notify

    @property
    def channel(self) -> str | None:
        return self.settings.digest_channel or self.settings.alert_channel

    def _since(self, until: datetime) -> datetime:
        last = self.store.cursors.get(CURSOR)
        return parse_iso(last) if last else until - timedelta(days=1)

    def _queue(self, message_id: str, ref: str, channel: str, d: Digest) -> None:
        """The digest's message and, with ``digest_chart``, its chart as a reply in its thread: a
        row of its own, sent after the digest is posted, so the digest never waits for the image."""
        self.store.outbox.put(message_id, m.Kind.DIGEST, ref, channel, d.as_data())
        if self.settings.digest_chart and d.total:  # nothing taken in: no chart to draw
            self.store.outbox.put(m.chart_id(message_id), m.Kind.CHART, ref, channel, d.as_data(), thread_of=message_id)

    def scheduled(self, until: datetime | None = None) -> Digest:
        """The digest of the period since the last scheduled one; moves the mark."""
        until = until or self.clock()
        d = compute(self.store, self._since(until), until, self.settings.account_names)
        with self.store.unit():
            if self.channel:
                self._queue(m.digest_id(iso(until), False), iso(until), self.channel, d)
            self.store.cursors.set(CURSOR, iso(until))
        self.notify()
        return d

    def now(self, user: str) -> Digest:
        """The digest so far, asked for by an approver; the scheduled digest's period is untouched."""
        at = self.clock()
        if not self.authz.may(Act.DIGEST, user):
            self.store.audit.add("digest", user, result="refused", detail="not an approver", at=at)
            raise Refused("Only approvers can post the digest now.")
        if not self.channel:
            raise Refused("No digest channel is configured (digest_channel or IAMBOT_ALERT_CHANNEL).")
        until = at + timedelta(seconds=1)  # whole seconds: what was taken in this second counts too
        d = compute(self.store, self._since(at), until, self.settings.account_names)
        with self.store.unit():
            self._queue(m.digest_id(iso(at), True), iso(at), self.channel, d)
            self.store.audit.add("digest", user, detail=f"{d.total} event(s) since {d.since}", at=at)
        self.notify()
        return d
