"""Sequences at intake: each event's step is stored; when a principal's steps reach a threshold
(bot/assess/sequences.py says what does), one sequence alert is queued, and later members re-render
it instead of posting one by one. The store's history is the memory, so any replica sees what the
others took in; the sequence's key (kind, principal, first member) makes two replicas reaching the
threshold at once make one sequence and one message."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.assess import Alert
from bot.assess.sequences import ALL_AT_ONCE, ENUMERATION, SEVERITY, Thresholds, counted_fires, step_of
from bot.store import Store, iso
from bot.store.alerts import Disposition
from bot.store.sequences import sequence_key
from bot.workflow import messages as m
from bot.workflow.noise import Decision, route

if TYPE_CHECKING:
    from bot.config.settings import Settings

# what iambot itself did or a person muted is no part of anyone's attempt
NOT_OBSERVED = frozenset({Disposition.CONFIRMATION, Disposition.SELF, Disposition.SUPPRESSED})
# a member's own message gives way to the sequence's; what was decided otherwise stays
SHOWN = frozenset({Disposition.POSTED, Disposition.REPEAT, Disposition.BURST, Disposition.UNROUTED, Disposition.QUIET})
SEQUENCE = Disposition.SEQUENCE


def observe(store: Store, settings: Settings, alert: Alert, decision: Decision, at: datetime) -> Decision:
    """Record the alert's step and join or start its sequence; the decision the alert keeps."""
    if decision.disposition in NOT_OBSERVED:
        return decision
    step = step_of(alert.event, alert.targets)
    if step is None:
        return decision
    limits = Thresholds.of(settings)
    window = limits.window(step.kind)
    seqs = store.sequences
    seqs.step(step.key, step.kind, step.principal, step.at, step.name, step.at_self)
    sequence = seqs.open(step.kind, step.principal, step.at - window)
    if sequence is not None:
        seqs.join(sequence, [step.key], iso(step.at))
        store.outbox.touch(m.sequence_id(sequence), at=at)
    else:
        if decision.disposition == Disposition.BACKFILL:
            return decision
        since = step.at - window
        tally = seqs.tally(step.kind, step.principal, since, step.at, ALL_AT_ONCE)
        if not counted_fires(step.kind, tally.steps, tally.names, tally.marked, limits):
            return decision
        first = seqs.first_loose(step.kind, step.principal, since, step.at)
        if first is None:  # pragma: no cover - another replica joined them between the two reads
            return decision
        sequence = sequence_key(step.kind, step.principal, first.key)
        posted = not (step.kind == ENUMERATION and seqs.enumerated_before(step.principal, first.at))
        made = seqs.create(sequence, step.kind, step.principal, first.at, iso(step.at), posted, at)
        seqs.join_loose(sequence, step.kind, step.principal, since, step.at)
        if made and posted:
            channel = route(settings, replace(alert, risk=replace(alert.risk, severity=SEVERITY))) or ""
            store.outbox.put(m.sequence_id(sequence), m.Kind.SEQUENCE, sequence, channel, at=at)
        elif not made:
            store.outbox.touch(m.sequence_id(sequence), at=at)
    if decision.disposition in SHOWN:
        return Decision(SEQUENCE, decision.channel)
    return decision


def reroute(store: Store, settings: Settings) -> int:
    """Sequence alerts queued before any channel was configured go where a medium alert goes now:
    the first route that asks only for severities including medium (a sequence spans events, so
    account and event criteria do not apply), else the alert channel."""
    channel = next(
        (str(r.channel) for r in settings.routes
         if not r.accounts and not r.events and (not r.severities or SEVERITY in r.severities)),
        settings.alert_channel,
    )
    if not channel:
        return 0
    return sum(store.outbox.route(row.id, channel) for row in store.outbox.unrouted(m.Kind.SEQUENCE))
