"""What the Assessor skips it could not have found: the factors a plan leaves out of a run never
fire on that event, the per-event objects are the frozen classes they were, and the key written
from the fields is the event's key. Checked on real and mutated records."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from bot.assess import Alert, Assessor, Offer, Risk, RiskContext
from bot.assess.assessor import actor_json, at_least, step
from bot.assess.factors import FACTORS, GENERIC, REQUEST_ONLY, generic_quiet
from bot.assess.plan import plan_of
from bot.assess.sequences import ENUMERATION, ESCALATION, IDENTITY, Step, aims_at_self, step_of
from bot.catalog import load
from bot.catalog.fields import Subject
from bot.events import IamEvent, RecordError, normalize
from tests.support.mutations import RECORDS, mutated_records

CONTEXTS = (
    RiskContext(),
    RiskContext(automation_arns=("arn:aws:iam::*:role/*",)),
    RiskContext(self_arns=("arn:aws:iam::*:user/alice",)),
)
_ASSESSORS = [Assessor(context=c) for c in CONTEXTS]


def _event(record: dict[str, Any]) -> IamEvent | None:
    try:
        return normalize(record)
    except RecordError:
        return None


def _reference_risk(event: IamEvent, context: RiskContext) -> tuple[str, tuple[Any, ...]]:
    """Severity and factors with every factor of the plan run, as before runs."""
    entry = load().get(event.event_source, event.event_name, event.read_only, event.actor.is_root)
    plan = plan_of(entry)
    alert = Assessor(context=context)(event)
    subject = Subject(event, alert.targets)
    found = [f for fn in plan.factors if (f := fn(subject, context)) is not None]
    if context.self_arns and context.is_self(event):
        return "info", alert.risk.factors  # the bot's own call: no factor runs
    base = alert.risk.base
    severity = step(base, sum(f.delta for f in found))
    for f in found:
        severity = at_least(severity, f.at_least)
    return severity, tuple(found)


def _old_step(event: IamEvent, targets: dict[str, str]) -> Step | None:
    """step_of as it was written before it asked the kind first."""
    principal = str(event.actor.arn or event.actor.name or "")
    if not principal or event.service not in IDENTITY:
        return None
    if event.read_only:
        kind = ENUMERATION
    elif event.error_code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                              "Client.UnauthorizedOperation"}:  # fmt: skip
        kind = ESCALATION
    else:
        return None
    at_self = kind == ESCALATION and aims_at_self(event, targets)
    return Step(kind, principal, event.event_time, event.event_name, event.key, at_self)


def _check(record: dict[str, Any]) -> None:
    event = _event(record)
    if event is None:
        return
    bare = replace(event, request={})
    for assessor in _ASSESSORS:
        context = assessor.context
        alert = assessor(event)
        assert (alert.risk.severity, alert.risk.factors) == _reference_risk(event, context)
        subject = Subject(event, alert.targets)
        if generic_quiet(event, context):
            assert all(FACTORS[name](subject, context) is None for name in GENERIC)
        bare_subject = Subject(bare, alert.targets)
        assert all(FACTORS[name](bare_subject, context) is None for name in REQUEST_ONLY)
    alert = _ASSESSORS[0](event)
    assert type(alert) is Alert and type(alert.risk) is Risk
    assert all(type(o) is Offer for o in alert.offers)
    assert alert.as_json()["key"] == event.key
    assert alert.as_json()["actor"] == event.actor.as_dict()
    assert step_of(event, alert.targets) == _old_step(event, alert.targets)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: str(r.get("eventName")))
def test_every_fixture_scores_as_with_every_factor_run(record: dict[str, Any]) -> None:
    _check(record)


@given(mutated_records())
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_a_mutated_record_scores_as_with_every_factor_run(record: dict[str, Any]) -> None:
    _check(record)


def test_the_built_alert_is_the_frozen_dataclass() -> None:
    event = next(e for r in RECORDS if (e := _event(r)) is not None and r.get("eventName") == "CreateAccessKey")
    alert = Assessor()(event)
    with pytest.raises(FrozenInstanceError):
        alert.summary = "changed"  # type: ignore[misc]
    raised = replace(alert, risk=replace(alert.risk, severity="critical"))
    assert type(raised) is Alert and raised.severity == "critical"
    assert alert.with_offers(()).offers == ()
    assert alert == Alert(alert.event, alert.entry, alert.targets, alert.risk, alert.summary, alert.offers)
    assert pickle.loads(pickle.dumps(alert.risk)) == alert.risk
    made = step_of(replace(event, read_only=True), {})
    assert made is not None and type(made) is Step
    with pytest.raises(FrozenInstanceError):
        made.key = "x"  # type: ignore[misc]


def test_an_actor_dict_is_made_for_each_actor() -> None:
    events = [e for r in RECORDS if (e := _event(r)) is not None]
    for event in events:
        assert actor_json(event.actor) == event.actor.as_dict()
    other = replace(events[0].actor, name="someone-else")
    assert actor_json(other)["name"] == "someone-else"
    assert actor_json(events[0].actor)["name"] == events[0].actor.name
